/**
 * `StreamedBody` against a recording source standing for undici's dispatch controller: what it
 * asks of undici as chunks arrive and as a reader takes them, gives up, or leaves early.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { StreamedBody } from "../src/internal/streamedBody.js"
import * as Streamed from "../src/internal/streamedBody.js"

const recording = () => {
  const calls: Array<string> = []
  const source: Streamed.Source = {
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
    abort: (reason) => calls.push(`abort: ${reason.message}`)
  }
  let settled = 0
  const body = new StreamedBody(source, () => settled++)
  return { body, calls, settled: () => settled }
}

const kib = (n: number) => new Uint8Array(n * 1024)

/** Reads `body` to its end, noting each chunk's size in `sizes`; fails with the message of the body's failure. */
const collect = (body: StreamedBody, sizes: Array<number> = []) =>
  Streamed.forEach(body, (chunk) => Effect.succeed(sizes.push(chunk.length) > 0), (cause) => cause.message).pipe(Effect.as(sizes))

describe("StreamedBody", () => {
  it.effect("pauses undici while more than 64 KiB wait unread, and resumes it once the reader caught up", () =>
    Effect.gen(function*() {
      const { body, calls } = recording()
      body.push(kib(40))
      body.push(kib(40))
      body.push(kib(40))
      expect(calls).toEqual(["pause"])
      body.finish()
      expect(yield* collect(body)).toEqual([40 * 1024, 40 * 1024, 40 * 1024])
      expect(calls).toEqual(["pause", "resume"])
    }))

  it.effect("wakes a waiting reader with each chunk and the end", () =>
    Effect.gen(function*() {
      const { body, settled } = recording()
      const reader = yield* Effect.fork(collect(body))
      yield* Effect.yieldNow()
      body.push(kib(1))
      yield* Effect.yieldNow()
      body.push(kib(2))
      body.finish()
      expect(yield* Fiber.join(reader)).toEqual([1024, 2048])
      expect(settled()).toBe(1)
      expect(body.ended).toBe(true)
    }))

  it.effect("a wait that begins after a chunk came in, between the reader's look and its wait, ends at once", () =>
    Effect.gen(function*() {
      const { body } = recording()
      expect(body.poll()).toBeUndefined()
      body.push(kib(1))
      const waiting = yield* Effect.fork(body.arrival)
      yield* Effect.yieldNow()
      expect(Option.isSome(yield* Fiber.poll(waiting))).toBe(true)
      expect(body.poll()).toHaveLength(1024)
      body.finish()
      const atTheEnd = yield* Effect.fork(body.arrival)
      yield* Effect.yieldNow()
      expect(Option.isSome(yield* Fiber.poll(atTheEnd))).toBe(true)
    }))

  it.effect("a failure from undici fails the reader after the chunks before it", () =>
    Effect.gen(function*() {
      const { body, calls } = recording()
      body.push(kib(1))
      body.fail(new Error("socket hang up"))
      const sizes: Array<number> = []
      const exit = yield* Effect.exit(collect(body, sizes))
      expect(sizes).toEqual([1024])
      expect(exit).toEqual(Exit.fail("socket hang up"))
      expect(calls).toEqual([])
    }))

  it.effect("a reader interrupted while waiting gives the body up, which aborts the request once", () =>
    Effect.gen(function*() {
      const { body, calls, settled } = recording()
      const reader = yield* Effect.fork(collect(body))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(reader)
      expect(calls).toEqual(["abort: the body was closed before its end"])
      body.fail(new Error("aborted"))
      expect(settled()).toBe(1)
    }))

  it.effect("a reader that stops early drops the rest and lets a body that ends on its own keep its connection", () =>
    Effect.gen(function*() {
      const { body, calls } = recording()
      body.push(kib(40))
      body.push(kib(40))
      body.push(kib(40))
      yield* Streamed.forEach(body, () => Effect.succeed(false), (cause) => cause)
      // 80 KiB still waited: the reader left them, and undici is let go on
      expect(calls).toEqual(["pause", "resume"])
      // the end arrives before the next turn: the request is not aborted
      body.push(kib(1))
      body.finish()
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      expect(calls).toEqual(["pause", "resume"])
    }))

  it.effect("a body still open a turn after its reader stopped early is given up", () =>
    Effect.gen(function*() {
      const { body, calls } = recording()
      body.push(kib(1))
      yield* Streamed.forEach(body, () => Effect.succeed(false), (cause) => cause)
      expect(calls).toEqual([])
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      expect(calls).toEqual(["abort: the body was closed before its end"])
    }))
})
