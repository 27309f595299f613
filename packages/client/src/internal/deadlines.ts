/**
 * The deadlines of a client's attempts in flight, and its close.
 *
 * One fiber looks at the deadlines every `TICK` and cuts short those past due: an
 * `Effect.timeout` per attempt forks two fibers and a timer, which costs more than an MCP request
 * on loopback. Deadlines follow the `Clock`, so they can be tested under `TestClock`, and are
 * honoured to within one tick. An attempt runs either on a fiber of its own, which is interrupted,
 * or on its caller's fiber with an `Abort`, which is fired (see `abort.ts`).
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Abort from "./abort.js"

/** How often deadlines of attempts in flight are checked. */
const TICK = Duration.millis(50)

/** @internal */
export interface Deadline {
  /** Epoch milliseconds; only ever pushed back, by `extend`. */
  at: number
  /** The attempt's own fiber, interrupted at the deadline, or the `Abort` of one on its caller's fiber. */
  readonly cut: Fiber.RuntimeFiber<unknown, unknown> | Abort.Abort
  expired: boolean
}

/**
 * Where a call whose deadline its progress pushes back finds the deadline of its attempt in
 * flight: set while an attempt runs, `undefined` between attempts.
 *
 * @internal
 */
export interface Slot {
  current: Deadline | undefined
}

/** A deadline armed on a caller's fiber. @internal */
export interface Armed extends Deadline {
  readonly cut: Abort.Abort
}

/** @internal */
export interface Deadlines {
  /** Whether the client's scope has begun to close. */
  readonly isClosed: () => boolean
  /**
   * Runs `effect` on a fiber of its own, a child of the client's scope (closing the client
   * interrupts it), interrupted at `at` (epoch milliseconds), when it fails with `onTimeout()`.
   * The deadline is in `slot` meanwhile, if one is given.
   */
  readonly onOwnFiber: <A, E, E2>(
    effect: Effect.Effect<A, E>,
    at: number,
    onTimeout: () => E2,
    slot: Slot | undefined
  ) => Effect.Effect<A, E | E2>
  /**
   * Arms a deadline at `at` for what runs next on the caller's `fiber`: its requests are aborted
   * then (or when the client closes) through the `Abort` attached to the fiber. Only for effects
   * whose waits all end with their requests or are guarded by `Abort.guard`. The deadline is in
   * `slot` until disarmed, if one is given. Run within the caller's uninterruptible region, with
   * `disarm` or `disarmFailed` where that region ends: an interruption of the caller fires the
   * `Abort` there, after the finalizers of what ran inside, and requests on the fiber rely on it
   * instead of a canceler of their own.
   */
  readonly arm: (fiber: Fiber.RuntimeFiber<unknown, unknown>, at: number, slot: Slot | undefined) => Armed
  readonly disarm: (fiber: Fiber.RuntimeFiber<unknown, unknown>, armed: Armed, slot: Slot | undefined) => void
  /**
   * `disarm` after a failure with `cause`, and what that failure stands for: the timeout
   * `onTimeout()` when the deadline cut it short, an interruption when the client's close did,
   * else `cause` itself. An interruption of the caller fires the `Abort`: a request still in
   * flight ends with it (the lean client's requests wait for that, not for a canceler of their own).
   */
  readonly disarmFailed: <E, E2>(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    armed: Armed,
    slot: Slot | undefined,
    cause: Cause.Cause<E>,
    onTimeout: () => E2
  ) => Exit.Exit<never, E | E2>
  /** The epoch milliseconds of the clock deadlines follow. */
  readonly now: () => number
  /**
   * Pushes the deadline of the attempt in `slot` back to `millis` from now, by the clock the
   * deadlines follow (not the caller's: a session's reader may run elsewhere), unless it passed
   * already: an attempt cut short stays cut short.
   */
  readonly extend: (slot: Slot, millis: number) => void
}

/** @internal */
export const make: Effect.Effect<Deadlines, never, Scope.Scope> = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const inFlight = yield* FiberSet.make<unknown, unknown>()
  const deadlines = new Set<Deadline>()
  let closed = false

  yield* Effect.gen(function*() {
    const now = clock.unsafeCurrentTimeMillis()
    for (const deadline of deadlines) {
      if (!deadline.expired && deadline.at <= now) {
        deadline.expired = true
        if (deadline.cut instanceof Abort.Abort) deadline.cut.abort(new Abort.AbortedError("deadline"))
        else yield* Fiber.interruptAsFork(deadline.cut, FiberId.none)
      }
    }
  }).pipe(Effect.repeat(Schedule.spaced(TICK)), Effect.interruptible, Effect.forkScoped)
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      // before the wheel stops: an attempt starting after this is aborted at once
      closed = true
      for (const deadline of deadlines) {
        if (deadline.cut instanceof Abort.Abort) deadline.cut.abort(new Abort.AbortedError("closed"))
      }
    })
  )

  const onOwnFiber = <A, E, E2>(
    effect: Effect.Effect<A, E>,
    at: number,
    onTimeout: () => E2,
    slot: Slot | undefined
  ): Effect.Effect<A, E | E2> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(FiberSet.run(inFlight, Effect.interruptible(effect)), (fiber) => {
        const deadline: Deadline = { at, cut: fiber, expired: false }
        deadlines.add(deadline)
        if (slot !== undefined) slot.current = deadline
        return restore(Fiber.await(fiber)).pipe(
          Effect.onInterrupt(() => Fiber.interrupt(fiber)),
          Effect.ensuring(Effect.sync(() => {
            deadlines.delete(deadline)
            if (slot !== undefined) slot.current = undefined
          })),
          Effect.flatMap((exit): Effect.Effect<A, E | E2> =>
            Exit.isSuccess(exit)
              ? Effect.succeed(exit.value)
              : deadline.expired && Exit.isInterrupted(exit)
              ? Effect.fail(onTimeout())
              : Effect.failCause(exit.cause)
          )
        )
      })
    )

  const arm = (fiber: Fiber.RuntimeFiber<unknown, unknown>, at: number, slot: Slot | undefined): Armed => {
    const abort = new Abort.Abort()
    const armed: Armed = { at, cut: abort, expired: false }
    deadlines.add(armed)
    if (slot !== undefined) slot.current = armed
    if (closed) abort.abort(new Abort.AbortedError("closed"))
    Abort.attach(fiber, abort)
    return armed
  }

  const disarm = (fiber: Fiber.RuntimeFiber<unknown, unknown>, armed: Armed, slot: Slot | undefined): void => {
    Abort.detach(fiber)
    deadlines.delete(armed)
    if (slot !== undefined) slot.current = undefined
  }

  const disarmFailed = <E, E2>(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    armed: Armed,
    slot: Slot | undefined,
    cause: Cause.Cause<E>,
    onTimeout: () => E2
  ): Exit.Exit<never, E | E2> => {
    disarm(fiber, armed, slot)
    const why = armed.cut.reason?.why
    if (why === "deadline") return Exit.fail(onTimeout())
    if (why === "closed") return Exit.interrupt(fiber.id())
    if (Cause.isInterrupted(cause)) armed.cut.abort(new Abort.AbortedError("interrupted"))
    return Exit.failCause(cause)
  }

  const extend = (slot: Slot, millis: number): void => {
    const deadline = slot.current
    const at = clock.unsafeCurrentTimeMillis() + millis
    if (deadline !== undefined && !deadline.expired && at > deadline.at) deadline.at = at
  }

  return { isClosed: () => closed, onOwnFiber, arm, disarm, disarmFailed, now: () => clock.unsafeCurrentTimeMillis(), extend }
})
