/**
 * The 2026-07-28 adapter against real peers: the spec-written server2026 fixture over HTTP and
 * stdio (a new client against a new server, and a dual-era one), and the official SDK server
 * (a new client falling back to a 2025 server). Negotiation, `_meta`, headers, input_required
 * rounds, pinning and the verdict cache.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Deferred from "effect/Deferred"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpElicitation, McpRoots, McpSampling, McpSession } from "../src/index.js"
import { changingToolServer } from "./support/changingToolServer.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"
import { captureLogs, textOf } from "./support/logs.js"
import { sdkPeer } from "./support/sdkPeer.js"
import { type Server2026Record, server2026Http, server2026StdioCommand } from "./support/server2026Peer.js"

const requests = (records: ReadonlyArray<Server2026Record>) => records.filter((record) => record.kind === "request")

const handlers = Effect.gen(function*() {
  const elicitation = yield* McpElicitation.make({ form: () => Effect.succeed({ action: "accept", content: { confirmed: true } } as const) })
  const sampling = yield* McpSampling.make(() =>
    Effect.succeed({ role: "assistant", content: { type: "text", text: "sure" }, model: "m", stopReason: "endTurn" } as const)
  )
  const roots = yield* McpRoots.make([{ uri: "file:///work", name: "work" }])
  return { elicitation, sampling, roots }
})

describe("McpSession 2026-07-28 over Streamable HTTP", () => {
  it.scopedLive("negotiates 2026-07-28 with server/discover and sends _meta and the standard headers on every request", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url, clientInfo: { name: "tester", version: "1.2.3" } })
      const info = yield* session.info
      expect(info.protocolVersion).toBe("2026-07-28")
      expect(info.sessionId).toBeUndefined()
      expect(info.capabilities.tools).toBeDefined()
      const tools = yield* session.listTools()
      expect(tools.map((tool) => tool.name)).toContain("echo")
      const echo = yield* session.callTool("echo", { text: "hi" })
      expect(echo.isError).not.toBe(true)
      const seen = requests(yield* server.received)
      expect(seen.map((record) => record.method)).toEqual(["server/discover", "tools/list", "tools/call"])
      for (const record of seen) {
        expect(record.headers?.["mcp-protocol-version"]).toBe("2026-07-28")
        expect(record.headers?.["mcp-method"]).toBe(record.method)
        expect(record.meta?.["io.modelcontextprotocol/protocolVersion"]).toBe("2026-07-28")
        expect(record.meta?.["io.modelcontextprotocol/clientInfo"]).toEqual({ name: "tester", version: "1.2.3" })
        expect(record.meta?.["io.modelcontextprotocol/clientCapabilities"]).toEqual({})
      }
      expect(seen[2]?.headers?.["mcp-name"]).toBe("echo")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("mirrors x-mcp-header arguments into Mcp-Param-* headers, Base64 where unsafe, learning the tool first", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url })
      // not listed before: the session lists the tools to learn the headers (the server checks them: -32020 otherwise)
      const result = yield* session.callTool("regional", { region: "Zürich", priority: 42, verbose: false, target: { zone: " a " }, query: "q" })
      expect(result.isError).toBe(false)
      const call = requests(yield* server.received).find((record) => record.method === "tools/call")
      expect(call?.headers?.["mcp-param-region"]).toBe(`=?base64?${Buffer.from("Zürich").toString("base64")}?=`)
      expect(call?.headers?.["mcp-param-priority"]).toBe("42")
      expect(call?.headers?.["mcp-param-verbose"]).toBe("false")
      expect(call?.headers?.["mcp-param-zone"]).toBe(`=?base64?${Buffer.from(" a ").toString("base64")}?=`)
      expect(call?.headers?.["mcp-param-query"]).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("leaves out tools with invalid x-mcp-header annotations and refuses to call them", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--invalid-header-tools"])
      const session = yield* McpSession.make({ server: "new", url: server.url })
      const names = (yield* session.listTools()).map((tool) => tool.name)
      expect(names).toContain("regional")
      const all = requests(yield* server.received).length
      const invalid = ["echo", "add", "regional", "fail", "confirm", "slow"].filter((name) => !names.includes(name))
      expect(invalid).toEqual([])
      // the fixture's invalid tools are not offered
      expect(names.some((name) => name.startsWith("invalid"))).toBe(false)
      const refused = yield* failureOf(session.callTool("invalid_number_header", { score: 1 }))
      expect(refused._tag).toBe("ProtocolError")
      expect(requests(yield* server.received).length).toBe(all)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses, before sending, a call whose x-mcp-header integer is beyond the safe range", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url })
      const error = yield* failureOf(session.callTool("regional", { region: "eu", priority: 2 ** 53 + 2 }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("Mcp-Param-Priority")
      expect(requests(yield* server.received).some((record) => record.method === "tools/call")).toBe(false)
      const fine = yield* session.callTool("regional", { region: "eu", priority: Number.MAX_SAFE_INTEGER })
      expect(fine.isError).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("answers input_required rounds with the handlers, echoing requestState, each round with a new id", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url, handlers: yield* handlers })
      const confirmed = yield* session.callTool("confirm", { ask: ["elicitation"] })
      expect(confirmed.structuredContent).toEqual({ elicitation: { action: "accept", content: { confirmed: true } } })
      const sequential = yield* session.callTool("confirm", { ask: ["elicitation", "sampling", "roots"], sequential: true })
      expect(sequential.structuredContent).toEqual({
        elicitation: { action: "accept", content: { confirmed: true } },
        sampling: { text: "sure" },
        roots: { uris: ["file:///work"] }
      })
      const calls = requests(yield* server.received).filter((record) => record.method === "tools/call")
      expect(calls.length).toBe(2 + 4)
      expect(new Set(calls.map((record) => record.id)).size).toBe(calls.length)
      const capabilities = calls[0]?.meta?.["io.modelcontextprotocol/clientCapabilities"]
      expect(capabilities).toMatchObject({ elicitation: { form: {} }, sampling: {}, roots: {} })
      // the guarded resource asks too; resources/read names its uri in Mcp-Name
      const read = yield* session.readResource("mem://guarded")
      expect(read.contents.length).toBeGreaterThan(0)
      const reads = requests(yield* server.received).filter((record) => record.method === "resources/read")
      expect(reads.map((record) => record.headers?.["mcp-name"])).toEqual(["mem://guarded", "mem://guarded"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a read answered after input_required rounds is never kept, whatever its ttlMs; a plain one is", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--ttl-ms", "600000"])
      const session = yield* McpSession.make({ server: "new", url: server.url, handlers: yield* handlers })
      yield* session.readResource("mem://guarded")
      yield* session.readResource("mem://guarded")
      const reads = (uri: string) =>
        Effect.map(server.received, (records) =>
          requests(records).filter((record) => record.method === "resources/read" && record.headers?.["mcp-name"] === uri).length)
      expect(yield* reads("mem://guarded")).toBe(4)
      yield* session.readResource("mem://static")
      yield* session.readResource("mem://static")
      expect(yield* reads("mem://static")).toBe(1)
      expect(session.freshUntil?.("tools/list")).toBeUndefined()
      yield* session.listTools()
      expect(session.freshUntil?.("tools/list")).toBeGreaterThan(Date.now())
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a capability the client did not declare is a MissingCapabilityError; an input the handler cannot give fails the request", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url, handlers: { elicitation: (yield* handlers).elicitation } })
      const missing = yield* failureOf(session.callTool("confirm", { ask: ["elicitation", "sampling"] }))
      expect(missing._tag).toBe("MissingCapabilityError")
      if (missing._tag !== "MissingCapabilityError") return
      expect(missing.required).toEqual({ sampling: {} })
      // an answer that does not fit the requested schema is never sent: the request fails instead
      const wrong = yield* McpElicitation.make({ form: () => Effect.succeed({ action: "accept", content: { confirmed: "yes" } } as const) })
      const strict = yield* McpSession.make({ server: "new", url: server.url, handlers: { elicitation: wrong } })
      const before = requests(yield* server.received).length
      const refused = yield* failureOf(strict.callTool("confirm", { ask: ["elicitation"] }))
      expect(refused._tag).toBe("ProtocolError")
      const sent = requests(yield* server.received).slice(before).filter((record) => record.method === "tools/call")
      expect(sent.length).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("setLoggingLevel travels as _meta logLevel, and progress reaches onProgress", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url })
      yield* session.setLoggingLevel("debug")
      const seen: Array<number> = []
      yield* session.callTool("slow", { ms: 50 }, { onProgress: (progress) => Effect.sync(() => void seen.push(progress.progress)) })
      const slow = requests(yield* server.received).find((record) => record.method === "tools/call")
      expect(slow?.meta?.["io.modelcontextprotocol/logLevel"]).toBe("debug")
      expect(typeof slow?.meta?.progressToken).not.toBe("undefined")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an interrupted call closes its answer stream, which the server takes as cancellation", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "new", url: server.url })
      const call = yield* Effect.fork(session.callTool("slow", { ms: 10_000 }))
      yield* eventuallyValue(server.received, (records) => records.some((record) => record.method === "tools/call"))
      yield* Fiber.interrupt(call)
      const records = yield* eventuallyValue(server.received, (records) => records.some((record) => record.kind === "cancelled"))
      expect(records.find((record) => record.kind === "cancelled")?.via).toBe("stream closed")
      expect(requests(yield* server.received).some((record) => record.method === "notifications/cancelled")).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a dual-era server is spoken to in 2026-07-28; pinned to 2025-11-25 it gets initialize and no probe", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-too"])
      const modern = yield* McpSession.make({ server: "dual", url: server.url })
      expect((yield* modern.info).protocolVersion).toBe("2026-07-28")
      const before = requests(yield* server.received).length
      const legacy = yield* McpSession.make({ server: "dual", url: server.url, protocolVersion: "2025-11-25" })
      expect((yield* legacy.info).protocolVersion).toBe("2025-11-25")
      yield* legacy.listTools()
      const later = requests(yield* server.received).slice(before)
      expect(later[0]?.method).toBe("initialize")
      expect(later.some((record) => record.method === "server/discover")).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a server serving only another modern version fails with -32022; one also speaking 2025 falls back to it", () =>
    Effect.gen(function*() {
      const future = yield* server2026Http(["--versions", "2027-01-01"])
      const error = yield* failureOf(McpSession.make({ server: "future", url: future.url }))
      expect(error._tag).toBe("UnsupportedVersionError")
      if (error._tag !== "UnsupportedVersionError") return
      expect(error.supported).toEqual(["2027-01-01"])
      expect(error.requested).toBe("2026-07-28")
      expect(error.code).toBe(-32022)
      const dual = yield* server2026Http(["--versions", "2027-01-01", "--legacy-too"])
      const session = yield* McpSession.make({ server: "dual", url: dual.url })
      expect((yield* session.info).protocolVersion).toBe("2025-11-25")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession 2026-07-28 header mismatch", () => {
  it.scopedLive("a call refused with HeaderMismatch lists the tools again and is sent once more with the new headers", () =>
    Effect.gen(function*() {
      const peer = yield* changingToolServer("annotated", 0)
      const session = yield* McpSession.make({ server: "changing", url: peer.url })
      const result = yield* session.callTool("t", { region: "eu" })
      expect(result.content).toEqual([{ type: "text", text: "ok" }])
      expect(peer.methods).toEqual(["server/discover", "tools/list", "tools/call", "tools/list", "tools/call"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession negotiation with 2025 servers", () => {
  it.scopedLive("falls back to initialize after the SDK server refuses the probe, and remembers it per endpoint", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const protocolCache = McpSession.makeProtocolCache()
      const first = yield* McpSession.make({ server: "old", url: peer.url, protocolCache })
      expect((yield* first.info).protocolVersion).toBe("2025-11-25")
      const probes = () => peer.requests.filter((request) => request.headers["mcp-method"] === "server/discover").length
      expect(probes()).toBe(1)
      const second = yield* McpSession.make({ server: "old", url: peer.url, protocolCache })
      expect((yield* second.info).protocolVersion).toBe("2025-11-25")
      expect(probes()).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("pinned to 2026-07-28, a 2025 server is an error rather than a fallback", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const exit = yield* Effect.exit(McpSession.make({ server: "old", url: peer.url, protocolVersion: "2026-07-28" }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(peer.requests.some((request) => request.headers["mcp-method"] === undefined)).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession 2026-07-28 input_required and time", () => {
  it.scoped("a handler that never answers an input request fails the request at its timeout (TestClock)", () =>
    Effect.gen(function*() {
      const asked = yield* Deferred.make<void>()
      const elicitation = yield* McpElicitation.make({ form: () => Effect.zipRight(Deferred.succeed(asked, undefined), Effect.never) })
      const session = yield* TestServices.provideLive(
        McpSession.make({ server: "new", ...server2026StdioCommand(), handlers: { elicitation } })
      )
      const call = yield* Effect.fork(session.callTool("confirm", { ask: ["elicitation"] }, { timeout: "10 seconds" }))
      yield* Deferred.await(asked)
      yield* TestClock.adjust("11 seconds")
      const error = yield* TestServices.provideLive(Effect.timeout(failureOf(Fiber.join(call)), "5 seconds"))
      expect(error._tag).toBe("TransportError")
      if (error._tag !== "TransportError") return
      expect(error.reason).toBe("Timeout")
      expect(error.detail).toContain("input requests")
    }))
})

describe("McpSession 2026-07-28 over stdio", () => {
  it.scopedLive("probes the process with server/discover, then speaks 2026-07-28 with _meta and input_required rounds", () =>
    Effect.gen(function*() {
      const session = yield* McpSession.make({ server: "new", ...server2026StdioCommand(), handlers: yield* handlers })
      const info = yield* session.info
      expect(info.transport).toBe("stdio")
      expect(info.protocolVersion).toBe("2026-07-28")
      const tools = yield* session.listTools()
      expect(tools.map((tool) => tool.name)).toContain("confirm")
      const confirmed = yield* session.callTool("confirm", { ask: ["elicitation"] })
      expect(confirmed.structuredContent).toEqual({ elicitation: { action: "accept", content: { confirmed: true } } })
    }))

  it.scopedLive("an interrupted call is cancelled with notifications/cancelled (the server's records come on its stderr, logged)", () => {
    const logs = captureLogs()
    // its stderr lines are logged cut at a length, so they are matched as text
    const logged = (pattern: RegExp) => logs.lines.map(textOf).filter((text) => pattern.test(text))
    return Effect.gen(function*() {
      const session = yield* McpSession.make({ server: "new", ...server2026StdioCommand() })
      const call = yield* Effect.fork(session.callTool("slow", { ms: 10_000 }))
      yield* eventually(() => logged(/^\{"kind":"request".*"method":"tools\/call"/).length > 0, "the call")
      yield* Fiber.interrupt(call)
      yield* eventually(() => logged(/^\{"kind":"cancelled"/).length > 0, "the cancellation")
      expect(logged(/^\{"kind":"cancelled"/)[0]).toContain(`"via":"notifications/cancelled"`)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scopedLive("once the probe is over, an error answer of id null settles no request, even the only one in flight", () =>
    Effect.gen(function*() {
      // a 2025 process: no listen stream, so the call is the only request in flight
      const session = yield* McpSession.make({ server: "old", ...server2026StdioCommand(["--legacy-only", "--stray-errors"]) })
      expect((yield* session.info).protocolVersion).toBe("2025-11-25")
      const result = yield* session.callTool("echo", { text: "hi" })
      expect(result.isError).not.toBe(true)
    }))

  it.scopedLive("a dual-era process pinned to 2025-11-25 is opened with initialize", () =>
    Effect.gen(function*() {
      const session = yield* McpSession.make({ server: "dual", ...server2026StdioCommand(["--legacy-too"]), protocolVersion: "2025-11-25" })
      expect((yield* session.info).protocolVersion).toBe("2025-11-25")
      expect((yield* session.listTools()).length).toBeGreaterThan(0)
    }))
})
