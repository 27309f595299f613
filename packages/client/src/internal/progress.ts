/**
 * Progress of a session's requests: the `progressToken` a request carries, the
 * `notifications/progress` routed back to it while it is in flight, and the deadline that each
 * of them starts over.
 *
 * The fiber that reads the server's messages never runs a handler: it calls the request's
 * `onProgress` (which only makes the effect to run) and hands that effect to the request's route,
 * a bounded backlog that a fiber of the request runs, one at a time and in order. Closing the
 * route never waits for a handler either: a handler that progress read just before the answer
 * woke gets its turn first, then the one still running is interrupted and the rest dropped, so
 * that none runs once the request has settled.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as McpSession from "../McpSession.js"
import type * as JsonRpc from "./jsonRpc.js"

/**
 * Progress a request's handler has not yet taken; past it the oldest is dropped, since a later
 * report says more of how far the request got.
 */
const BACKLOG = 64

/** @internal */
export interface Route {
  readonly onProgress: (progress: McpSession.Progress) => Effect.Effect<void>
  /** The handlers' effects, as the notifications were read, for the route's fiber to run. */
  readonly backlog: Queue.Queue<Effect.Effect<void>>
  /** The fiber that runs them, on the session's scope (set once forked). */
  runner: Fiber.RuntimeFiber<never> | undefined
  /** When the request was sent or last reported progress (epoch milliseconds), for its deadline. */
  heardAt: number
  /** Whether progress is still taken for the request: until its answer (or its end) is known. */
  open: boolean
  /** Whether the runner has (or is about to take) a handler to run. */
  busy: boolean
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
  /**
   * Routes the progress of `token` to `onProgress` until the route is closed; its handlers run
   * on a fiber forked from the caller's (it inherits its logging and tracing) into the session's scope.
   */
  readonly open: (token: JsonRpc.RequestId, onProgress: Route["onProgress"]) => Effect.Effect<Route>
  /** Stops routing progress to the request, and interrupts its handler without waiting for it. */
  readonly close: (token: JsonRpc.RequestId, route: Route) => Effect.Effect<void>
  /**
   * Hands a `notifications/progress` to the request it names, without waiting for its handler;
   * any other is logged at debug and dropped.
   */
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

const handlerFailed = (cause: unknown) => Effect.logWarning("a progress handler failed; the request goes on", cause)

/** @internal */
export const makeRoutes = (clock: Clock.Clock, scope: Scope.Scope): Routes => {
  const routes = new Map<string, Route>()

  /** The next handler to run; the runner is idle once it finds none waiting. */
  const next = (route: Route) =>
    Effect.flatMap(Queue.poll(route.backlog), (handler) => {
      if (Option.isSome(handler)) return Effect.succeed(handler.value)
      route.busy = false
      return Queue.take(route.backlog)
    })

  /** Runs the route's handlers one after another, for as long as the route is open. */
  const run = (route: Route): Effect.Effect<never> =>
    Effect.forever(Effect.flatMap(next(route), (handler) => route.open ? Effect.catchAllCause(handler, handlerFailed) : Effect.void))

  const open = (token: JsonRpc.RequestId, onProgress: Route["onProgress"]): Effect.Effect<Route> =>
    Effect.gen(function*() {
      const backlog = yield* Queue.sliding<Effect.Effect<void>>(BACKLOG)
      const route: Route = {
        onProgress,
        backlog,
        runner: undefined,
        heardAt: clock.unsafeCurrentTimeMillis(),
        open: true,
        busy: false
      }
      route.runner = yield* Effect.forkIn(Effect.interruptible(Effect.suspend(() => run(route))), scope)
      routes.set(String(token), route)
      return route
    })

  const close = (token: JsonRpc.RequestId, route: Route): Effect.Effect<void> =>
    Effect.suspend(() => {
      // no progress is taken once the answer is known: what was read before it is all there is
      const key = String(token)
      if (routes.get(key) === route) routes.delete(key)
      // handlers that progress read just before the answer woke get their turn, for the time of
      // one yield: a handler done by then has had all of it, one still running is interrupted
      const turn = route.busy && route.open ? Effect.yieldNow() : Effect.void
      return Effect.zipRight(
        turn,
        Effect.suspend(() => {
          route.open = false
          return route.runner === undefined ? Effect.void : Fiber.interruptAsFork(route.runner, FiberId.none)
        })
      )
    })

  const deliver = (params: unknown): Effect.Effect<void> => {
    const decoded = decodeProgress(params)
    if (Either.isLeft(decoded) || decoded.right.progress === undefined) {
      return Effect.logDebug("ignored a notifications/progress without a token or a progress")
    }
    const { message, progress, progressToken, total } = decoded.right
    const route = routes.get(String(progressToken))
    if (route === undefined || !route.open) {
      return Effect.logDebug(`ignored progress for ${JSON.stringify(progressToken)}, which is no request in flight`)
    }
    const report: McpSession.Progress = {
      progress,
      ...(total === undefined ? {} : { total }),
      ...(message === undefined ? {} : { message })
    }
    // the handler is called now, as the notification is read, and what it returns is run later
    return Effect.sync(() => {
      route.heardAt = clock.unsafeCurrentTimeMillis()
      return route.onProgress(report)
    }).pipe(
      Effect.flatMap((handler) => {
        route.busy = true
        return Queue.offer(route.backlog, handler)
      }),
      Effect.catchAllCause(handlerFailed)
    )
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

