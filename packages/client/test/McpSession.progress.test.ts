/**
 * Progress of a session's requests, against the progress fixture (the official SDK server, over
 * stdio and over Streamable HTTP) whose tools report progress when the test tells them to, and
 * against server-everything's long-running operation. Deadlines are the TestClock's.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpSession } from "../src/index.js"
import { eventually, failureOf } from "./support/effects.js"
import { captureLogs } from "./support/logs.js"
import { everything, everythingHttp, progressFixture, progressHttp } from "./support/progressPeer.js"

type Transport = "stdio" | "http"

/** A session with the progress fixture over `transport`. */
const fixtureSession = (transport: Transport, options: Partial<McpSession.CommonOptions> = {}) =>
  transport === "stdio"
    ? McpSession.make({ server: "progress", command: process.execPath, args: [progressFixture], ...options })
    : Effect.flatMap(progressHttp, (url) => McpSession.make({ server: "progress", url, ...options }))

const text = (result: { readonly content: ReadonlyArray<unknown> }) => {
  const first = result.content[0]
  return typeof first === "object" && first !== null && "text" in first ? first.text : undefined
}

const control = (session: McpSession.McpSession, tool: string, args: Record<string, unknown>) =>
  Effect.map(session.callTool(tool, args), text)

const live = <A, E, R>(effect: Effect.Effect<A, E, R>) => TestServices.provideLive(effect)

/** Repeats `effect` every 10 ms until its value passes `until`. */
const poll = <A, E, R>(effect: Effect.Effect<A, E, R>, until: (a: A) => boolean) =>
  Effect.repeat(effect, { schedule: Schedule.spaced("10 millis"), until })

const transports: ReadonlyArray<Transport> = ["stdio", "http"]

