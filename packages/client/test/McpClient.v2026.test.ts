/**
 * `McpClient` over 2026-07-28 servers (the server2026 fixture) and 2025 ones side by side: the
 * negotiated revision in `status`, a pinned revision from the configuration, `ttlMs` honoured for
 * lists and reads under TestClock, list changes and resource updates through
 * `subscriptions/listen`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { McpClient, McpServerConfig, McpSession } from "../src/index.js"
import { eventuallyValue, failureOf } from "./support/effects.js"
import { sdkPeer } from "./support/sdkPeer.js"
import { type Server2026Record, server2026Http, server2026StdioCommand } from "./support/server2026Peer.js"

const client = (servers: ReadonlyArray<McpServerConfig.Input>) =>
  Effect.map(
    Layer.build(McpClient.layerNode({ servers, healthInterval: "1 hour" })),
    (context) => Context.get(context, McpClient.McpClient)
  )

const count = (records: ReadonlyArray<Server2026Record>, method: string) =>
  records.filter((record) => record.kind === "request" && record.method === method).length

describe("McpClient with 2026-07-28 servers", () => {
  it.scopedLive("status shows each server's negotiated revision; a configured protocolVersion pins it", () =>
    Effect.gen(function*() {
      const modern = yield* server2026Http()
      const dual = yield* server2026Http(["--legacy-too"])
      const legacy = yield* sdkPeer("json")
      const mcp = yield* client([
        { name: "modern", url: modern.url },
        { name: "pinned", url: dual.url, protocolVersion: "2025-11-25" },
        { name: "legacy", url: legacy.url },
        { name: "stdio", ...server2026StdioCommand() }
      ])
      for (const server of ["modern", "pinned", "legacy", "stdio"]) yield* mcp.listTools(server)
      const status = yield* mcp.status
      expect(status.map((entry) => [entry.server, entry.session?.protocolVersion])).toEqual([
        ["modern", "2026-07-28"],
        ["pinned", "2025-11-25"],
        ["legacy", "2025-11-25"],
        ["stdio", "2026-07-28"]
      ])
      expect(count(yield* dual.received, "server/discover")).toBe(0)
      const call = yield* mcp.callTool("modern", "echo", { text: "hi" })
      expect(call.isError).not.toBe(true)
    }))

  it.effect("a protocolVersion that is no revision is a configuration error", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(
        McpServerConfig.make({ name: "x", url: "http://127.0.0.1:1/mcp", protocolVersion: "2024-11-05" as McpServerConfig.Input["protocolVersion"] })
      )
      expect(error.message).toContain("protocolVersion")
    }))

  it.scoped("lists stay fresh for their ttlMs, under the TestClock, then are listed again", () =>
    Effect.gen(function*() {
      const server = yield* TestServices.provideLive(server2026Http(["--ttl-ms", "60000"]))
      const mcp = yield* client([{ name: "s", url: server.url }])
      const received = TestServices.provideLive(server.received)
      yield* mcp.listTools("s")
      yield* mcp.listTools("s")
      expect(count(yield* received, "tools/list")).toBe(1)
      yield* TestClock.adjust("59 seconds")
      yield* mcp.listTools("s")
      expect(count(yield* received, "tools/list")).toBe(1)
      yield* TestClock.adjust("2 seconds")
      yield* mcp.listTools("s")
      expect(count(yield* received, "tools/list")).toBe(2)
    }))

  it.scoped("a list with ttlMs 0 is listed at every asking; a read with a ttlMs is read once while fresh", () =>
    Effect.gen(function*() {
      const stale = yield* TestServices.provideLive(server2026Http(["--ttl-ms", "0"]))
      const fresh = yield* TestServices.provideLive(server2026Http(["--ttl-ms", "60000"]))
      const mcp = yield* client([{ name: "stale", url: stale.url }, { name: "fresh", url: fresh.url }])
      yield* mcp.listPrompts("stale")
      yield* mcp.listPrompts("stale")
      expect(count(yield* TestServices.provideLive(stale.received), "prompts/list")).toBe(2)
      yield* mcp.readResource("fresh", "mem://static")
      yield* mcp.readResource("fresh", "mem://static")
      expect(count(yield* TestServices.provideLive(fresh.received), "resources/read")).toBe(1)
      yield* TestClock.adjust("61 seconds")
      yield* mcp.readResource("fresh", "mem://static")
      expect(count(yield* TestServices.provideLive(fresh.received), "resources/read")).toBe(2)
    }))

  it.scopedLive("a tools list_changed on the listen stream makes the next listing fetch again", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--ttl-ms", "600000"])
      const mcp = yield* client([{ name: "s", url: server.url }])
      expect((yield* mcp.listTools("s")).map((tool) => tool.name)).not.toContain("added")
      yield* eventuallyValue(server.received, (records) => count(records, "subscriptions/listen") === 1)
      yield* mcp.callTool("s", "add_tool", { name: "added" })
      const tools = yield* eventuallyValue(mcp.listTools("s"), (list) => list.some((tool) => tool.name === "added"))
      expect(tools.map((tool) => tool.name)).toContain("added")
    }))

  it.scopedLive("a list without ttlMs is kept while the listen stream watches its changes, until a list_changed", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--ttl-ms", "absent"])
      const mcp = yield* client([{ name: "s", url: server.url }])
      yield* eventuallyValue(server.received, (records) => count(records, "subscriptions/listen") === 1)
      // a listing made before the stream was acknowledged is not kept: list until one is
      const listed = Effect.zipRight(mcp.listTools("s"), Effect.map(server.received, (records) => count(records, "tools/list")))
      const settled = yield* eventuallyValue(Effect.zip(listed, listed), ([before, after]) => before === after)
      for (let i = 0; i < 3; i++) yield* mcp.listTools("s")
      expect(count(yield* server.received, "tools/list")).toBe(settled[1])
      yield* mcp.callTool("s", "add_tool", { name: "added" })
      const tools = yield* eventuallyValue(mcp.listTools("s"), (list) => list.some((tool) => tool.name === "added"))
      expect(tools.map((tool) => tool.name)).toContain("added")
    }))

  it.scopedLive("a list without ttlMs of a session that does not listen is stale at once", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--ttl-ms", "absent"])
      const session = yield* McpSession.make({ server: "s", url: server.url })
      yield* session.listTools()
      expect(session.freshUntil?.("tools/list")).toBeLessThanOrEqual(Date.now())
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a server that drops 2026-07-28 mid-session (-32022) is negotiated again and the call sent once more", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-too", "--modern-calls", "1"])
      const mcp = yield* client([{ name: "s", url: server.url }])
      yield* mcp.callTool("s", "echo", { text: "one" })
      expect((yield* mcp.status)[0]?.session?.protocolVersion).toBe("2026-07-28")
      const second = yield* mcp.callTool("s", "echo", { text: "two" })
      expect(second.isError).not.toBe(true)
      expect((yield* mcp.status)[0]?.session?.protocolVersion).toBe("2025-11-25")
      const records = yield* server.received
      expect(records.filter((record) => record.kind === "request" && record.method === "initialize")).toHaveLength(1)
    }))

  it.scopedLive("every call in flight when the server drops 2026-07-28 is sent once more on the new session", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-too", "--modern-calls", "1"])
      const mcp = yield* client([{ name: "s", url: server.url }])
      yield* mcp.callTool("s", "echo", { text: "one" })
      const results = yield* Effect.all(
        Array.from({ length: 4 }, (_, i) => mcp.callTool("s", "echo", { text: `concurrent ${i}` })),
        { concurrency: "unbounded" }
      )
      expect(results.map((result) => result.isError === true)).toEqual([false, false, false, false])
      expect((yield* mcp.status)[0]?.session?.protocolVersion).toBe("2025-11-25")
      expect(count(yield* server.received, "initialize")).toBe(1)
    }))

  it.scopedLive("a 2025 server's own -32022 is its answer: the call is not sent again", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-only"])
      const mcp = yield* client([{ name: "s", url: server.url }])
      const error = yield* failureOf(mcp.callTool("s", "app_error", { code: -32022 }))
      expect(error._tag).toBe("UnsupportedVersionError")
      const calls = (yield* server.received).filter((record) => record.kind === "request" && record.method === "tools/call")
      expect(calls).toHaveLength(1)
      expect((yield* mcp.status)[0]?.session?.protocolVersion).toBe("2025-11-25")
    }))

  it.scopedLive("subscribeResource streams the updates that arrive on the listen stream", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const mcp = yield* client([{ name: "s", url: server.url }])
      const updates = yield* mcp.subscribeResource("s", "mem://note").pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      yield* eventuallyValue(server.received, (records) =>
        records.some((record) =>
          record.method === "subscriptions/listen" && JSON.stringify(record.message).includes("mem://note")
        ))
      yield* mcp.callTool("s", "set_note", { text: "new" })
      const [update] = yield* Fiber.join(updates)
      expect(update?.uri).toBe("mem://note")
    }))
})
