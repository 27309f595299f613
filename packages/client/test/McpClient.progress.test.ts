/**
 * `callTool` with `onProgress` and `maxTotalTimeout`, against the progress fixture (the official
 * SDK server over Streamable HTTP and stdio, whose tools report progress when the test tells them
 * to) and server-everything's long-running operation. Deadlines are the TestClock's; the test
 * moves it only while the call waits on a server that has been told to stay silent.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpClient, type McpRetry, type McpSession } from "../src/index.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"
import { everything, everythingHttp, progressFixture, progressHttp } from "./support/progressPeer.js"

type Transport = "stdio" | "http"

const client = (transport: Transport, server: Partial<{ timeout: Duration.DurationInput; retry: McpRetry.RetryOptions }> = {}) =>
  Effect.gen(function*() {
    const entry = transport === "stdio"
      ? { name: "progress", command: process.execPath, args: [progressFixture], ...server }
      : { name: "progress", url: yield* progressHttp, ...server }
    const context = yield* Layer.build(McpClient.layerNode({ servers: [entry], healthInterval: "1 hour" }))
    return Context.get(context, McpClient.McpClient)
  })

const text = (result: { readonly content: ReadonlyArray<unknown> }) => {
  const first = result.content[0]
  return typeof first === "object" && first !== null && "text" in first ? first.text : undefined
}

const live = <A, E, R>(effect: Effect.Effect<A, E, R>) => TestServices.provideLive(effect)

/** Waits (in real time) until something sleeps on the TestClock until `millis` from now. */
const sleeperDueIn = (millis: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    const sleeps = yield* TestClock.sleeps()
    if (!Chunk.some(sleeps, (at) => at === now + millis)) yield* Effect.zipRight(live(Effect.sleep("10 millis")), sleeperDueIn(millis))
  })

interface Jobs {
  readonly running: ReadonlyArray<string>
  readonly tokens: Record<string, unknown>
  readonly cancelled: ReadonlyArray<string>
}

/** The fixture's control tools, called without progress. */
const controls = (mcp: McpClient.Service) => {
  const call = (tool: string, args: Record<string, unknown>) => Effect.map(mcp.callTool("progress", tool, args), text)
  const jobs = Effect.map(call("jobs", {}), (json) => JSON.parse(String(json)) as Jobs)
  const until = (predicate: (jobs: Jobs) => boolean) => live(eventuallyValue(jobs, predicate))
  return { call, jobs, until }
}

const transports: ReadonlyArray<Transport> = ["http", "stdio"]

