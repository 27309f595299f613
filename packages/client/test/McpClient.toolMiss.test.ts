/**
 * A call naming a tool the server does not offer lists the tools once more before failing; calls
 * that miss again in that same listing soon after fail without listing (under the TestClock).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpClient } from "../src/index.js"
import { failureOf } from "./support/effects.js"
import { sdkPeer } from "./support/sdkPeer.js"

describe("McpClient: calls to a tool the server does not offer", () => {
  it.scoped("list again once, then not for a while", () =>
    Effect.gen(function*() {
      const peer = yield* TestServices.provideLive(sdkPeer("json"))
      const mcp = yield* Effect.map(
        Layer.build(McpClient.layerNode({ servers: [{ name: "s", url: peer.url }], healthInterval: "1 hour" })),
        (context) => Context.get(context, McpClient.McpClient)
      )
      const listings = () => peer.received.filter((request) => request.method === "tools/list").length
      const first = yield* failureOf(mcp.callTool("s", "nope", {}))
      expect(first._tag).toBe("UnknownToolError")
      const listed = listings()
      expect(listed).toBeGreaterThan(0)
      for (let i = 0; i < 3; i++) expect((yield* failureOf(mcp.callTool("s", "nope", {})))._tag).toBe("UnknownToolError")
      expect(listings()).toBe(listed)
      yield* TestClock.adjust("6 seconds")
      yield* failureOf(mcp.callTool("s", "nope", {}))
      expect(listings()).toBe(2 * listed)
    }))
})
