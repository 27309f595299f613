/**
 * Time-dependent behaviour of McpClient under TestClock, against a real SDK server: the HTTP
 * exchanges are real, every delay (retry waits, health interval, circuit reset, idle TTL) is the
 * TestClock's. A pending wait is observed exactly through `TestClock.sleeps`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpClient } from "../src/index.js"
import { eventually, failureOf } from "./support/effects.js"
import { answerJson, rawPeer } from "./support/rawPeer.js"
import { sdkPeer } from "./support/sdkPeer.js"

interface Retry {
  readonly delay: unknown
  readonly attempt: unknown
  readonly fields: Record<string, unknown>
  readonly level: string
}

/** The client, with its retry log lines captured, jitter pinned to 1.0. */
const client = (options: McpClient.McpClientOptions) =>
  Effect.gen(function*() {
    const retries: Array<Retry> = []
    const logger = Logger.make(({ annotations, logLevel, message }) => {
      if (String(message).includes("retrying")) {
        const fields = Object.fromEntries(annotations)
        retries.push({ delay: fields.delay, attempt: fields.attempt, fields, level: logLevel.label })
      }
    })
    const context = yield* Layer.build(McpClient.layerNode(options).pipe(Layer.provide(Logger.replace(Logger.defaultLogger, logger))))
    return { mcp: Context.get(context, McpClient.McpClient), retries }
  })

const waitFor = (condition: () => boolean, what?: string) => TestServices.provideLive(eventually(condition, what))

/** The wake-up times pending on the TestClock, relative to now. */
const pendingWaits = Effect.gen(function*() {
  const now = yield* TestClock.currentTimeMillis
  return Chunk.toReadonlyArray(yield* TestClock.sleeps()).map((at) => at - now)
})

const pinnedJitter = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withRandom(effect, Random.fixed([0.5]))