describe.each(transports)("McpSession progress over %s", (transport) => {
  it.scopedLive("routes each request's progress to its own handler, in order, and none after it settled", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const session = yield* fixtureSession(transport)
      const seen: Record<string, Array<McpSession.Progress>> = { a: [], b: [] }
      const work = (job: "a" | "b") =>
        Effect.fork(session.callTool("work", { job }, {
          onProgress: (progress) => Effect.sync(() => seen[job]!.push(progress))
        }))
      const a = yield* work("a")
      const b = yield* work("b")
      const jobs = () => Effect.map(control(session, "jobs", {}), (json) => JSON.parse(String(json)) as { running: Array<string>; tokens: Record<string, unknown> })
      yield* poll(jobs(), (state) => state.running.length === 2)
      const tokens = (yield* jobs()).tokens
      expect(tokens.a).not.toBe(tokens.b)
      expect(tokens.a).not.toBeNull()

      yield* control(session, "step", { job: "a", progress: 1, total: 3, message: "one" })
      yield* control(session, "step", { job: "b", progress: 10 })
      yield* control(session, "step", { job: "a", progress: 2.5, total: 3 })
      yield* eventually(() => seen.a!.length === 2 && seen.b!.length === 1, "three progress notifications")
      expect(seen.a).toEqual([{ progress: 1, total: 3, message: "one" }, { progress: 2.5, total: 3 }])
      expect(seen.b).toEqual([{ progress: 10 }])

      yield* control(session, "finish", { job: "a" })
      expect(text(yield* Fiber.join(a))).toBe("done a")
      // a late notification under a's token reaches no one: it is logged at debug and dropped
      yield* control(session, "stray", { token: tokens.a })
      yield* eventually(() => lines.some((line) => String(line.message).includes(`ignored progress for ${JSON.stringify(tokens.a)}`)))
      expect(lines.find((line) => String(line.message).includes("ignored progress"))?.level).toBe("DEBUG")
      expect(seen.a!.length).toBe(2)

      yield* control(session, "step", { job: "b", progress: 11 })
      yield* eventually(() => seen.b!.length === 2)
      yield* control(session, "finish", { job: "b" })
      expect(text(yield* Fiber.join(b))).toBe("done b")
      expect(seen.b).toEqual([{ progress: 10 }, { progress: 11 }])
    }).pipe(Effect.provide(layer), Effect.provide(NodeHttpClient.layerUndici))
  })

  it.scopedLive("a failing progress handler is logged and the request goes on", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const session = yield* fixtureSession(transport)
      const call = yield* Effect.fork(session.callTool("work", { job: "failing" }, { onProgress: () => Effect.dieMessage("handler bug") }))
      yield* poll(control(session, "jobs", {}), (json) => String(json).includes("failing"))
      yield* control(session, "step", { job: "failing", progress: 1 })
      yield* eventually(() => lines.some((line) => String(line.message).includes("a progress handler failed")))
      yield* control(session, "finish", { job: "failing" })
      expect(text(yield* Fiber.join(call))).toBe("done failing")
    }).pipe(Effect.provide(layer), Effect.provide(NodeHttpClient.layerUndici))
  })

  it.scopedLive("a handler that never ends delays neither the answer nor the server's other requests, and is interrupted", () =>
    Effect.gen(function*() {
      const session = yield* fixtureSession(transport)
      const ran: Array<number> = []
      let interrupted = false
      const stuck = Effect.sync(() => interrupted = true)
      const call = yield* Effect.fork(session.callTool("work", { job: "slow" }, {
        onProgress: (progress) =>
          Effect.suspend(() => {
            ran.push(progress.progress)
            return Effect.onInterrupt(Effect.never, () => stuck)
          })
      }))
      yield* poll(control(session, "jobs", {}), (json) => String(json).includes(`"slow"`))
      yield* control(session, "step", { job: "slow", progress: 1 })
      yield* eventually(() => ran.length === 1, "the handler's start")
      // the handler is stuck: the next progress waits for it, the server's other requests do not
      yield* control(session, "step", { job: "slow", progress: 2 })
      expect(yield* control(session, "jobs", {})).toContain(`"slow"`)
      yield* control(session, "finish", { job: "slow" })
      expect(text(yield* Fiber.join(call))).toBe("done slow")
      yield* eventually(() => interrupted, "the handler's interruption")
      // the progress it never reached was dropped with the request's end
      expect(ran).toEqual([1])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("progress starts the deadline over; without it the request times out; maxTotalTimeout caps it", () =>
    Effect.gen(function*() {
      const session = yield* fixtureSession(transport, { timeout: "10 seconds" })
      const heard: Array<number> = []
      const work = (job: string, maxTotalTimeout?: Duration.DurationInput) =>
        Effect.fork(session.callTool("work", { job }, {
          onProgress: (progress) => Effect.sync(() => heard.push(progress.progress)),
          ...(maxTotalTimeout === undefined ? {} : { maxTotalTimeout })
        }))
      const running = (job: string) => live(poll(control(session, "jobs", {}), (json) => String(json).includes(`"${job}"`)))
      const step = (job: string, progress: number) =>
        live(Effect.zipRight(control(session, "step", { job, progress }), eventually(() => heard.includes(progress))))

      // kept alive by progress every 8 s, 24 s in all, well past its 10 s deadline
      const kept = yield* work("kept")
      yield* running("kept")
      for (const progress of [1, 2, 3]) {
        yield* TestClock.adjust("8 seconds")
        yield* step("kept", progress)
      }
      yield* TestClock.adjust("8 seconds")
      yield* live(control(session, "finish", { job: "kept" }))
      expect(text(yield* Fiber.join(kept))).toBe("done kept")

      // silent for 10 s after its last progress: timed out, and the server told
      const quiet = yield* work("quiet")
      yield* running("quiet")
      yield* TestClock.adjust("8 seconds")
      yield* step("quiet", 4)
      yield* TestClock.adjust("9 seconds")
      expect(quiet.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      const timedOut = yield* failureOf(Fiber.join(quiet))
      expect(timedOut._tag === "TransportError" && timedOut.reason).toBe("Timeout")
      expect(timedOut.message).toContain("no answer nor progress")
      yield* live(poll(control(session, "jobs", {}), (json) => String(json).includes(`"cancelled":["quiet"]`)))

      // progress every 8 s, but 20 s at most
      const capped = yield* work("capped", "20 seconds")
      yield* running("capped")
      yield* TestClock.adjust("8 seconds")
      yield* step("capped", 5)
      yield* TestClock.adjust("8 seconds")
      yield* step("capped", 6)
      yield* TestClock.adjust("3 seconds")
      expect(capped.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      const cut = yield* failureOf(Fiber.join(capped))
      expect(cut._tag === "TransportError" && cut.reason).toBe("Timeout")
      expect(cut.message).toContain("maxTotalTimeout of 20s")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession progress with server-everything", () => {
  const sessions = {
    stdio: McpSession.make({ server: "everything", command: process.execPath, args: [everything, "stdio"] }),
    http: Effect.flatMap(everythingHttp, (url) => McpSession.make({ server: "everything", url }))
  }
  for (const [transport, open] of Object.entries(sessions)) {
    it.scopedLive(`its long-running operation reports every step over ${transport}`, () =>
      Effect.gen(function*() {
        const session = yield* open
        const seen: Array<McpSession.Progress> = []
        const result = yield* session.callTool("trigger-long-running-operation", { duration: 0.2, steps: 4 }, {
          onProgress: (progress) => Effect.sync(() => seen.push(progress))
        })
        expect(text(result)).toContain("Long running operation completed")
        expect(seen).toEqual([1, 2, 3, 4].map((progress) => ({ progress, total: 4 })))
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  }
})
