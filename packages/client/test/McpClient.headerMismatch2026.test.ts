/**
 * A `HeaderMismatch` (-32020) answer to a call, against a minimal 2026-07-28 server whose tool
 * changes after the first listing (and which checks its `Mcp-Param-Region` header): the listing
 * again is the client's list from then on, and the call is sent once more only for a tool still
 * offered with valid annotations.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { McpClient } from "../src/index.js"
import { changingToolServer } from "./support/changingToolServer.js"
import { failureOf } from "./support/effects.js"

const client = (url: string) =>
  Effect.map(
    Layer.build(McpClient.layerNode({ servers: [{ name: "changing", url }], healthInterval: "1 hour" })),
    (context) => Context.get(context, McpClient.McpClient)
  )

describe("McpClient and a HeaderMismatch answer (2026-07-28)", () => {
  it.scopedLive("the listing after the mismatch is the client's tool list, annotations included, however fresh the old one's ttlMs", () =>
    Effect.gen(function*() {
      const peer = yield* changingToolServer("annotated")
      const mcp = yield* client(peer.url)
      expect((yield* mcp.listTools("changing")).map((tool) => tool.description)).toEqual(["v1"])
      const result = yield* mcp.callTool("changing", "t", { region: "eu" })
      expect(result.content).toEqual([{ type: "text", text: "ok" }])
      const tools = yield* mcp.listTools("changing")
      expect(tools.map((tool) => [tool.description, tool.annotations?.readOnlyHint])).toEqual([["v2", true]])
      const available = yield* mcp.availableTools
      expect(available.map((tool) => tool.tool.description)).toEqual(["v2"])
    }))

  it.scopedLive("a tool gone from the listing after the mismatch is not called again: the error names server and tool", () =>
    Effect.gen(function*() {
      const peer = yield* changingToolServer("gone")
      const mcp = yield* client(peer.url)
      const error = yield* failureOf(mcp.callTool("changing", "t", { region: "eu" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain(`"changing"`)
      expect(error.message).toContain(`"t"`)
      expect(error.message).toContain("no longer include it")
      expect(peer.methods.filter((method) => method === "tools/call")).toHaveLength(1)
    }))

  it.scopedLive("a tool whose annotations became invalid is not called again", () =>
    Effect.gen(function*() {
      const peer = yield* changingToolServer("invalid")
      const mcp = yield* client(peer.url)
      const error = yield* failureOf(mcp.callTool("changing", "t", { region: "eu" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("x-mcp-header annotations are invalid")
      expect(peer.methods.filter((method) => method === "tools/call")).toHaveLength(1)
    }))
})
