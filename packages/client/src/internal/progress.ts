/**
 * Progress of a session's requests: the `progressToken` a request carries, the
 * `notifications/progress` routed back to it while it is in flight, and the deadline that each
 * of them starts over.
 *
 * A request is routed progress only while its route is open; closing the route waits for a
 * handler still running, so a request never settles with one of its handlers running and none
 * starts after it settled.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as McpSession from "../McpSession.js"
import type * as JsonRpc from "./jsonRpc.js"

/** @internal */
export interface Route {
  readonly onProgress: (progress: McpSession.Progress) => Effect.Effect<void>
  /** Held while a handler runs, and by the close, so that the two never overlap. */
  readonly lock: Effect.Semaphore
  /** When the request was sent or last reported progress (epoch milliseconds), for its deadline. */
  heardAt: number
  open: boolean
}

/** Why a request with progress ran out of time. @internal */
export type Overdue = "quiet" | "total"

/**
 * The open routes of one session, by progress token. Times are those of the session's clock,
 * whichever fiber reads a notification.
 *
 * @internal
 */
export interface Routes {
  /** Routes the progress of `token` to `onProgress` until the route is closed. */
  readonly open: (token: JsonRpc.RequestId, onProgress: Route["onProgress"]) => Route
  readonly close: (token: JsonRpc.RequestId, route: Route) => Effect.Effect<void>
  /** Hands a `notifications/progress` to the request it names; any other is logged at debug and dropped. */
  readonly deliver: (params: unknown) => Effect.Effect<void>
  /**
   * `self`, failing with `onTimeout` once `quiet` has passed since the route last heard of its
   * request (sent, or progress), or `total` since it began. A loop of sleeps that each wake at the
   * earlier of the two, rather than a timer reset by every notification.
   */
  readonly deadline: <A, E, E2>(
    self: Effect.Effect<A, E>,
    route: Route,
    quiet: Duration.Duration,
    total: Duration.Duration,
    onTimeout: (why: Overdue) => E2
  ) => Effect.Effect<A, E | E2>
}

const decodeProgress = Schema.decodeUnknownEither(McpSchema.ProgressNotification.payloadSchema)

/** @internal */
export const makeRoutes = (clock: Clock.Clock): Routes => {
  const routes = new Map<string, Route>()

  const open = (token: JsonRpc.RequestId, onProgress: Route["onProgress"]): Route => {
    const route: Route = { onProgress, lock: Effect.unsafeMakeSemaphore(1), heardAt: clock.unsafeCurrentTimeMillis(), open: true }
    routes.set(String(token), route)
    return route
  }

  const close = (token: JsonRpc.RequestId, route: Route) =>
    route.lock.withPermits(1)(Effect.sync(() => {
      route.open = false
      if (routes.get(String(token)) === route) routes.delete(String(token))
    }))

  const deliver = (params: unknown): Effect.Effect<void> => {
    const decoded = decodeProgress(params)
    if (Either.isLeft(decoded) || decoded.right.progress === undefined) {
      return Effect.logDebug("ignored a notifications/progress without a token or a progress")
    }
    const { message, progress, progressToken, total } = decoded.right
    const route = routes.get(String(progressToken))
    if (route === undefined) {
      return Effect.logDebug(`ignored progress for ${JSON.stringify(progressToken)}, which is no request in flight`)
    }
    const report: McpSession.Progress = {
      progress,
      ...(total === undefined ? {} : { total }),
      ...(message === undefined ? {} : { message })
    }
    return Effect.suspend(() => {
      if (route.open) route.heardAt = clock.unsafeCurrentTimeMillis()
      return route.lock.withPermits(1)(Effect.suspend(() => route.open ? route.onProgress(report) : Effect.void))
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("a progress handler failed; the request goes on", cause)))
  }

  const deadline = <A, E, E2>(
    self: Effect.Effect<A, E>,
    route: Route,
    quiet: Duration.Duration,
    total: Duration.Duration,
    onTimeout: (why: Overdue) => E2
  ): Effect.Effect<A, E | E2> => {
    const quietMillis = Duration.toMillis(quiet)
    const totalMillis = Duration.toMillis(total)
    if (quietMillis === Infinity && totalMillis === Infinity) return self
    return Effect.suspend(() => {
      const capAt = clock.unsafeCurrentTimeMillis() + totalMillis
      const watch: Effect.Effect<never, E2> = Effect.suspend(() => {
        const quietAt = route.heardAt + quietMillis
        const due = Math.min(quietAt, capAt)
        const now = clock.unsafeCurrentTimeMillis()
        if (now >= due) return Effect.fail(onTimeout(capAt <= quietAt ? "total" : "quiet"))
        return Effect.zipRight(clock.sleep(Duration.millis(due - now)), watch)
      })
      return Effect.raceFirst(self, watch)
    })
  }

  return { open, close, deliver, deadline }
}

/**
 * `params` asking for progress under `token`: the spec's `_meta.progressToken`, added to any
 * `_meta` the request already has.
 *
 * @internal
 */
export const withToken = (params: unknown, token: JsonRpc.RequestId): unknown => {
  if (params === undefined) return { _meta: { progressToken: token } }
  if (!Predicate.isRecord(params)) return params
  const meta = Predicate.isRecord(params._meta) ? params._meta : {}
  return { ...params, _meta: { ...meta, progressToken: token } }
}

