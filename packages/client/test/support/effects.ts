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
