import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { McpSession } from "../src/index.js"
import { effectPeer } from "./support/effectPeer.js"
import { eventually, failureOf } from "./support/effects.js"
import { rawPeer } from "./support/rawPeer.js"
import { type SdkMode, sdkPeer, sdkToolNames } from "./support/sdkPeer.js"

const modes: ReadonlyArray<SdkMode> = ["sse", "json", "stateless"]

describe.each(modes)("McpSession against the official SDK server (%s)", (mode) => {
  const stateful = mode !== "stateless"

  it.scopedLive("initializes with the newest protocol version and lists every page of tools", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const info = yield* session.info
      expect(info.protocolVersion).toBe("2025-11-25")
      expect(info.serverInfo.name).toBe("sdk-peer")
      expect(info.sessionId === undefined).toBe(!stateful)
      const tools = yield* session.listTools()
      expect(tools.map((tool) => tool.name)).toEqual(sdkToolNames)
      expect(tools[0]?.annotations?.readOnlyHint).toBe(true)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("calls tools and returns their content and structured content", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const echo = yield* session.callTool("echo", { text: "hello" })
      expect(echo.content).toEqual([{ type: "text", text: "hello" }])
      expect(echo.structuredContent).toEqual({ echo: "hello" })
      const sum = yield* session.callTool("add", { a: 2, b: 3 })
      expect(sum.content).toEqual([{ type: "text", text: "5" }])
      yield* session.ping()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("sends the negotiated version, the session id and both accepted media types", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({
        server: "sdk",
        url: peer.url,
        auth: Redacted.make("token-1"),
        headers: { "X-Tenant": "t1" }
      })
      yield* session.callTool("echo", { text: "x" })
      const info = yield* session.info
      // the 2026-07-28 probe, refused by this 2025 server, then `initialize` and the session
      const [probe, initialize, ...later] = peer.requests
      expect(probe?.headers["mcp-method"]).toBe("server/discover")
      expect(initialize?.headers["mcp-method"]).toBeUndefined()
      expect(initialize?.headers["mcp-protocol-version"]).toBeUndefined()
      expect(later.length).toBeGreaterThanOrEqual(2)
      for (const request of [probe, initialize, ...later]) {
        expect(request?.headers.accept).toBe("application/json, text/event-stream")
        expect(request?.headers.authorization).toBe("Bearer token-1")
        expect(request?.headers["x-tenant"]).toBe("t1")
      }
      for (const request of later) {
        expect(request.headers["mcp-protocol-version"]).toBe("2025-11-25")
        expect(request.headers["mcp-session-id"]).toBe(info.sessionId)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("fails with ToolCallError for an isError result and ProtocolError for a JSON-RPC error", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const toolError = yield* failureOf(session.callTool("fail", {}))
      expect(toolError._tag).toBe("ToolCallError")
      expect(toolError.message).toBe(`MCP server "sdk", tool "fail" reported an error: it failed on purpose`)
      const protocolError = yield* failureOf(session.callTool("invalid", {}))
      expect(protocolError._tag).toBe("ProtocolError")
      if (protocolError._tag !== "ProtocolError") return
      expect(protocolError.code).toBe(-32602)
      expect(protocolError.tool).toBe("invalid")
      expect(protocolError.message).toContain("the arguments are invalid on purpose")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  if (!stateful) return

  it.scopedLive("re-initializes transparently when the server forgets the session", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const before = yield* session.info
      peer.forgetSessions()
      const result = yield* session.callTool("add", { a: 1, b: 1 })
      expect(result.content).toEqual([{ type: "text", text: "2" }])
      const after = yield* session.info
      expect(after.initializations).toBe(2)
      expect(after.sessionId).not.toBe(before.sessionId)
      expect(peer.createdSessions()).toBe(2)
      expect(peer.executions("add")).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("deletes the session when its scope closes", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const scope = yield* Scope.make()
      const session = yield* McpSession.make({ server: "sdk", url: peer.url }).pipe(Scope.extend(scope))
      yield* session.ping()
      expect(peer.liveSessions()).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(peer.liveSessions()).toBe(0)
      expect(peer.requests.at(-1)?.method).toBe("DELETE")
      const afterClose = yield* failureOf(session.ping())
      expect(afterClose._tag === "TransportError" && afterClose.reason).toBe("Closed")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an interrupted call aborts and the server sees notifications/cancelled", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const fiber = yield* Effect.fork(session.callTool("slow", {}))
      yield* eventually(() => peer.executions("slow") === 1)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => peer.cancelled.length === 1)
      const followUp = yield* session.callTool("echo", { text: "still fine" })
      expect(followUp.content).toEqual([{ type: "text", text: "still fine" }])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a call past its timeout fails with Timeout and is cancelled on the server", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer(mode)
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const error = yield* failureOf(session.callTool("slow", {}, { timeout: "200 millis" }))
      expect(error._tag === "TransportError" && error.reason).toBe("Timeout")
      expect(error.message).toContain(`tool "slow"`)
      yield* eventually(() => peer.cancelled.length === 1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession SSE answers", () => {
  it.scopedLive("answers ping, refuses other server requests and delivers notifications before the answer", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const notifications: Array<McpSession.Notification> = []
      const session = yield* McpSession.make({
        server: "sdk",
        url: peer.url,
        onNotification: (notification) => Effect.sync(() => notifications.push(notification))
      })
      const result = yield* session.callTool("chatty", {})
      expect(result.content).toEqual([{
        type: "text",
        text: "chatty done; roots/list: McpError: MCP error -32601: Method not supported by this client: roots/list"
      }])
      expect(notifications).toEqual([{ method: "notifications/message", params: { level: "info", data: "working" } }])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("reads an answer stream of announced length whole, notifications first and in order", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((request, res) => {
        const event = (message: unknown) => `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", ...message as object })}\n\n`
        const body = event({ method: "notifications/message", params: { data: "first" } }) +
          event({ method: "notifications/message", params: { data: "second" } }) +
          event({ id: request.message?.id, result: { content: [{ type: "text", text: "done" }] } })
        res.writeHead(200, { "content-type": "text/event-stream", "content-length": Buffer.byteLength(body) }).end(body)
      })
      const notifications: Array<McpSession.Notification> = []
      const session = yield* McpSession.make({
        server: "raw",
        url: peer.url,
        onNotification: (notification) => Effect.sync(() => notifications.push(notification))
      })
      const result = yield* session.callTool("t", {})
      expect(result.content).toEqual([{ type: "text", text: "done" }])
      expect(notifications.map((notification) => notification.params)).toEqual([{ data: "first" }, { data: "second" }])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession resuming an answer stream", () => {
  it.scopedLive("reconnects with Last-Event-ID when the server closes the stream before the answer", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse", { resumable: true })
      const session = yield* McpSession.make({ server: "sdk", url: peer.url })
      const result = yield* session.callTool("reconnect", {})
      expect(result.content).toEqual([{ type: "text", text: "answered after the reconnection" }])
      expect(peer.executions("reconnect")).toBe(1)
      const resumed = peer.requests.filter((request) => request.method === "GET" && request.headers["last-event-id"] !== undefined)
      expect(resumed.length).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession against an @effect/ai McpServer", () => {
  it.scopedLive("lists tools and accepts array-shaped structuredContent", () =>
    Effect.gen(function*() {
      const peer = yield* effectPeer
      const session = yield* McpSession.make({ server: "effect", url: peer.url })
      const info = yield* session.info
      expect(info.sessionId).toBeUndefined()
      expect(info.protocolVersion).toBe("2025-06-18")
      const tools = yield* session.listTools()
      expect(tools.map((tool) => tool.name).sort()).toEqual(["greet", "list_items"])
      const items = yield* session.callTool("list_items", { prefix: "b" })
      expect(items.structuredContent).toEqual(["banana", "blueberry"])
      const greeting = yield* session.callTool("greet", { name: "Ada" })
      expect(greeting.structuredContent).toEqual({ greeting: "Hello, Ada!" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
