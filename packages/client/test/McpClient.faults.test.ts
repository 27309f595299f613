/**
 * The fault-tolerance suite: McpClient against the official SDK server with faults injected per
 * request (statuses with and without Retry-After, delays, hangs, cuts after the tool ran, cuts in
 * the middle of an SSE stream, invalid JSON, the wrong shape, oversized answers, forgotten
 * sessions, a health endpoint that disagrees with MCP, a server stopped and restarted on its
 * port). The peer counts every execution per tool and arguments, so duplicates show.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { McpClient, McpHttpClient } from "../src/index.js"
import { eventually, failureOf } from "./support/effects.js"
import { answerJson, rawPeer } from "./support/rawPeer.js"
import { type Fault, sdkPeer } from "./support/sdkPeer.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const fastRetry = { base: "5 millis", max: "20 millis" } as const

/** One injected fault, and whether a retry may get past it. */
const fault: FastCheck.Arbitrary<{ readonly fault: Omit<Fault, "times">; readonly transient: boolean }> = FastCheck.oneof(
  FastCheck.record({ status: FastCheck.constantFrom(408, 429, 500, 502, 503, 504), retryAfter: FastCheck.constantFrom(undefined, "0") })
    .map(({ retryAfter, status }) => ({ fault: retryAfter === undefined ? { status } : { status, retryAfter }, transient: true })),
  FastCheck.constantFrom(502, 500, 504).map((status) => ({ fault: { status, afterRun: true }, transient: true })),
  FastCheck.constant({ fault: { cut: true }, transient: true }),
  FastCheck.constant({ fault: { answer: "cut-sse" as const }, transient: true }),
  FastCheck.constant({ fault: { hang: true }, transient: true }),
  FastCheck.constant({ fault: { delayMs: 1_000 }, transient: true }),
  // an answer cut short or garbled may have run, like a cut connection: retried for safe tools
  FastCheck.constant({ fault: { answer: "invalid-json" as const }, transient: true }),
  FastCheck.constant({ fault: { answer: "wrong-shape" as const }, transient: false })
)

const describesServer = (cause: Cause.Cause<unknown>, server: string): boolean => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "None") return false
  const error = failure.value
  return typeof error === "object" && error !== null && "_tag" in error && "message" in error &&
    String(error.message).includes(`MCP server "${server}"`)
}