describe.each(transports)("McpClient progress over %s", (transport) => {
  // a second is 100 ms here: the deadlines are checked every 50 ms of the TestClock, each check a step to run
  it.scoped("progress pushes the deadline back; silence times out; maxTotalTimeout caps the call", () =>
    Effect.gen(function*() {
      const mcp = yield* client(transport, { timeout: "1 second" })
      const { call, until } = controls(mcp)
      const heard: Array<number> = []
      const work = (job: string, options: McpClient.CallOptions = {}) =>
        Effect.fork(mcp.callTool("progress", "work", { job }, {
          onProgress: (progress) => Effect.sync(() => heard.push(progress.progress)),
          ...options
        }))
      const step = (job: string, progress: number) =>
        live(Effect.zipRight(call("step", { job, progress }), eventually(() => heard.includes(progress))))

      // reports every 0.8 s for 3.2 s: well past its 1 s timeout
      const kept = yield* work("kept")
      yield* until((jobs) => jobs.running.includes("kept"))
      for (const progress of [1, 2, 3]) {
        yield* TestClock.adjust("800 millis")
        yield* step("kept", progress)
      }
      yield* TestClock.adjust("800 millis")
      yield* live(call("finish", { job: "kept" }))
      expect(text(yield* Fiber.join(kept))).toBe("done kept")

      // silent for 1 s after its last report: a timeout, and the server is told
      const quiet = yield* work("quiet")
      yield* until((jobs) => jobs.running.includes("quiet"))
      yield* TestClock.adjust("800 millis")
      yield* step("quiet", 4)
      yield* TestClock.adjust("900 millis")
      expect(quiet.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const timedOut = yield* failureOf(Fiber.join(quiet))
      expect(timedOut._tag === "TransportError" && timedOut.reason).toBe("Timeout")
      expect(timedOut.message).toContain("no answer nor progress within 1s")
      yield* until((jobs) => jobs.cancelled.includes("quiet"))

      // reports every 0.8 s, but the whole call may take 2 s
      const capped = yield* work("capped", { maxTotalTimeout: "2 seconds" })
      yield* until((jobs) => jobs.running.includes("capped"))
      yield* TestClock.adjust("800 millis")
      yield* step("capped", 5)
      yield* TestClock.adjust("800 millis")
      yield* step("capped", 6)
      yield* TestClock.adjust("300 millis")
      expect(capped.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const cut = yield* failureOf(Fiber.join(capped))
      expect(cut._tag === "TransportError" && cut.reason).toBe("Timeout")
      expect(cut.message).toContain("maxTotalTimeout of 2s")
      // the cap is the caller's limit, not a failure of the server (the last call before it succeeded)
      expect((yield* SubscriptionRef.get(mcp.health)).get("progress")?.consecutiveFailures).toBe(0)
      yield* until((jobs) => jobs.cancelled.includes("capped"))
    }))

  it.scoped("a handler that never ends holds the call neither past its timeout nor past maxTotalTimeout", () =>
    Effect.gen(function*() {
      const mcp = yield* client(transport, { timeout: "1 second" })
      const { call, until } = controls(mcp)
      // called as each notification is read; the effect it returns never ends
      const read: Array<number> = []
      let running = 0
      const work = (job: string, options: McpClient.CallOptions = {}) =>
        Effect.fork(mcp.callTool("progress", "work", { job }, {
          retry: false,
          onProgress: (progress) => {
            read.push(progress.progress)
            return Effect.suspend(() => {
              running++
              return Effect.onInterrupt(Effect.never, () => Effect.sync(() => running--))
            })
          },
          ...options
        }))
      const step = (job: string, progress: number) =>
        live(Effect.zipRight(call("step", { job, progress }), eventually(() => read.includes(progress))))

      // stuck in its handler from its first progress, and then silent for 1 s
      const quiet = yield* work("quiet")
      yield* until((jobs) => jobs.running.includes("quiet"))
      yield* step("quiet", 1)
      yield* live(eventually(() => running === 1, "the handler's start"))
      yield* TestClock.adjust("900 millis")
      expect(quiet.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const timedOut = yield* failureOf(Fiber.join(quiet))
      expect(timedOut._tag === "TransportError" && timedOut.reason).toBe("Timeout")
      expect(timedOut.message).toContain("no answer nor progress within 1s")
      yield* live(eventually(() => running === 0, "the handler's interruption"))
      yield* until((jobs) => jobs.cancelled.includes("quiet"))

      // stuck from its first progress; the progress read meanwhile still pushes its deadline back,
      // up to the whole call's 2 s
      const capped = yield* work("capped", { maxTotalTimeout: "2 seconds" })
      yield* until((jobs) => jobs.running.includes("capped"))
      yield* step("capped", 2)
      yield* TestClock.adjust("800 millis")
      yield* step("capped", 3)
      yield* TestClock.adjust("800 millis")
      yield* step("capped", 4)
      yield* TestClock.adjust("300 millis")
      expect(capped.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const cut = yield* failureOf(Fiber.join(capped))
      expect(cut.message).toContain("maxTotalTimeout of 2s")
      yield* live(eventually(() => running === 0, "the handler's interruption"))
      // one handler ran per call: the progress behind a stuck one was dropped with the call
      expect(read).toEqual([1, 2, 3, 4])
    }))

  it.scoped("maxTotalTimeout counts from the call's start, across retries", () =>
    Effect.gen(function*() {
      const mcp = yield* client(transport, { timeout: "1 second", retry: { base: "200 millis", max: "200 millis" } })
      const { until } = controls(mcp)
      const call = yield* Effect.fork(
        mcp.callTool("progress", "work", { job: "retried" }, { idempotent: true, maxTotalTimeout: "1500 millis" }).pipe(
          Effect.withRandom(Random.fixed([0.5]))
        )
      )
      yield* until((jobs) => jobs.running.includes("retried"))
      // the first attempt times out at 1 s, the second starts after a 0.2 s wait
      yield* TestClock.adjust("1 second")
      yield* until((jobs) => jobs.cancelled.includes("retried"))
      yield* sleeperDueIn(200)
      yield* TestClock.adjust("200 millis")
      yield* until((jobs) => jobs.running.includes("retried"))
      yield* TestClock.adjust("200 millis")
      expect(call.unsafePoll()).toBeNull()
      yield* TestClock.adjust("100 millis")
      const cut = yield* failureOf(Fiber.join(call))
      expect(cut.message).toContain("maxTotalTimeout of 1s 500ms")
      yield* until((jobs) => jobs.cancelled.length === 2)
    }))

  it.scopedLive("several calls in flight each get their own progress; none after the call ended; no token without onProgress", () =>
    Effect.gen(function*() {
      const mcp = yield* client(transport)
      const { call, jobs, until } = controls(mcp)
      const seen: Record<string, Array<McpSession.Progress>> = { a: [], b: [] }
      const work = (job: "a" | "b") =>
        Effect.fork(mcp.callTool("progress", "work", { job }, { onProgress: (progress) => Effect.sync(() => seen[job]!.push(progress)) }))
      const a = yield* work("a")
      const b = yield* work("b")
      const plain = yield* Effect.fork(mcp.callTool("progress", "work", { job: "plain" }))
      const { tokens } = yield* until((state) => state.running.length === 3)
      expect(tokens.plain).toBeNull()
      expect(tokens.a).not.toBeNull()
      expect(tokens.a).not.toEqual(tokens.b)

      yield* call("step", { job: "b", progress: 1, total: 2, message: "half" })
      yield* call("step", { job: "a", progress: 7 })
      yield* call("step", { job: "b", progress: 2, total: 2 })
      yield* eventually(() => seen.a!.length === 1 && seen.b!.length === 2)
      expect(seen).toEqual({ a: [{ progress: 7 }], b: [{ progress: 1, total: 2, message: "half" }, { progress: 2, total: 2 }] })

      yield* call("finish", { job: "a" })
      expect(text(yield* Fiber.join(a))).toBe("done a")
      yield* call("stray", { token: tokens.a })
      // b's progress after a's stray one: once b has it, a's was read (and dropped)
      yield* call("step", { job: "b", progress: 3 })
      yield* eventually(() => seen.b!.length === 3)
      expect(seen.a).toEqual([{ progress: 7 }])
      yield* call("finish", { job: "b" })
      yield* call("finish", { job: "plain" })
      expect(text(yield* Fiber.join(b))).toBe("done b")
      expect(text(yield* Fiber.join(plain))).toBe("done plain")
      expect((yield* jobs).running).toEqual([])
    }))
})

describe("McpClient progress with server-everything", () => {
  const entries = {
    stdio: Effect.succeed({ name: "everything", command: process.execPath, args: [everything, "stdio"] }),
    http: Effect.map(everythingHttp, (url) => ({ name: "everything", url }))
  }
  for (const [transport, entry] of Object.entries(entries)) {
    it.scopedLive(`two long-running operations at once each report their own steps over ${transport}`, () =>
      Effect.gen(function*() {
        const server = yield* entry
        const context = yield* Layer.build(McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }))
        const mcp = Context.get(context, McpClient.McpClient)
        const run = (steps: number) =>
          Effect.gen(function*() {
            const seen: Array<McpSession.Progress> = []
            const result = yield* mcp.callTool("everything", "trigger-long-running-operation", { duration: 0.3, steps }, {
              onProgress: (progress) => Effect.sync(() => seen.push(progress))
            })
            return { text: text(result), seen }
          })
        const [three, five] = yield* Effect.all([run(3), run(5)], { concurrency: 2 })
        expect(three.text).toContain("Steps: 3")
        expect(three.seen).toEqual([1, 2, 3].map((progress) => ({ progress, total: 3 })))
        expect(five.seen).toEqual([1, 2, 3, 4, 5].map((progress) => ({ progress, total: 5 })))
      }))
  }
})
