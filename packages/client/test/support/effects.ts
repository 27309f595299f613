import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** Succeeds once `condition` holds, polling every 10 ms, failing the test after 5 s. */
export const eventually = (condition: () => boolean, what = "the condition"): Effect.Effect<void> =>
  Effect.suspend(() => condition() ? Effect.void : Effect.fail("not yet" as const)).pipe(
    Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 500 }),
    Effect.orDieWith(() => new Error(`${what} did not hold within 5 s`))
  )

/** The error an effect fails with; a success is a test failure. */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.flip(effect).pipe(Effect.orDieWith((value) => new Error(`expected a failure, got ${JSON.stringify(value)}`)))

/** Repeats `effect` every 10 ms until its value passes `until`, failing the test after 5 s. */
export const eventuallyValue = <A, E, R>(effect: Effect.Effect<A, E, R>, until: (a: A) => boolean): Effect.Effect<A, E, R> => {
  const attempt = (left: number): Effect.Effect<A, E, R> =>
    Effect.flatMap(effect, (a) =>
      until(a)
        ? Effect.succeed(a)
        : left === 0
        ? Effect.dieMessage("the value did not arrive within 5 s")
        : Effect.zipRight(Effect.sleep("10 millis"), attempt(left - 1)))
  return attempt(500)
}
