/**
 * The health of one server and its circuit breaker, as pure transitions.
 *
 * Probes and calls feed the same state. A success sets the status to healthy (keeping, as `error`,
 * what a live server refused: a probe of a server that needs authorization), resets the
 * consecutive failures and closes the circuit. A failure counts one more consecutive failure;
 * at `failureThreshold` the circuit opens until `retryAt` (now + `resetAfter`). Once `retryAt`
 * has passed, the next call is let through as the half-open trial (others still fail fast); its
 * outcome closes or re-opens the circuit. A probe's success closes the circuit at any time.
 *
 * Only probes set `responseTimeMs` and `lastCheck`: a call's duration includes the tool's own
 * work and says little about the server.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"

/**
 * @since 0.1.0
 * @category models
 */
export type Status = "healthy" | "unhealthy" | "unknown"

/**
 * @since 0.1.0
 * @category models
 */
export type Circuit = "closed" | "open" | "half-open"

/**
 * What is known of one server's health.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerHealth {
  readonly server: string
  readonly status: Status
  readonly consecutiveFailures: number
  readonly responseTimeMs: number | undefined
  readonly lastCheck: DateTime.Utc | undefined
  /**
   * Why the last probe or call failed; for a healthy server, what it refused although it answered
   * (`not authorized: …` for a server that needs a user's OAuth authorization), else `undefined`.
   */
  readonly error: string | undefined
  readonly circuit: Circuit
  /** When an open circuit lets its next trial call through. */
  readonly retryAt: DateTime.Utc | undefined
}

/**
 * Circuit-breaker settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number
  /** How long the circuit stays open before a trial call. */
  readonly resetAfter: Duration.Duration
}

/**
 * The outcome of a probe or a call.
 *
 * @since 0.1.0
 * @category models
 */
export type Observation =
  | {
    readonly _tag: "Success"
    readonly source: "probe" | "call"
    readonly responseTimeMs?: number | undefined
    /** What the live server refused, kept as `error` (a probe of a server that needs authorization). */
    readonly detail?: string | undefined
  }
  | {
    readonly _tag: "Failure"
    readonly source: "probe" | "call"
    readonly error: string
    readonly responseTimeMs?: number | undefined
  }

/**
 * Whether a call may go ahead: `allow` (circuit closed), `trial` (the half-open trial), or
 * `reject` (fail fast).
 *
 * @since 0.1.0
 * @category models
 */
export type Admission = "allow" | "trial" | "reject"

/**
 * A server nothing is known of yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unknown = (server: string): ServerHealth => ({
  server,
  status: "unknown",
  consecutiveFailures: 0,
  responseTimeMs: undefined,
  lastCheck: undefined,
  error: undefined,
  circuit: "closed",
  retryAt: undefined
})

/**
 * The state after an observation at `now`.
 *
 * @since 0.1.0
 * @category transitions
 */
export const observe = (
  health: ServerHealth,
  observation: Observation,
  now: DateTime.Utc,
  options: CircuitOptions
): ServerHealth => {
  const probe = observation.source === "probe"
  const timing = probe ? { responseTimeMs: observation.responseTimeMs, lastCheck: now } : {}
  if (observation._tag === "Success") {
    return {
      ...health,
      ...timing,
      status: "healthy",
      consecutiveFailures: 0,
      error: observation.detail,
      circuit: "closed",
      retryAt: undefined
    }
  }
  const consecutiveFailures = health.consecutiveFailures + 1
  const opens = health.circuit === "half-open" ||
    (health.circuit === "closed" && consecutiveFailures >= options.failureThreshold)
  return {
    ...health,
    ...timing,
    status: "unhealthy",
    consecutiveFailures,
    error: observation.error,
    ...(opens ? { circuit: "open", retryAt: DateTime.addDuration(now, options.resetAfter) } : {})
  }
}

/**
 * Decides whether a call may go ahead at `now`, and the state after that decision (an open
 * circuit past `retryAt` turns half-open for the trial).
 *
 * @since 0.1.0
 * @category transitions
 */
export const admit = (health: ServerHealth, now: DateTime.Utc): readonly [Admission, ServerHealth] => {
  switch (health.circuit) {
    case "closed":
      return ["allow", health]
    case "half-open":
      return ["reject", health]
    case "open":
      return health.retryAt !== undefined && DateTime.lessThan(now, health.retryAt)
        ? ["reject", health]
        : ["trial", { ...health, circuit: "half-open" }]
  }
}

/**
 * The state after a half-open trial ended without an outcome (it was interrupted): the circuit
 * re-opens at once, so that the next call becomes the trial.
 *
 * @since 0.1.0
 * @category transitions
 */
export const abandonTrial = (health: ServerHealth, now: DateTime.Utc): ServerHealth =>
  health.circuit === "half-open" ? { ...health, circuit: "open", retryAt: now } : health