describe("McpClient under injected faults", () => {
  it.scopedLive.prop(
    "an unsafe tool runs at most once per call whatever the faults; a safe one succeeds once transient faults clear",
    { faults: FastCheck.array(fault, { minLength: 1, maxLength: 3 }) },
    ({ faults }) =>
      Effect.gen(function*() {
        const peer = yield* sdkPeer("json")
        const mcp = yield* client({
          servers: [{ name: "one", url: peer.url, retry: { ...fastRetry, times: 4 }, timeout: "250 millis" }],
          failureThreshold: 1_000,
          healthInterval: "1 hour"
        })
        yield* mcp.listTools("one")
        for (const { fault } of faults) peer.failNext({ times: 1, ...fault })
        const unsafe = yield* Effect.exit(mcp.callTool("one", "add", { a: 1, b: 2 }))
        expect(peer.executions("add")).toBeLessThanOrEqual(1)
        if (Exit.isFailure(unsafe)) expect(describesServer(unsafe.cause, "one")).toBe(true)
        peer.clearFaults()
        for (const { fault } of faults) peer.failNext({ times: 1, ...fault })
        const safe = yield* Effect.exit(mcp.callTool("one", "echo", { text: "through" }))
        if (faults.every((f) => f.transient)) {
          expect(Exit.isSuccess(safe)).toBe(true)
        } else {
          expect(Exit.isFailure(safe) && describesServer(safe.cause, "one")).toBe(true)
        }
        expect(peer.duplicates().filter((key) => key.startsWith("add "))).toEqual([])
      }),
    { fastCheck: { numRuns: 20 } }
  )

  it.scoped("a call to a server that never answers ends at its deadline with a Timeout naming the server", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, timeout: "10 seconds" }], healthInterval: "1 hour" })
      yield* mcp.listTools("one")
      peer.failNext({ times: 1, hang: true })
      const call = yield* Effect.fork(mcp.callTool("one", "add", { a: 1, b: 1 }))
      yield* TestServices.provideLive(eventually(() => peer.posts("tools/call") === 1, "the call to arrive"))
      yield* TestClock.adjust("9 seconds")
      expect(call.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1100 millis")
      const error = yield* failureOf(Fiber.join(call))
      expect(error.message).toBe(`MCP server "one", tool "add": Timeout: no answer within 10s`)
      expect(peer.executions("add")).toBe(0)
    }))

  it.scoped("a call whose session must be re-opened still ends at its own deadline when re-opening hangs", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((request, res) => {
        if (request.message?.method === "tools/list") {
          answerJson(res, request.message.id, { tools: [{ name: "echo", inputSchema: { type: "object" } }] })
        } else if (request.method === "GET") {
          res.writeHead(405).end()
        } else {
          // the server restarted: it has forgotten the session, and will not answer `initialize`
          res.writeHead(404).end()
        }
      }, { sessionId: "s-1", hangOnInitialize: (initializations) => initializations > 1 })
      const initializations = () => peer.requests.filter((request) => request.message?.method === "initialize").length
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, timeout: "1 hour" }], healthInterval: "1 hour" })
      yield* mcp.listTools("one")
      const call = yield* Effect.fork(mcp.callTool("one", "echo", {}, { timeout: "200 millis", retry: false }))
      yield* TestServices.provideLive(eventually(() => initializations() === 2, "the second initialize"))
      yield* TestClock.adjust("300 millis")
      const error = yield* failureOf(Fiber.join(call))
      expect(error.message).toBe(`MCP server "one", tool "echo": Timeout: no answer within 200ms`)
    }))

  it.scopedLive("every call of a faulty mix ends with a result or a typed error naming its server, never a defect", () =>
    Effect.gen(function*() {
      const rejections: Array<unknown> = []
      const onRejection = (reason: unknown) => rejections.push(reason)
      process.on("unhandledRejection", onRejection)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.off("unhandledRejection", onRejection)))
      const peer = yield* sdkPeer("sse")
      const mcp = yield* client({
        servers: [{ name: "one", url: peer.url, retry: fastRetry, timeout: "300 millis" }],
        healthInterval: "1 hour",
        failureThreshold: 1_000
      })
      const faults: ReadonlyArray<Omit<Fault, "times">> = [
        { status: 503 }, { status: 500, afterRun: true }, { cut: true }, { answer: "cut-sse" }, { hang: true },
        { answer: "invalid-json" }, { answer: "wrong-shape" }, { delayMs: 500 }, { status: 429, retryAfter: "0" }
      ]
      for (const [i, each] of faults.entries()) peer.failNext({ times: 2, ...each, method: i % 2 === 0 ? "tools/call" : "*" })
      const exits = yield* Effect.forEach(
        Array.from({ length: 60 }, (_, i) => i),
        (i) => Effect.exit(mcp.callTool("one", i % 3 === 0 ? "echo" : "add", i % 3 === 0 ? { text: `t${i}` } : { a: i, b: 0 })),
        { concurrency: 12 }
      )
      for (const exit of exits) {
        if (Exit.isFailure(exit)) {
          expect(Cause.isDie(exit.cause)).toBe(false)
          expect(describesServer(exit.cause, "one")).toBe(true)
        }
      }
      expect(exits.some(Exit.isSuccess)).toBe(true)
      expect(rejections).toEqual([])
      expect(peer.duplicates().filter((key) => key.startsWith("add "))).toEqual([])
    }))

  it.scopedLive("an oversized answer is cut off at the limit (default 16 MiB) without reading it whole", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({
        servers: [{ name: "small", url: peer.url, maxMessageSize: 1024 * 1024, retry: { times: 1 } }, { name: "default", url: peer.url, retry: { times: 1 } }],
        healthInterval: "1 hour"
      })
      yield* mcp.listTools("small")
      yield* mcp.listTools("default")
      peer.failNext({ times: 1, oversizedBytes: 64 * 1024 * 1024 })
      const small = yield* failureOf(mcp.callTool("small", "echo", { text: "big" }))
      expect(small.message).toBe(`MCP server "small", tool "echo": Decode (HTTP 200): the answer is larger than the limit of 1048576 bytes`)
      const written = peer.oversizedWritten()
      expect(written).toBeLessThan(32 * 1024 * 1024)
      peer.failNext({ times: 1, oversizedBytes: 64 * 1024 * 1024 })
      const big = yield* failureOf(mcp.callTool("default", "echo", { text: "big" }))
      expect(big.message).toContain(`the answer is larger than the limit of ${16 * 1024 * 1024} bytes`)
      expect(peer.oversizedWritten() - written).toBeLessThan(64 * 1024 * 1024)
    }))

  it.scoped("health shows a fault within one interval, the recovery within one interval, and follows a health endpoint that disagrees with MCP", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "one", url: peer.url, healthPath: "/health" }], healthInterval: "10 seconds" })
      const state = () => Effect.runSync(mcp.health.get).get("one")
      const live = (condition: () => boolean, what: string) => TestServices.provideLive(eventually(condition, what))
      yield* live(() => state()?.status === "healthy", "the first probe")
      yield* Effect.promise(() => peer.stop())
      yield* TestClock.adjust("10 seconds")
      yield* live(() => state()?.status === "unhealthy", "the fault to show")
      yield* Effect.promise(() => peer.start())
      yield* TestClock.adjust("10 seconds")
      yield* live(() => state()?.status === "healthy", "the recovery to show")
      peer.setHealthStatus(503)
      yield* TestClock.adjust("10 seconds")
      yield* live(() => state()?.status === "unhealthy", "a health endpoint that fails")
      const stillWorks = yield* mcp.callTool("one", "echo", { text: "MCP still answers" })
      expect(stillWorks.content).toEqual([{ type: "text", text: "MCP still answers" }])
      expect(state()?.status).toBe("healthy")
      // the reverse: the health endpoint answers while MCP refuses every request
      peer.setHealthStatus(200)
      peer.failNext({ times: 1_000, status: 503, method: "*" })
      const refused = yield* failureOf(mcp.callTool("one", "echo", { text: "refused" }, { retry: false }))
      expect(refused.message).toContain(`MCP server "one", tool "echo": Status (HTTP 503)`)
      expect(state()?.status).toBe("unhealthy")
      expect((yield* mcp.checkHealth("one")).status).toBe("healthy")
      peer.clearFaults()
    }))

  it.scopedLive("calls to a healthy server are not held up by another server that hangs", () =>
    Effect.gen(function*() {
      const stuck = yield* sdkPeer("json")
      const fine = yield* sdkPeer("json")
      const mcp = yield* client({
        servers: [{ name: "stuck", url: stuck.url, timeout: "30 seconds", maxConcurrency: 4 }, { name: "fine", url: fine.url }],
        healthInterval: "1 hour"
      })
      yield* mcp.listTools("stuck")
      stuck.failNext({ times: 100, hang: true })
      const hanging = yield* Effect.fork(Effect.all(Array.from({ length: 20 }, () => Effect.exit(mcp.callTool("stuck", "add", { a: 1, b: 1 }))), { concurrency: "unbounded" }))
      yield* eventually(() => stuck.posts("tools/call") === 4, "the stuck server to hold 4 calls")
      const results = yield* Effect.all(Array.from({ length: 50 }, (_, i) => mcp.callTool("fine", "echo", { text: `n${i}` })), { concurrency: 16 })
      expect(results.length).toBe(50)
      expect(hanging.unsafePoll()).toBeNull()
      yield* Fiber.interrupt(hanging)
    }))

  it.scopedLive("an interrupted call on an open session aborts its request, and the server hears the cancellation", () =>
    Effect.gen(function*() {
      // a server that never answers a call; it sees a request abandoned as its connection closing
      const abandoned: Array<unknown> = []
      const cancelled: Array<unknown> = []
      const peer = yield* rawPeer((request, res) => {
        const message = request.message
        if (message?.method === "tools/list") {
          answerJson(res, message.id, { tools: [{ name: "hang", inputSchema: { type: "object" } }] })
        } else if (message?.method === "tools/call") {
          res.on("close", () => abandoned.push(message.id))
        } else if (message?.method === "notifications/cancelled") {
          cancelled.push(message)
          res.writeHead(202).end()
        } else {
          res.writeHead(405).end()
        }
      })
      const mcp = yield* client({ servers: [{ name: "raw", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.listTools("raw")
      const fiber = yield* Effect.fork(mcp.callTool("raw", "hang", {}))
      yield* eventually(() => peer.requests.some((request) => request.message?.method === "tools/call"), "the call to reach the server")
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => abandoned.length === 1, "the call's request to be aborted")
      yield* eventually(() => cancelled.length === 1, "notifications/cancelled")
    }))

  it.scopedLive("a call whose request waits for a connection ends at its deadline, unsent", () =>
    Effect.gen(function*() {
      // one connection, held by a call the server never answers
      const peer = yield* rawPeer((request, res) => {
        const message = request.message
        if (message?.method === "tools/list") {
          answerJson(res, message.id, { tools: [{ name: "hang", inputSchema: { type: "object" } }, { name: "echo", inputSchema: { type: "object" } }] })
        } else if (message?.method === "tools/call" && JSON.stringify(message).includes("\"echo\"")) {
          answerJson(res, message.id, { content: [{ type: "text", text: "echo" }] })
        } else if (message?.method !== "tools/call") {
          res.writeHead(202).end()
        }
      })
      const mcp = yield* Effect.map(
        Layer.build(McpClient.layer({ servers: [{ name: "raw", url: peer.url, retry: { times: 1 } }], healthInterval: "1 hour" }).pipe(
          Layer.provide(McpHttpClient.layerUndiciWith({ connections: 1 }))
        )),
        (context) => Context.get(context, McpClient.McpClient)
      )
      yield* mcp.listTools("raw")
      yield* Effect.fork(mcp.callTool("raw", "hang", {}, { timeout: "1 hour" }))
      yield* eventually(() => peer.requests.some((request) => request.message?.method === "tools/call"), "the hanging call to reach the server")
      const error = yield* failureOf(mcp.callTool("raw", "echo", {}, { timeout: "200 millis" }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", server: "raw", tool: "echo" })
      expect(peer.requests.filter((request) => request.message?.method === "tools/call")).toHaveLength(1)
    }))

  it.scopedLive("soak: 20 000 mixed calls across 3 servers with 10% faults", () =>
    Effect.gen(function*() {
      v8.setFlagsFromString("--expose-gc")
      const gc = vm.runInNewContext("gc") as () => void
      const peers = [
        yield* sdkPeer("json", { record: false }),
        yield* sdkPeer("sse", { record: false }),
        yield* sdkPeer("stateless", { record: false })
      ]
      const scope = yield* Scope.make()
      const maxConcurrency = 8
      const mcp = yield* client({
        servers: peers.map((peer, i) => ({ name: `s${i}`, url: peer.url, maxConcurrency, timeout: "2 seconds", retry: fastRetry })),
        failureThreshold: 1_000_000,
        healthInterval: "200 millis"
      }).pipe(Scope.extend(scope))
      for (const [i] of peers.entries()) yield* mcp.listTools(`s${i}`)
      const kinds: ReadonlyArray<Omit<Fault, "times">> = [
        { status: 503 }, { status: 502, afterRun: true }, { cut: true }, { answer: "invalid-json" }, { status: 429, retryAfter: "0" }, { delayMs: 50 }
      ]
      let seed = 7
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
      const total = 20_000
      let failures = 0
      let heapAtHalf = 0
      for (let batch = 0; batch < total / 2_000; batch++) {
        if (batch === total / 4_000) {
          gc()
          heapAtHalf = process.memoryUsage().heapUsed
        }
        for (let i = 0; i < 200; i++) peers[Math.floor(random() * 3)]!.failNext({ times: 1, ...kinds[Math.floor(random() * kinds.length)]! })
        const exits = yield* Effect.forEach(Array.from({ length: 2_000 }, (_, i) => batch * 2_000 + i), (n) => {
          const server = `s${n % 3}`
          return Effect.exit(n % 2 === 0 ? mcp.callTool(server, "add", { a: n, b: 0 }) : mcp.callTool(server, "echo", { text: `n${n}` }))
        }, { concurrency: 48 })
        for (const exit of exits) {
          if (Exit.isFailure(exit)) {
            failures++
            expect(Cause.isDie(exit.cause)).toBe(false)
          }
        }
      }
      gc()
      // The second half of the run must not grow the heap much beyond the first. The peers run in
      // this process and keep something per call: one record each (for duplicates) and, inside the
      // official SDK server, about 1.7 KB (web Response objects of its Node adapter, seen in heap
      // snapshot diffs). The client's own heap stays flat over 100 000 calls in the benchmark,
      // where the peer runs in a process of its own.
      const growthMb = (process.memoryUsage().heapUsed - heapAtHalf) / 2 ** 20
      expect(failures).toBeLessThan(total * 0.1)
      for (const peer of peers) {
        expect(peer.duplicates().filter((key) => key.startsWith("add "))).toEqual([])
        // layerNode's pool: maxConcurrency + 4 sockets per server; a socket cut by a fault may
        // still be closing on the server's side when its replacement opens
        expect(peer.connections.max()).toBeLessThanOrEqual(maxConcurrency + 4 + 2)
      }
      expect(growthMb).toBeLessThan(30)
      yield* Scope.close(scope, Exit.void)
      for (const peer of peers) {
        expect(peer.liveSessions()).toBe(0)
        yield* eventually(() => peer.connections.open() === 0, "every socket to close")
      }
      // the retry warnings would be kept by the test runner's console capture and skew the heap
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Error)), { timeout: 120_000 })
})
