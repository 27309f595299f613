import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { McpClient, type McpHealth } from "../src/index.js"
import { effectPeer } from "./support/effectPeer.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"
import { rawPeer } from "./support/rawPeer.js"
import { sdkPeer, sdkToolNames } from "./support/sdkPeer.js"
import { recordingTracer } from "./support/tracing.js"

const fastRetry = { base: "5 millis", max: "20 millis" } as const

/** Builds the client in the test's scope (closed with it). */
const client = (options: McpClient.McpClientOptions) =>
  Effect.flatMap(Layer.build(McpClient.layerNode(options)), (context) => Effect.succeed(context.unsafeMap.get(McpClient.McpClient.key) as McpClient.Service))

describe("McpClient against real servers", () => {
  it.scopedLive("calls tools on several servers by name and qualifies their tools", () =>
    Effect.gen(function*() {
      const sse = yield* sdkPeer("sse")
      const stateless = yield* sdkPeer("stateless")
      const effect = yield* effectPeer
      const mcp = yield* client({
        servers: [
          { name: "sse", url: sse.url },
          { name: "stateless", url: stateless.url },
          { name: "effect", url: effect.url }
        ]
      })
      const a = yield* mcp.callTool("sse", "echo", { text: "a" })
      const b = yield* mcp.callTool("stateless", "add", { a: 1, b: 2 })
      const c = yield* mcp.callTool("effect", "list_items", { prefix: "ap" })
      expect(a.content).toEqual([{ type: "text", text: "a" }])
      expect(b.content).toEqual([{ type: "text", text: "3" }])
      expect(c.structuredContent).toEqual(["apple", "apricot"])
      const tools = yield* mcp.availableTools
      expect(tools.map((tool) => tool.qualifiedName)).toEqual([
        ...sdkToolNames.map((name) => `sse__${name}`),
        ...sdkToolNames.map((name) => `stateless__${name}`),
        "effect__list_items",
        "effect__greet"
      ])
    }))

  it.scopedLive("one dead server never hides the tools of the others", () =>
    Effect.gen(function*() {
      const alive = yield* sdkPeer("json")
      const dead = yield* sdkPeer("json")
      yield* Effect.promise(() => dead.stop())
      const mcp = yield* client({ servers: [{ name: "dead", url: dead.url, retry: fastRetry }, { name: "alive", url: alive.url }] })
      const tools = yield* mcp.availableTools
      expect(tools.map((tool) => tool.server)).toEqual(sdkToolNames.map(() => "alive"))
    }))

  it.scopedLive("re-initializes transparently when a server forgets its sessions", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      yield* mcp.callTool("one", "add", { a: 1, b: 2 }, { auth: "u" })
      const created = peer.createdSessions()
      peer.forgetSessions()
      expect((yield* mcp.callTool("one", "add", { a: 1, b: 2 }, { auth: "u" })).content).toEqual([{ type: "text", text: "3" }])
      expect(peer.executions("add")).toBe(2)
      expect(peer.createdSessions()).toBe(created + 1)
    }))

  it.scopedLive("holds calls to a server to its concurrency limit", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, maxConcurrency: 2 }] })
      yield* mcp.listTools("one")
      const calls = yield* Effect.fork(Effect.all(Array.from({ length: 5 }, () => mcp.callTool("one", "gate", {})), { concurrency: "unbounded" }))
      for (let released = 0; released < 5; released++) {
        yield* eventuallyValue(
          Effect.sync(() => [peer.executions("gate"), peer.gate.running()] as const),
          ([started, running]) => started === Math.min(5, 2 + released) && running === Math.min(2, 5 - released)
        )
        peer.gate.release()
      }
      expect((yield* Fiber.join(calls)).length).toBe(5)
      expect(peer.gate.maxRunning()).toBe(2)
      expect(peer.executions("gate")).toBe(5)
    }))

  it.scopedLive("probes the health path with GET when one is configured", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, healthPath: "/health" }] })
      expect((yield* mcp.checkHealth("one")).status).toBe("healthy")
      peer.setHealthStatus(503)
      const down = yield* mcp.checkHealth("one")
      expect(down.status).toBe("unhealthy")
      expect(down.error).toContain("GET http://127.0.0.1:")
      expect(down.error).toContain("/health was answered with HTTP 503: down")
      expect(peer.posts("ping")).toBe(0)
    }))

  it.scopedLive("a call is one span named after it, with its server and tool, when a tracer is installed", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      const { spans, tracer: recording } = recordingTracer()
      yield* mcp.callTool("one", "echo", { text: "traced" }).pipe(Effect.withTracer(recording))
      yield* Effect.withTracer(mcp.callTool("one", "add", { a: 1, b: 2 }), recording).pipe(Effect.withTracerEnabled(false))
      const calls = spans.filter((span) => span.kind === "client" && span.attributes.get("mcp.method.name") === "tools/call")
      expect(calls.map((span) => span.name)).toEqual(["tools/call echo"])
      expect(calls[0]!.attributes.get("gen_ai.tool.name")).toBe("echo")
      expect(calls[0]!.attributes.get("mcp.server")).toBe("one")
      expect(calls[0]!.status._tag).toBe("Ended")
    }))

  it.scopedLive("what an application writes to health reaches subscribers until the next transition, never the circuits", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }, { name: "two", url: peer.url }], healthInterval: "1 hour" })
      const states = yield* mcp.checkAllHealth
      const opened: McpHealth.ServerHealth = {
        ...states.get("one")!,
        status: "unhealthy",
        circuit: "open",
        consecutiveFailures: 99,
        retryAt: DateTime.unsafeMake(Date.now() + 3_600_000)
      }
      yield* SubscriptionRef.set(mcp.health, new Map(states).set("one", opened))
      expect((yield* SubscriptionRef.get(mcp.health)).get("one")?.circuit).toBe("open")
      const result = yield* mcp.callTool("one", "echo", { text: "through" })
      expect(result.content).toEqual([{ type: "text", text: "through" }])
      // a transition of another server publishes the client's own state again
      yield* mcp.checkHealth("two")
      expect((yield* SubscriptionRef.get(mcp.health)).get("one")?.circuit).toBe("closed")
      expect((yield* mcp.callTool("one", "echo", { text: "still" })).content).toEqual([{ type: "text", text: "still" }])
    }))

  it.scopedLive("never repeats an unsafe tool after a timeout or a connection cut after it ran", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, retry: fastRetry }] })
      yield* mcp.listTools("one")
      const slow = yield* failureOf(mcp.callTool("one", "slow", {}, { timeout: "200 millis" }))
      expect(slow._tag === "TransportError" && slow.reason).toBe("Timeout")
      expect(peer.executions("slow")).toBe(1)
      yield* eventually(() => peer.cancelled.length === 1, "notifications/cancelled")
      expect(peer.posts("tools/call")).toBe(1)
      peer.failNext({ times: 1, status: 200, cut: true })
      const cut = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }))
      expect(cut._tag === "TransportError" && cut.reason).toBe("Closed")
      expect(peer.executions("add")).toBe(1)
      expect(peer.posts("tools/call")).toBe(2)
      peer.failNext({ times: 1, status: 200, cut: true })
      const safe = yield* mcp.callTool("one", "echo", { text: "again" })
      expect(safe.content).toEqual([{ type: "text", text: "again" }])
      expect(peer.executions("echo")).toBe(2)
    }))

  it.scopedLive("bounds a call by its own timeout, opening the session included, with retry false", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => undefined, { hangOnInitialize: true })
      const mcp = yield* client({ servers: [{ name: "hang", url: peer.url, timeout: "1 hour" }], healthInterval: "1 hour" })
      const error = yield* failureOf(mcp.callTool("hang", "anything", {}, { timeout: "100 millis", retry: false }))
      expect(error._tag === "TransportError" && error.reason).toBe("Timeout")
      expect(error.message).toBe(`MCP server "hang", tool "anything": Timeout: no answer within 100ms`)
    }))

  it.scopedLive("keeps each token's tool list apart", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      const done = yield* mcp.callTool("one", "admin_only", {}, { auth: "admin" })
      expect(done.content).toEqual([{ type: "text", text: "admin_only done" }])
      expect((yield* mcp.listTools("one")).map((tool) => tool.name)).not.toContain("admin_only")
      expect((yield* mcp.availableTools).map((tool) => tool.name)).not.toContain("admin_only")
      const denied = yield* failureOf(mcp.callTool("one", "admin_only", {}, { auth: "someone" }))
      expect(denied._tag).toBe("UnknownToolError")
    }))

  it.scopedLive("a server that refuses token-less probes stays healthy for callers with a token", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json", { requireAuth: true })
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }], failureThreshold: 1 })
      const probed = yield* mcp.checkHealth("one")
      expect(probed.status).toBe("healthy")
      expect(probed.circuit).toBe("closed")
      const result = yield* mcp.callTool("one", "echo", { text: "with token" }, { auth: "user" })
      expect(result.content).toEqual([{ type: "text", text: "with token" }])
    }))

  it.scopedLive("refuses a bad per-call header without a request or a mark on the server's health", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }], failureThreshold: 1 })
      yield* mcp.listTools("one")
      const before = peer.posts("tools/call")
      const error = yield* failureOf(mcp.callTool("one", "echo", { text: "x" }, { headers: { "x-trace": "a\nb" } }))
      expect(error._tag === "ProtocolError" && error.code).toBe(-32602)
      expect(peer.posts("tools/call")).toBe(before)
      expect((yield* mcp.callTool("one", "echo", { text: "fine" })).content).toEqual([{ type: "text", text: "fine" }])
    }))

  it.scopedLive("a call after the client closed is a Closed error, not an interruption", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const scope = yield* Scope.make()
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      const error = yield* failureOf(mcp.callTool("one", "echo", { text: "late" }))
      expect(error.message).toBe(`MCP server "one", tool "echo": Closed: the MCP client is closed`)
    }))

  it.scopedLive("names the known servers and the available tools when a name is wrong", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      const server = yield* failureOf(mcp.callTool("two", "echo", {}))
      expect(server.message).toBe(`Unknown MCP server "two"; configured servers: one`)
      const listed = peer.posts("tools/list")
      const tool = yield* failureOf(mcp.callTool("one", "nope", {}))
      expect(tool._tag).toBe("UnknownToolError")
      expect(tool.message).toBe(`MCP server "one" offers no tool "nope"; available: ${sdkToolNames.join(", ")}`)
      expect(peer.posts("tools/list")).toBeGreaterThan(listed)
    }))

  it.scopedLive("refuses arguments that are not an object and bad tokens without sending anything", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      const before = peer.posts("tools/call")
      const array = yield* failureOf(mcp.callTool("one", "echo", ["x"]))
      expect(array._tag === "ProtocolError" && array.code).toBe(-32602)
      expect(array.message).toContain("arguments must be a JSON object, got an array")
      const token = yield* failureOf(mcp.callTool("one", "echo", { text: "x" }, { auth: "bad token\n" }))
      expect(token.message).toContain("the bearer token is empty or has characters not allowed")
      expect(token.message).not.toContain("bad token")
      expect(peer.posts("tools/call")).toBe(before)
    }))

  it.scopedLive("forwards each caller's token in its own session and never shows it", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      yield* mcp.callTool("one", "echo", { text: "1" }, { auth: Redacted.make("jwt-alice") })
      yield* mcp.callTool("one", "echo", { text: "2" }, { auth: "jwt-bob" })
      yield* mcp.callTool("one", "echo", { text: "3" }, { auth: "jwt-alice" })
      expect(peer.callAuthorizations).toEqual(["Bearer jwt-alice", "Bearer jwt-bob", "Bearer jwt-alice"])
      const sessionsByToken = new Map<string, Set<string>>()
      for (const request of peer.requests) {
        const auth = request.headers.authorization
        const session = request.headers["mcp-session-id"]
        if (typeof auth === "string" && typeof session === "string") {
          sessionsByToken.set(auth, (sessionsByToken.get(auth) ?? new Set()).add(session))
        }
      }
      const alice = [...(sessionsByToken.get("Bearer jwt-alice") ?? [])]
      const bob = [...(sessionsByToken.get("Bearer jwt-bob") ?? [])]
      expect(alice.length).toBe(1)
      expect(bob.length).toBe(1)
      expect(alice[0]).not.toBe(bob[0])
      const status = JSON.stringify(yield* mcp.status)
      expect(status).not.toContain("jwt-")
    }))

  it.scopedLive("retries 503 bursts, even for an unsafe tool, and 500 only for a safe one", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, retry: fastRetry }] })
      peer.failNext({ times: 2, status: 503 })
      const unsafe = yield* mcp.callTool("one", "add", { a: 1, b: 1 })
      expect(unsafe.content).toEqual([{ type: "text", text: "2" }])
      expect(peer.executions("add")).toBe(1)
      peer.failNext({ times: 1, status: 500 })
      const refused = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }))
      expect(refused._tag === "TransportError" && refused.status).toBe(500)
      peer.failNext({ times: 2, status: 500 })
      const safe = yield* mcp.callTool("one", "echo", { text: "ok" })
      expect(safe.content).toEqual([{ type: "text", text: "ok" }])
      peer.failNext({ times: 1, status: 502, afterRun: true })
      const idempotent = yield* mcp.callTool("one", "add", { a: 2, b: 2 }, { idempotent: true })
      expect(idempotent.content).toEqual([{ type: "text", text: "4" }])
    }))

  it.scopedLive("retries an unsafe tool while its call has not left (opening the session, listing its tools), never once it has", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, retry: fastRetry }], healthInterval: "1 hour" })
      // the first probe opens the token-less session: the faults below are the calls' alone
      yield* eventually(() => peer.posts("ping") === 1, "the first probe")
      // 500 is transient but not a proof that nothing ran: only "not sent" lets an unsafe tool retry it
      peer.failNext({ times: 1, status: 500, method: "initialize" })
      const afterInitialize = yield* mcp.callTool("one", "add", { a: 1, b: 1 }, { auth: "token-1" })
      expect(afterInitialize.content).toEqual([{ type: "text", text: "2" }])
      expect(peer.posts("initialize")).toBe(3)
      peer.failNext({ times: 1, status: 500, method: "tools/list" })
      const afterList = yield* mcp.callTool("one", "add", { a: 2, b: 2 }, { auth: "token-2" })
      expect(afterList.content).toEqual([{ type: "text", text: "4" }])
      expect(peer.executions("add")).toBe(2)
      expect(peer.posts("tools/call")).toBe(2)
      peer.failNext({ times: 1, status: 500 })
      const sent = yield* failureOf(mcp.callTool("one", "add", { a: 3, b: 3 }, { auth: "token-2" }))
      expect(sent._tag === "TransportError" && sent.status).toBe(500)
      expect(peer.posts("tools/call")).toBe(3)
    }))

  it.scopedLive("survives a server killed and restarted on the same port", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, retry: fastRetry }] })
      yield* mcp.callTool("one", "echo", { text: "before" })
      yield* Effect.promise(() => peer.stop())
      const down = yield* failureOf(mcp.callTool("one", "echo", { text: "down" }))
      expect(down._tag === "TransportError" && down.reason).toBe("Connect")
      expect((yield* mcp.checkHealth("one")).status).toBe("unhealthy")
      yield* Effect.promise(() => peer.start())
      expect((yield* mcp.checkHealth("one")).status).toBe("healthy")
      const after = yield* mcp.callTool("one", "echo", { text: "after" })
      expect(after.content).toEqual([{ type: "text", text: "after" }])
    }))

  it.scopedLive("a server down at start does not fail the Layer and turns healthy when it comes up", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      yield* Effect.promise(() => peer.stop())
      const mcp = yield* client({ servers: [{ name: "late", url: peer.url }], healthInterval: "20 millis" })
      const down = yield* eventuallyValue(mcp.health.get, (states) => states.get("late")?.status === "unhealthy")
      expect(down.get("late")?.error).toContain("ECONNREFUSED")
      yield* Effect.promise(() => peer.start())
      yield* eventuallyValue(mcp.isHealthy("late"), (healthy) => healthy)
      expect(yield* mcp.healthyServers).toEqual(["late"])
    }))

  it.scopedLive("refreshes the tool cache when the server announces tools/list_changed", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url }] })
      const before = yield* mcp.listTools("one")
      expect(before.map((tool) => tool.name)).toEqual(sdkToolNames)
      yield* Effect.promise(() => peer.addTool("late_tool"))
      const after = yield* eventuallyValue(mcp.listTools("one"), (tools) => tools.some((tool) => tool.name === "late_tool"))
      expect(after.map((tool) => tool.name)).toEqual([...sdkToolNames, "late_tool"])
    }))

  it.scopedLive("closing the scope deletes every session on every server", () =>
    Effect.gen(function*() {
      const a = yield* sdkPeer("sse")
      const b = yield* sdkPeer("json")
      const scope = yield* Scope.make()
      const mcp = yield* client({ servers: [{ name: "a", url: a.url }, { name: "b", url: b.url }] }).pipe(Scope.extend(scope))
      yield* mcp.callTool("a", "echo", { text: "x" }, { auth: "u1" })
      yield* mcp.callTool("a", "echo", { text: "x" }, { auth: "u2" })
      yield* mcp.callTool("b", "echo", { text: "x" })
      yield* mcp.checkAllHealth
      expect(a.liveSessions()).toBe(3)
      expect(b.liveSessions()).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(a.liveSessions()).toBe(0)
      expect(b.liveSessions()).toBe(0)
    }))

  it.scopedLive.prop(
    "an unsafe tool runs at most once per call whatever the faults; a safe one succeeds when they clear in time",
    {
      faults: FastCheck.array(
        // 429 and 503 say the server declined the request, so they never come after a run
        FastCheck.record({
          status: FastCheck.constantFrom(408, 429, 500, 502, 503, 504),
          afterRun: FastCheck.boolean(),
          cut: FastCheck.boolean()
        }).map((fault) => {
          const declined = fault.status === 429 || fault.status === 503
          return { ...fault, afterRun: fault.afterRun && !declined, cut: fault.cut && !declined }
        }),
        { maxLength: 4 }
      )
    },
    ({ faults }) =>
      Effect.gen(function*() {
        const peer = yield* sdkPeer("json")
        const mcp = yield* client({
          servers: [{ name: "one", url: peer.url, retry: { ...fastRetry, times: 5 } }],
          failureThreshold: 100
        })
        yield* mcp.listTools("one")
        for (const fault of faults) peer.failNext({ times: 1, ...fault })
        yield* Effect.either(mcp.callTool("one", "add", { a: 1, b: 1 }))
        expect(peer.executions("add")).toBeLessThanOrEqual(1)
        peer.clearFaults()
        for (const fault of faults) peer.failNext({ times: 1, ...fault })
        const safe = yield* mcp.callTool("one", "echo", { text: "through" })
        expect(safe.content).toEqual([{ type: "text", text: "through" }])
      }),
    { fastCheck: { numRuns: 25 } }
  )
})
