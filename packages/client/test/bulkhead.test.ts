import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Bulkhead from "../src/internal/bulkhead.js"

/** How many permits are free: taken one by one, then given back. */
const free = (bulkhead: Bulkhead.Bulkhead) => {
  let n = 0
  while (bulkhead.tryTake()) n++
  for (let i = 0; i < n; i++) bulkhead.release()
  return n
}

describe("Bulkhead", () => {
  it("tryTake takes free permits only, and release gives them back", () => {
    const bulkhead = Bulkhead.make(2)
    expect(bulkhead.tryTake()).toBe(true)
    expect(bulkhead.tryTake()).toBe(true)
    expect(bulkhead.tryTake()).toBe(false)
    bulkhead.release()
    expect(bulkhead.tryTake()).toBe(true)
    bulkhead.release()
    bulkhead.release()
    expect(free(bulkhead)).toBe(2)
  })

  it.effect("waiters are served first come, first served, and every permit comes back", () =>
    Effect.gen(function*() {
      const bulkhead = Bulkhead.make(1)
      expect(bulkhead.tryTake()).toBe(true)
      const order: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const waiter = (name: string) => bulkhead.withPermit(Effect.zipRight(Effect.sync(() => order.push(name)), Deferred.await(gate)))
      const first = yield* Effect.fork(waiter("first"))
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(waiter("second"))
      yield* Effect.yieldNow()
      expect(order).toEqual([])
      bulkhead.release()
      yield* Effect.yieldNow()
      expect(order).toEqual(["first"])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(order).toEqual(["first", "second"])
      expect(free(bulkhead)).toBe(1)
    }))

  it.effect("an interrupted waiter leaves the queue, and a permit handed to it as it is interrupted is passed on", () =>
    Effect.gen(function*() {
      const bulkhead = Bulkhead.make(1)
      expect(bulkhead.tryTake()).toBe(true)
      const leaving = yield* Effect.fork(bulkhead.withPermit(Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(leaving)
      const handed = yield* Effect.fork(bulkhead.withPermit(Effect.never))
      const next = yield* Effect.fork(bulkhead.withPermit(Effect.void))
      yield* Effect.yieldNow()
      // the permit goes to `handed`, which is interrupted before it can run: `next` gets it
      bulkhead.release()
      yield* Fiber.interrupt(handed)
      expect(Exit.isSuccess(yield* Fiber.await(next))).toBe(true)
      expect(free(bulkhead)).toBe(1)
    }))

  it.effect("withPermit gives the permit back when its effect fails or is interrupted", () =>
    Effect.gen(function*() {
      const bulkhead = Bulkhead.make(1)
      expect(Exit.isFailure(yield* Effect.exit(bulkhead.withPermit(Effect.fail("boom"))))).toBe(true)
      expect(free(bulkhead)).toBe(1)
      const running = yield* Effect.fork(bulkhead.withPermit(Effect.never))
      yield* Effect.yieldNow()
      expect(free(bulkhead)).toBe(0)
      yield* Fiber.interrupt(running)
      expect(free(bulkhead)).toBe(1)
    }))
})