describe("McpClient timing under TestClock", () => {
  it.scoped("retries with the default policy: 3 attempts, waiting 1 s then 2 s", () =>
    pinnedJitter(Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp, retries } = yield* client({ servers: [{ name: "one", url: peer.url }] })
      yield* mcp.listTools("one")
      peer.failNext({ times: 5, status: 503 })
      const call = yield* Effect.fork(mcp.callTool("one", "echo", { text: "x" }))
      yield* waitFor(() => retries.length === 1)
      expect(peer.posts("tools/call")).toBe(1)
      expect(retries[0]).toMatchObject({ delay: "1s", attempt: "1/3", level: "WARN" })
      expect(retries[0]?.fields).toEqual({
        server: "one",
        tool: "echo",
        attempt: "1/3",
        delay: "1s",
        cause: `MCP server "one", tool "echo": Status (HTTP 503): "tools/call" was answered with HTTP 503: injected 503`
      })
      expect(yield* pendingWaits).toContain(1000)
      yield* TestClock.adjust("1 second")
      yield* waitFor(() => retries.length === 2)
      expect(peer.posts("tools/call")).toBe(2)
      expect(retries[1]).toMatchObject({ delay: "2s", attempt: "2/3" })
      expect(yield* pendingWaits).toContain(2000)
      yield* TestClock.adjust("2 seconds")
      const error = yield* failureOf(Fiber.join(call))
      expect(error._tag === "TransportError" && error.status).toBe(503)
      expect(peer.posts("tools/call")).toBe(3)
      expect(retries.length).toBe(2)
      peer.clearFaults()
      peer.failNext({ times: 1, status: 500 })
      const unsafe = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }))
      expect(unsafe._tag === "TransportError" && unsafe.status).toBe(500)
      expect(retries.length).toBe(2)
    })))

  it.scoped("retries with custom settings: 4 attempts from 200 ms, capped at 500 ms", () =>
    pinnedJitter(Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp, retries } = yield* client({
        servers: [{ name: "one", url: peer.url, retry: { times: 4, base: "200 millis", max: "500 millis" } }]
      })
      yield* mcp.listTools("one")
      peer.failNext({ times: 3, status: 502 })
      const call = yield* Effect.fork(mcp.callTool("one", "echo", { text: "x" }))
      for (const [i, delay] of [200, 400, 500].entries()) {
        yield* waitFor(() => retries.length === i + 1)
        expect(peer.posts("tools/call")).toBe(i + 1)
        expect(yield* pendingWaits).toContain(delay)
        yield* TestClock.adjust(delay)
      }
      const result = yield* Fiber.join(call)
      expect(result.content).toEqual([{ type: "text", text: "x" }])
      expect(peer.posts("tools/call")).toBe(4)
      expect(retries.map((retry) => retry.delay)).toEqual(["200ms", "400ms", "500ms"])
    })))

  it.scoped("honours Retry-After, and gives up when the server asks for longer than the cap", () =>
    pinnedJitter(Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp, retries } = yield* client({ servers: [{ name: "one", url: peer.url }] })
      yield* mcp.listTools("one")
      peer.failNext({ times: 1, status: 429, retryAfter: "5" })
      const first = yield* Effect.fork(mcp.callTool("one", "add", { a: 1, b: 2 }))
      yield* waitFor(() => retries.length === 1)
      expect(retries[0]?.delay).toBe("5s")
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(first)).content).toEqual([{ type: "text", text: "3" }])
      peer.failNext({ times: 1, status: 503, retryAfter: "60" })
      const refused = yield* failureOf(mcp.callTool("one", "add", { a: 2, b: 2 }))
      expect(refused._tag === "TransportError" && refused.retryAfter).toEqual(Duration.seconds(60))
      expect(retries.length).toBe(1)
      expect(peer.executions("add")).toBe(1)
    })))

  it.scoped("a deadline reached before the request left is retried even for an unsafe tool", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((request, res) => {
        const message = request.message
        if (message?.method === "tools/list") {
          answerJson(res, message.id, { tools: [{ name: "unsafe", inputSchema: { type: "object" } }] })
        } else if (message?.method === "tools/call") {
          answerJson(res, message.id, { content: [{ type: "text", text: "ran" }] })
        } else if (request.method === "GET") {
          res.writeHead(405).end()
        } else {
          res.writeHead(202).end()
        }
      }, { sessionId: "s-1", hangOnInitialize: (initializations) => initializations === 1 })
      const posted = (method: string) => peer.requests.filter((request) => request.message?.method === method).length
      // the health path keeps the probe from opening a session of its own
      const { mcp, retries } = yield* client({
        servers: [{ name: "one", url: peer.url, healthPath: "/health", timeout: "10 seconds", retry: { times: 2, base: "1 second", max: "1 second" } }],
        healthInterval: "1 hour"
      })
      const call = yield* Effect.fork(mcp.callTool("one", "unsafe", {}))
      yield* waitFor(() => posted("initialize") === 1, "the first initialize")
      yield* TestClock.adjust("10 seconds")
      yield* waitFor(() => retries.length === 1, "the retry")
      expect(retries[0]?.fields.cause).toBe(`MCP server "one", tool "unsafe": Timeout: no answer within 10s`)
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(call)
      expect(result.content).toEqual([{ type: "text", text: "ran" }])
      expect(posted("initialize")).toBe(2)
      expect(posted("tools/call")).toBe(1)
    }))

  it.scoped("a half-open trial that is interrupted gives its place to the next call at once", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp } = yield* client({
        servers: [{ name: "one", url: peer.url }],
        healthInterval: "1 hour",
        failureThreshold: 1,
        circuitResetAfter: "10 seconds"
      })
      yield* mcp.listTools("one")
      const state = () => Effect.runSync(mcp.health.get).get("one")
      peer.failNext({ times: 1, status: 500 })
      yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }, { retry: false }))
      expect(state()?.circuit).toBe("open")
      yield* TestClock.adjust("10 seconds")
      const trial = yield* Effect.fork(mcp.callTool("one", "gate", {}, { retry: false }))
      yield* waitFor(() => peer.gate.running() === 1, "the trial to reach the server")
      expect(state()?.circuit).toBe("half-open")
      const refused = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }))
      expect(refused._tag).toBe("ServerUnavailableError")
      yield* Fiber.interrupt(trial)
      expect(state()?.circuit).toBe("open")
      const next = yield* mcp.callTool("one", "add", { a: 2, b: 2 })
      expect(next.content).toEqual([{ type: "text", text: "4" }])
      expect(state()?.circuit).toBe("closed")
      peer.gate.release()
    }))

  it.scoped("probes every server once per health interval", () =>
    Effect.gen(function*() {
      const a = yield* sdkPeer("json")
      const b = yield* sdkPeer("sse")
      const { mcp } = yield* client({ servers: [{ name: "a", url: a.url }, { name: "b", url: b.url }] })
      yield* waitFor(() => a.posts("ping") === 1 && b.posts("ping") === 1)
      yield* waitFor(() => [...Effect.runSync(mcp.health.get).values()].every((state) => state.status === "healthy"))
      expect(yield* pendingWaits).toContain(30_000)
      yield* TestClock.adjust("30 seconds")
      yield* waitFor(() => a.posts("ping") === 2 && b.posts("ping") === 2)
      yield* TestClock.adjust("30 seconds")
      yield* waitFor(() => a.posts("ping") === 3 && b.posts("ping") === 3)
      expect(yield* mcp.healthyServers).toEqual(["a", "b"])
    }))

  it.scoped("counts consecutive probe failures and resets them on success", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      peer.failNext({ times: 2, status: 500, method: "ping" })
      const { mcp } = yield* client({ servers: [{ name: "one", url: peer.url }], healthInterval: "10 seconds" })
      const state = () => Effect.runSync(mcp.health.get).get("one")
      yield* waitFor(() => state()?.consecutiveFailures === 1, "one failure")
      expect(state()?.status).toBe("unhealthy")
      expect(state()?.error).toContain("HTTP 500")
      yield* TestClock.adjust("10 seconds")
      yield* waitFor(() => state()?.consecutiveFailures === 2, "two failures")
      yield* TestClock.adjust("10 seconds")
      yield* waitFor(() => state()?.status === "healthy", "recovery")
      expect(state()?.consecutiveFailures).toBe(0)
      expect(state()?.error).toBeUndefined()
      expect(state()?.responseTimeMs).toBeTypeOf("number")
    }))

  it.scoped("opens the circuit after the threshold, fails fast, and closes after a half-open trial", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp } = yield* client({
        servers: [{ name: "one", url: peer.url }],
        healthInterval: "1 hour",
        failureThreshold: 3,
        circuitResetAfter: "10 seconds"
      })
      yield* mcp.listTools("one")
      const state = () => Effect.runSync(mcp.health.get).get("one")
      peer.failNext({ times: 4, status: 500 })
      for (let i = 1; i <= 3; i++) {
        yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }, { retry: false }))
        expect(state()?.consecutiveFailures).toBe(i)
      }
      expect(state()?.circuit).toBe("open")
      const sent = peer.posts("tools/call")
      const fast = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }))
      expect(fast._tag).toBe("ServerUnavailableError")
      expect(fast.message).toContain(`MCP server "one" is unavailable after 3 consecutive failures`)
      expect(peer.posts("tools/call")).toBe(sent)
      yield* TestClock.adjust("10 seconds")
      const trial = yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }, { retry: false }))
      expect(trial._tag).toBe("TransportError")
      expect(state()?.circuit).toBe("open")
      expect(peer.posts("tools/call")).toBe(sent + 1)
      yield* TestClock.adjust("10 seconds")
      const recovered = yield* mcp.callTool("one", "add", { a: 1, b: 1 })
      expect(recovered.content).toEqual([{ type: "text", text: "2" }])
      expect(state()?.circuit).toBe("closed")
      expect(state()?.consecutiveFailures).toBe(0)
    }))

  it.scoped("availableTools leaves out a server whose circuit is open, without a request", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp } = yield* client({ servers: [{ name: "one", url: peer.url }], healthInterval: "1 hour", failureThreshold: 1 })
      expect((yield* mcp.availableTools).length).toBeGreaterThan(0)
      peer.failNext({ times: 1, status: 500 })
      yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }, { retry: false }))
      expect(Effect.runSync(mcp.health.get).get("one")?.circuit).toBe("open")
      const listed = peer.posts("tools/list")
      expect(yield* mcp.availableTools).toEqual([])
      expect(peer.posts("tools/list")).toBe(listed)
    }))

  it.scoped("a successful probe closes an open circuit", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp } = yield* client({ servers: [{ name: "one", url: peer.url }], healthInterval: "1 hour", failureThreshold: 1 })
      yield* mcp.listTools("one")
      peer.failNext({ times: 1, status: 500 })
      yield* failureOf(mcp.callTool("one", "add", { a: 1, b: 1 }, { retry: false }))
      expect(Effect.runSync(mcp.health.get).get("one")?.circuit).toBe("open")
      const probed = yield* mcp.checkHealth("one")
      expect(probed.circuit).toBe("closed")
      expect((yield* mcp.callTool("one", "add", { a: 1, b: 1 })).content).toEqual([{ type: "text", text: "2" }])
    }))

  it.scoped("deletes a session once it has been idle for the time-to-live", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const { mcp } = yield* client({
        servers: [{ name: "one", url: peer.url }],
        healthInterval: "1 hour",
        sessionIdleTimeToLive: "1 minute"
      })
      yield* waitFor(() => peer.liveSessions() === 1, "the probe's session")
      yield* mcp.callTool("one", "echo", { text: "x" }, { auth: "user-token" })
      expect(peer.liveSessions()).toBe(2)
      yield* TestClock.adjust("59 seconds")
      expect(yield* pendingWaits).toContain(1000)
      expect(peer.liveSessions()).toBe(2)
      yield* TestClock.adjust("2 seconds")
      yield* waitFor(() => peer.liveSessions() === 0, "both sessions deleted")
      expect(peer.requests.filter((request) => request.method === "DELETE").length).toBe(2)
    }))
})
