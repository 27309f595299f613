/**
 * Every default of effect-mcp, written once. Public modules document them in words; the values
 * live here.
 */
import * as Duration from "effect/Duration"

/** Retries of a failed call: 3 attempts in all, waits exponential from 1 second, capped at 10 seconds. */
export const retry: {
  readonly times: number
  readonly base: Duration.Duration
  readonly max: Duration.Duration
} = { times: 3, base: Duration.seconds(1), max: Duration.seconds(10) }

/** Deadline of each attempt (and of each request of a session used directly). */
export const requestTimeout: Duration.Duration = Duration.seconds(30)

/** Time between health rounds. */
export const healthInterval: Duration.Duration = Duration.seconds(30)

/** Consecutive failures that open a server's circuit. */
export const failureThreshold = 5

/** How long an open circuit fails calls fast before a trial call. */
export const circuitResetAfter: Duration.Duration = Duration.seconds(30)

/** How long an unused session stays open. */
export const sessionIdleTimeToLive: Duration.Duration = Duration.minutes(5)

/** Deadline of the closing `DELETE` (HTTP) or of each shutdown step (stdio). */
export const closeTimeout: Duration.Duration = Duration.seconds(1)

/** Calls in flight to one server at once. */
export const maxConcurrency = 32

/** Largest message accepted: a JSON body, an SSE event, a stdio line. */
export const maxMessageSize = 16 * 1024 * 1024

/**
 * Bodies up to this size are read whole rather than streamed: an answer of announced length, a
 * small SSE body, the excerpt of an error body.
 */
export const smallBody = 64 * 1024

/** How long an idle socket of the undici agent stays open. */
export const keepAliveTimeout: Duration.Duration = Duration.seconds(4)

/**
 * Sockets per server beyond its `maxConcurrency`: the health probe, the GET stream, a
 * `notifications/cancelled` and the closing `DELETE`.
 */
export const spareConnections = 4

/** Pages of one list (tools, resources, templates, prompts) before the server is deemed to loop. */
export const maxListPages = 1000

/**
 * Deadline of the `resources/unsubscribe` sent when a subscription's stream ends: one attempt,
 * whose failure is only logged, so that ending a stream never waits long on a server.
 */
export const unsubscribeTimeout: Duration.Duration = Duration.seconds(1)

/**
 * How long a call (all its attempts and the waits between them) or a request with progress may
 * run in all. None: a server reporting progress at least once per `timeout` is working, and only
 * the caller knows how long its work may take.
 */
export const maxTotalTimeout: Duration.Duration = Duration.infinity

/**
 * Server log messages `McpClient.serverLogs` holds for each subscriber that has not taken them
 * yet; past that the oldest are dropped, so that a slow subscriber never grows memory.
 */
export const serverLogBuffer = 1024

/**
 * How long before its announced expiry an OAuth access token is refreshed, so that a request
 * never leaves with a token that expires on the way.
 */
export const tokenRefreshSkew: Duration.Duration = Duration.seconds(60)
