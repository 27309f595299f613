/**
 * One attempt of a client request, and its retries.
 *
 * An attempt is a resource of the server's circuit: admission acquires it (or fails fast with
 * `ServerUnavailableError`), the request uses it within its deadline and one of the server's
 * permits, and its outcome, whatever it is, settles the server's health. Whether the attempt's
 * request left is data of the call (`AttemptState`), which the retry predicate reads: a request
 * that never left may be repeated whatever the tool.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { McpClientError, ServerUnavailableError, TransportError } from "../McpError.js"
import type * as McpHealth from "../McpHealth.js"
import * as McpRetry from "../McpRetry.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Bulkhead from "./bulkhead.js"
import type * as Deadlines from "./deadlines.js"
import type * as HealthRegistry from "./healthRegistry.js"
import * as Telemetry from "./telemetry.js"
import * as Transport from "./transport.js"

/** Lets the client's deadline, which also covers opening the session, be the only timer. @internal */
export const untimed: McpSession.RequestOptions = { timeout: Duration.infinity }

/**
 * What the retries of one call know of its attempts. Attempts of one call never overlap: each
 * starts `sent` over, and the retry predicate reads it once that attempt has failed.
 *
 * @internal
 */
export interface AttemptState {
  /** Whether the current attempt's request has left; flipped just before it is sent. */
  sent: boolean
  /** Whether the call may run twice: the tool's hints, or the caller's `idempotent`. */
  safeToRepeat: boolean
  /** Holds the current attempt's deadline, for a call whose progress pushes it back. */
  readonly slot?: Deadlines.Slot | undefined
}

/** A state for requests that are always safe to repeat (listing tools), and never marked sent. @internal */
export const safeState = (): AttemptState => ({ sent: false, safeToRepeat: true })

/**
 * Whether the failure of the attempt that just ended may be retried: by `McpRetry.shouldRetry`,
 * with a request that never left as safe to repeat as any, since the server cannot have run it.
 *
 * @internal
 */
export const mayRetry = (state: AttemptState, error: McpClientError): boolean =>
  McpRetry.shouldRetry(error, state.safeToRepeat || !state.sent)

const callSucceeded: McpHealth.Observation = { _tag: "Success", source: "call" }

/** @internal */
export interface Attempts {
  /**
   * One attempt: admission, then `use()` bounded by `timeout` (waiting for a permit and opening
   * the session included) under the server's concurrency limit, then its outcome fed to health.
   * `onCallersFiber` says, when the attempt starts, that its session is open: with the circuit
   * closed, a free permit and an `HttpClient` that honours `Abort`s, it then runs without a fiber
   * of its own (a half-open trial always has one).
   */
  readonly run: <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    tool: string | undefined,
    timeout: Duration.Duration,
    state: AttemptState,
    onCallersFiber: () => boolean,
    use: () => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | TransportError | ServerUnavailableError>
  /** Repeats `attempt` as `policy` and `mayRetry` allow, logging each retry. */
  readonly withRetries: <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    /** What is tried, for the logs: the tool called, or the method of another request. */
    subject: { readonly tool: string } | { readonly method: string },
    policy: McpRetry.Policy,
    state: AttemptState,
    attempt: Effect.Effect<A, E>
  ) => Effect.Effect<A, E>
}

