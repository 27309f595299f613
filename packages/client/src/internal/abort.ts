/**
 * Cutting an attempt short without interrupting the fiber that runs it.
 *
 * A deadline enforced by interruption needs the attempt on a fiber of its own, and on loopback a
 * fork per call costs more than the MCP request. So when the `HttpClient` honours `currentAbort`
 * (the lean undici client does), an attempt on an open session runs on the caller's fiber with an
 * `Abort` in `currentAbort`; at the deadline, or when the client closes, the `Abort` is fired,
 * which aborts the request in flight and any request made after it. The attempt then fails, and
 * the client turns that failure into the timeout or the interruption it stands for.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
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
  abort(reason: AbortedError): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit("abort")
  }
}

/**
 * The `Abort` of the attempt running on this fiber. Forked fibers do not inherit it: what a
 * session forks (a `notifications/cancelled`, an answer to a server's request) outlives the attempt.
 *
 * @internal
 */
export const currentAbort: FiberRef.FiberRef<Abort | undefined> = globalValue(
  Symbol.for("@effect-mcp/client/currentAbort"),
  () => FiberRef.unsafeMake<Abort | undefined>(undefined, { fork: () => undefined, join: (parent) => parent })
)

const honouring = globalValue(Symbol.for("@effect-mcp/client/honouringAbort"), () => new WeakSet<HttpClient.HttpClient>())

/** Registers `client` as one whose requests end when `currentAbort` fires. @internal */
export const honoured = (client: HttpClient.HttpClient): HttpClient.HttpClient => {
  honouring.add(client)
  return client
}

/** @internal */
export const isHonoured = (client: HttpClient.HttpClient): boolean => honouring.has(client)

/**
 * Sleeps `duration`, or less when this fiber's attempt is aborted meanwhile (the requests that
 * follow then fail at once).
 *
 * @internal
 */
export const sleep = (duration: Duration.DurationInput): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const abort = fiber.getFiberRef(currentAbort)
    if (abort === undefined) return Effect.sleep(duration)
    return Effect.raceFirst(
      Effect.sleep(duration),
      Effect.async<void>((resume) => {
        const wake = () => resume(Effect.void)
        if (abort.aborted) return wake()
        abort.once("abort", wake)
        return Effect.sync(() => abort.removeListener("abort", wake))
      })
    )
  })
