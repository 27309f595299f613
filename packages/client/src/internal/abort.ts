/**
 * Cutting an attempt short without interrupting the fiber that runs it.
 *
 * A deadline enforced by interruption needs the attempt on a fiber of its own, and on loopback a
 * fork per call costs more than the MCP request. So when the `HttpClient` honours `Abort`s (the
 * lean undici client does), an attempt on an open session runs on the caller's fiber with an
 * `Abort` attached to that fiber; at the deadline, or when the client closes, the `Abort` is fired,
 * which aborts the request in flight and any request made after it. The attempt then fails, and
 * the client turns that failure into the timeout or the interruption it stands for. When the
 * caller is interrupted, the attempt fires the `Abort` as it ends (see `deadlines.ts`), and then
 * tells the server the request in flight was given up (`cancelInFlight`): a request of a fiber
 * with an attached `Abort` needs neither a canceler nor a failure handler of its own.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { globalValue } from "effect/GlobalValue"
import { EventEmitter } from "node:events"

/** Why an attempt was cut short. */
export class AbortedError extends Error {
  constructor(readonly why: "deadline" | "closed" | "interrupted") {
    super(`the request was aborted: ${why}`)
  }
}

/**
 * An abort signal that undici accepts (it takes an `EventEmitter` as well as an `AbortSignal`),
 * at a fraction of an `AbortController`'s cost.
 *
 * @internal
 */
export class Abort extends EventEmitter {
  aborted = false
  reason: AbortedError | undefined = undefined
  /**
   * Tells the server that the request in flight on the fiber was given up (`notifications/cancelled`):
   * set by the session as it sends a request, cleared when the answer comes, run by the attempt
   * when the `Abort` cut the request short.
   */
  cancelInFlight: (() => Effect.Effect<void>) | undefined = undefined
  abort(reason: AbortedError): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit("abort")
  }
}

/**
 * The `Abort` of the attempt running on each fiber. It belongs to that fiber alone (a `FiberRef`
 * would cost more to set than the request, and would be inherited): what a session forks, such as
 * a `notifications/cancelled`, outlives the attempt.
 */
const attached = globalValue(Symbol.for("@effect-mcp/client/attachedAborts"), () => new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, Abort>())

/** @internal */
export const attach = (fiber: Fiber.RuntimeFiber<unknown, unknown>, abort: Abort): void => {
  attached.set(fiber, abort)
}

/** @internal */
export const detach = (fiber: Fiber.RuntimeFiber<unknown, unknown>): void => {
  attached.delete(fiber)
}

/** The `Abort` of the attempt running on `fiber`, if any. @internal */
export const current = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Abort | undefined => attached.get(fiber)

const honouring = globalValue(Symbol.for("@effect-mcp/client/honouringAbort"), () => new WeakSet<HttpClient.HttpClient>())

/** Registers `client` as one whose requests end when the `Abort` of their fiber fires. @internal */
export const honoured = (client: HttpClient.HttpClient): HttpClient.HttpClient => {
  honouring.add(client)
  return client
}

/** @internal */
export const isHonoured = (client: HttpClient.HttpClient): boolean => honouring.has(client)

/**
 * Runs `effect`, and ends it with `onAbort` if this fiber's attempt is aborted meanwhile: for the
 * waits of an attempt that are not its own requests (re-opening a session, a pause before
 * resuming a stream), which the `Abort` would otherwise not reach.
 *
 * @internal
 */
export const guard = <A, E, A2, E2>(
  effect: Effect.Effect<A, E>,
  onAbort: (reason: AbortedError) => Effect.Effect<A2, E2>
): Effect.Effect<A | A2, E | E2> =>
  Effect.withFiberRuntime((fiber) => {
    const abort = current(fiber)
    if (abort === undefined) return effect
    return Effect.raceFirst(
      effect,
      Effect.async<A2, E2>((resume) => {
        const stop = () => resume(onAbort(abort.reason ?? new AbortedError("interrupted")))
        if (abort.aborted) return stop()
        abort.once("abort", stop)
        return Effect.sync(() => abort.removeListener("abort", stop))
      })
    )
  })

/**
 * Sleeps `duration`, or less when this fiber's attempt is aborted meanwhile (the requests that
 * follow then fail at once).
 *
 * @internal
 */
export const sleep = (duration: Duration.DurationInput): Effect.Effect<void> => guard(Effect.sleep(duration), () => Effect.void)