/** @internal */
export const make = (options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly registry: HealthRegistry.HealthRegistry
  readonly deadlines: Deadlines.Deadlines
  /** Whether the `HttpClient` honours `Abort`s, so that an attempt may run on its caller's fiber. */
  readonly abortable: boolean
}): Attempts => {
  const { abortable, deadlines, registry } = options
  const bulkheads = new Map(options.configs.map((config) => [config.name, Bulkhead.make(config.maxConcurrency)]))

  /** Feeds the attempt's outcome to health; an attempt that ended without one gives up its trial. */
  const settle = (server: string, admitted: HealthRegistry.Admitted, exit: Exit.Exit<unknown, McpClientError>): Effect.Effect<void> => {
    if (Exit.isSuccess(exit)) return registry.record(server, callSucceeded)
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return admitted === "trial" ? registry.abandonTrial(server) : Effect.void
    return registry.record(
      server,
      McpRetry.isServerFailure(failure.value) ? { _tag: "Failure", source: "call", error: failure.value.message } : callSucceeded
    )
  }

  /**
   * The attempt on a fiber of its own, which its deadline interrupts: admitted by the circuit
   * (perhaps as its half-open trial), then waiting for a permit and using it.
   */
  const forked = <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    at: number,
    slot: Deadlines.Slot | undefined,
    onTimeout: () => TransportError,
    use: () => Effect.Effect<A, E>
  ): Effect.Effect<A, E | TransportError | ServerUnavailableError> =>
    Effect.acquireUseRelease(
      registry.admit(config.name),
      () => deadlines.onOwnFiber(bulkheads.get(config.name)!.withPermit(use()), at, onTimeout, slot),
      (admitted, exit) => settle(config.name, admitted, exit)
    )

  const run = <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    tool: string | undefined,
    timeout: Duration.Duration,
    state: AttemptState,
    onCallersFiber: () => boolean,
    use: () => Effect.Effect<A, E>
  ): Effect.Effect<A, E | TransportError | ServerUnavailableError> => {
    const server = config.name
    const slot = state.slot
    const onTimeout = () =>
      Transport.transportError({ server, tool }, "Timeout", `no answer ${slot === undefined ? "" : "nor progress "}within ${Duration.format(timeout)}`)
    // the common case, a closed circuit, an open session and a free permit, runs on the caller's
    // fiber: admission, permit and deadline are taken and given back in one uninterruptible
    // region, without runtime steps of their own
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        state.sent = false
        const at = deadlines.now() + Duration.toMillis(timeout)
        const bulkhead = bulkheads.get(server)!
        if (!abortable || !registry.isClosed(server) || !onCallersFiber() || !bulkhead.tryTake()) {
          return restore(forked(config, at, slot, onTimeout, use))
        }
        const armed = deadlines.arm(fiber, at, slot)
        return Effect.matchCauseEffect(restore(Effect.suspend(use)), {
          onSuccess: (value) => {
            deadlines.disarm(fiber, armed, slot)
            bulkhead.release()
            return registry.unchangedBy(server, callSucceeded) ? Effect.succeed(value) : Effect.as(registry.record(server, callSucceeded), value)
          },
          onFailure: (cause) => {
            bulkhead.release()
            const exit = deadlines.disarmFailed(fiber, armed, slot, cause, onTimeout)
            const settled = Effect.zipRight(settle(server, "allow", exit), exit)
            // cut short (deadline, close, the caller's interruption): the server is told
            const cancel = armed.cut.aborted ? armed.cut.cancelInFlight?.() : undefined
            return cancel === undefined ? settled : Effect.zipRight(cancel, settled)
          }
        })
      })
    )
  }

  const withRetries = <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    subject: { readonly tool: string } | { readonly method: string },
    policy: McpRetry.Policy,
    state: AttemptState,
    attempt: Effect.Effect<A, E>
  ): Effect.Effect<A, E> => {
    if (policy.times <= 1) return attempt
    const schedule = () =>
      McpRetry.schedule<E>(policy, {
        retryAfter: (error) => {
          const cause: McpClientError = error
          return cause._tag === "TransportError" ? cause.retryAfter : undefined
        },
        while: (error) => mayRetry(state, error),
        onRetry: (retry, delay, error) =>
          Effect.zipRight(Telemetry.retried(config.name, "tool" in subject ? "tools/call" : subject.method), Effect.logWarning(`MCP ${"tool" in subject ? "call" : "request"} failed; retrying in ${Duration.format(delay)}`).pipe(
            Effect.annotateLogs({
              server: config.name,
              ...subject,
              attempt: `${retry}/${policy.times}`,
              delay: Duration.format(delay),
              cause: error.message
            })
          ))
      })
    // the retry machinery is set up only once an attempt has failed: that first failure is
    // replayed into it, without a request, so that the schedule sees every failure
    return Effect.catchAll(attempt, (first) => {
      let replayed = false
      return Effect.retry(Effect.suspend(() => replayed ? attempt : (replayed = true, Effect.fail(first))), schedule())
    })
  }

  return { run, withRetries }
}
