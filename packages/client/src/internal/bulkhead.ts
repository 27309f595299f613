/**
 * A server's concurrency limit: a count of permits that an attempt on its caller's fiber takes
 * and gives back synchronously, and that an attempt on a fiber of its own waits for.
 *
 * `Effect.Semaphore` would do, but it takes and gives back a permit in about ten runtime steps,
 * a visible share of a loopback call; here the common case (a permit free) costs none, and only
 * a wait is an effect. Waiters are served first come, first served.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

interface Waiter {
  readonly deferred: Deferred.Deferred<void>
  /** Whether a permit was handed to this waiter (which then owns it). */
  handed: boolean
}

/** @internal */
export interface Bulkhead {
  /** Takes a permit if one is free. */
  readonly tryTake: () => boolean
  /** Gives a permit back: to the first waiter, or to the free ones. */
  readonly release: () => void
  /** Runs `effect` holding a permit, waiting (interruptibly) for one if none is free. */
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (permits: number): Bulkhead => {
  let free = permits
  const waiters = new Set<Waiter>()

  const tryTake = () => {
    if (free <= 0) return false
    free--
    return true
  }

  const release = () => {
    for (const waiter of waiters) {
      waiters.delete(waiter)
      waiter.handed = true
      Deferred.unsafeDone(waiter.deferred, Exit.void)
      return
    }
    free++
  }

  const take: Effect.Effect<void> = Effect.suspend(() => {
    if (tryTake()) return Effect.void
    const waiter: Waiter = { deferred: Deferred.unsafeMake<void>(FiberId.none), handed: false }
    waiters.add(waiter)
    return Effect.onInterrupt(Deferred.await(waiter.deferred), () =>
      Effect.sync(() => {
        // a permit handed over as the waiter was interrupted is passed on
        if (waiter.handed) release()
        else waiters.delete(waiter)
      }))
  })

  const withPermit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(take), () => Effect.ensuring(restore(effect), Effect.sync(release))))

  return { tryTake, release, withPermit }
}
