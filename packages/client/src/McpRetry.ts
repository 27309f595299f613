/**
 * When and how often a failed MCP call is tried again.
 *
 * Delays grow exponentially from `base`, are jittered by ±20 %, and always stay within
 * `[base, max]`. A `Retry-After` from the server lengthens the delay; one longer than `max` ends
 * the retries, and the caller gets the failure with its `retryAfter`.
 * `times` counts attempts in all, the first included, as the original manager's
 * `stop_after_attempt(3)` did.
 *
 * Which failures are retried depends on whether the tool is safe to repeat:
 * a safe tool (`readOnlyHint` or `idempotentHint`, or `idempotent: true` on the call) is retried
 * on every transient failure; an unsafe tool only when the server provably did not run it.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Defaults from "./internal/defaults.js"
import type { McpClientError } from "./McpError.js"

/**
 * Retry settings as written in configuration; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly times?: number | undefined
  /** Delay before the first retry. Default 1 second. */
  readonly base?: Duration.DurationInput | undefined
  /** Longest delay between attempts. Default 10 seconds. */
  readonly max?: Duration.DurationInput | undefined
}

/**
 * Retry settings with every default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly times: number
  readonly base: Duration.Duration
  readonly max: Duration.Duration
}

/**
 * 3 attempts, exponential from 1 second, capped at 10 seconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPolicy: Policy = Defaults.retry

/**
 * Fills in the defaults of `options` from `fallback`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const policy = (options: RetryOptions | undefined, fallback: Policy = defaultPolicy): Policy => ({
  times: options?.times ?? fallback.times,
  base: options?.base === undefined ? fallback.base : Duration.decode(options.base),
  max: options?.max === undefined ? fallback.max : Duration.decode(options.max)
})

const JITTER = 0.2

/**
 * The delay before retry number `retry` (1 for the first retry), given a uniform `random` in
 * [0, 1) and the server's `Retry-After`, if any.
 *
 * @since 0.1.0
 * @category delays
 */
export const delay = (
  policy: Policy,
  retry: number,
  random: number,
  retryAfter?: Duration.Duration | undefined
): Duration.Duration => {
  const base = Duration.toMillis(policy.base)
  const max = Duration.toMillis(policy.max)
  const exponential = base * Math.pow(2, retry - 1) * (1 - JITTER + 2 * JITTER * random)
  const wanted = retryAfter === undefined ? exponential : Math.max(exponential, Duration.toMillis(retryAfter))
  return Duration.millis(Math.round(Math.min(max, Math.max(base, wanted))))
}

/**
 * The schedule of `policy` over failures of type `E`: at most `times - 1` retries, each after
 * `delay`, and only of failures that pass `while`. `onRetry` runs before each wait that really
 * happens, with the retry number, the delay and the failure.
 *
 * @since 0.1.0
 * @category delays
 */
export const schedule = <E>(
  policy: Policy,
  options: {
    readonly retryAfter: (error: E) => Duration.Duration | undefined
    readonly while?: ((error: E) => boolean) | undefined
    readonly onRetry?: ((retry: number, delay: Duration.Duration, error: E) => Effect.Effect<void>) | undefined
  }
): Schedule.Schedule<[E, number], E> =>
  Schedule.identity<E>().pipe(
    Schedule.intersect(Schedule.count),
    Schedule.whileOutput(([error, count]) => {
      if (count >= policy.times - 1 || (options.while !== undefined && !options.while(error))) return false
      // a server that asks for more patience than `max` would refuse an earlier retry anyway
      const retryAfter = options.retryAfter(error)
      return retryAfter === undefined || !Duration.greaterThan(retryAfter, policy.max)
    }),
    Schedule.addDelayEffect(([error, count]) =>
      Effect.flatMap(Random.next, (random) => {
        const wait = delay(policy, count + 1, random, options.retryAfter(error))
        return options.onRetry === undefined ? Effect.succeed(wait) : Effect.as(options.onRetry(count + 1, wait, error), wait)
      })
    )
  )

const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * An HTTP status that may pass if the same request is sent again: 408, 429, 500, 502, 503,
 * 504.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransientStatus = (status: number): boolean => transientStatuses.has(status)

/**
 * An HTTP status that says the server is unwell: every 5xx, and the transient 408 and 429. Any
 * other status is an answer, and proves the server alive.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isServerFailureStatus = (status: number): boolean => status >= 500 || isTransientStatus(status)

/**
 * An HTTP status by which a live server refuses a request for good: a 4xx other than 408 and 429
 * (405 for a method it does not offer, 401 or 403 for credentials it will not take). Sending the
 * same request again would get the same answer.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRefusalStatus = (status: number): boolean => status >= 400 && status < 500 && !isTransientStatus(status)

/**
 * A failure that may pass if the same request is sent again: no connection, a timeout, a cut
 * connection (or an answer cut short or garbled, `malformed`), or HTTP 408, 429, 500, 502, 503,
 * 504.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransient = (error: McpClientError): boolean => {
  if (error._tag !== "TransportError") return false
  switch (error.reason) {
    case "Connect":
    case "Timeout":
    case "Closed":
      return true
    case "Status":
      return error.status !== undefined && isTransientStatus(error.status)
    case "Decode":
      return error.malformed === true
  }
}

/**
 * A failure that says the server is unwell: no connection, a timeout, a cut, bytes that are not
 * MCP (`Decode`), or a status of `isServerFailureStatus` (5xx, 408, 429). Any other outcome, even
 * a JSON-RPC error, a 4xx or an `isError` result, proves the server alive. Calls and probes are
 * judged alike, so that a token-less probe of a server that demands a token does not open the
 * circuit for callers that have one.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isServerFailure = (error: McpClientError): boolean =>
  error._tag === "TransportError" &&
  (error.reason !== "Status" || error.status === undefined || isServerFailureStatus(error.status))

/**
 * A failure that proves the server did not run the request: the connection was refused, or the
 * server declined it with 429 or 503.
 *
 * @since 0.1.0
 * @category predicates
 */
export const provablyNotRun = (error: McpClientError): boolean =>
  error._tag === "TransportError" &&
  (error.reason === "Connect" || (error.reason === "Status" && (error.status === 429 || error.status === 503)))

/**
 * Whether a failed attempt is retried: any transient failure for a tool safe to repeat, only a
 * provably-not-run failure otherwise.
 *
 * @since 0.1.0
 * @category predicates
 */
export const shouldRetry = (error: McpClientError, safeToRepeat: boolean): boolean =>
  safeToRepeat ? isTransient(error) : provablyNotRun(error)
