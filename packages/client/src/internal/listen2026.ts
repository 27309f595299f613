/**
 * `subscriptions/listen` (2026-07-28), which replaced the HTTP GET stream and
 * `resources/subscribe`: one long-lived request whose answer stream carries the notifications the
 * client opted in to (list changes, and updates of the subscribed resources).
 *
 * The session keeps at most one stream, for the current filter. Each stream is acknowledged
 * first (`notifications/subscriptions/acknowledged`, tagged with its `subscriptionId`, the
 * request's id); a subscription is in place once the acknowledgement names its uri, and fails
 * when the server leaves it out (the filter the server honours is the acknowledged one). A change
 * of filter opens the new stream, waits for its acknowledgement, then closes the old one (closing
 * the HTTP answer stream, or `notifications/cancelled` over stdio). A stream that ends, by the
 * server's graceful answer or a dropped connection, is opened again after a growing delay
 * (1 s to 30 s), with the same filter, for as long as the session is open. Notifications tagged
 * with the id of a stream no longer open are dropped.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type McpSessionError, ProtocolError } from "../McpError.js"
import type * as Answer from "./answer.js"
import type { Outgoing } from "./channel.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Transport from "./transport.js"

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
const ACKNOWLEDGED = "notifications/subscriptions/acknowledged"

/** What a stream asks for. */
export interface Filter {
  readonly toolsListChanged?: boolean
  readonly promptsListChanged?: boolean
  readonly resourcesListChanged?: boolean
  readonly resourceSubscriptions?: ReadonlyArray<string>
}

/** @internal */
export interface Listener {
  /** The session's message handler: acknowledgements are taken here, stale streams' notifications dropped. */
  readonly onMessage: (message: Answer.Other, during: Outgoing | undefined) => Effect.Effect<void>
  /** Adds `uri` to the filter; succeeds once a stream acknowledged it. */
  readonly subscribe: (uri: string) => Effect.Effect<void, McpSessionError>
  /** Removes `uri` from the filter. */
  readonly unsubscribe: (uri: string) => Effect.Effect<void, McpSessionError>
  /** Opens the stream of list changes, when they are wanted, in the background. */
  readonly start: Effect.Effect<void>
  /**
   * What the current stream was acknowledged for, while it is open: its `epoch` changes with
   * every acknowledgement, so that what was kept before a gap (when changes may have been
   * missed) is told apart from what was kept since.
   */
  readonly watching: () => Watching | undefined
}

/** @internal */
export interface Watching {
  readonly epoch: number
  readonly filter: Filter
}

interface Stream {
  id: JsonRpc.RequestId | undefined
  readonly acknowledged: Deferred.Deferred<Filter, McpSessionError>
  fiber: Fiber.RuntimeFiber<void> | undefined
  /** Set by each acknowledgement of its current request, cleared when that request ends. */
  watching: Watching | undefined
}

const backoff = Schedule.exponential(Duration.seconds(1)).pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(30))),
  Schedule.resetAfter(Duration.minutes(1))
)

const subscriptionIdOf = (params: unknown): JsonRpc.RequestId | undefined => {
  const meta = Predicate.isRecord(params) && Predicate.isRecord(params._meta) ? params._meta : undefined
  const id = meta?.[SUBSCRIPTION_ID]
  return typeof id === "string" || typeof id === "number" ? id : undefined
}

const decodeFilter = (params: unknown): Filter => {
  const filter = Predicate.isRecord(params) && Predicate.isRecord(params.notifications) ? params.notifications : {}
  return {
    toolsListChanged: filter.toolsListChanged === true,
    promptsListChanged: filter.promptsListChanged === true,
    resourcesListChanged: filter.resourcesListChanged === true,
    resourceSubscriptions: Array.isArray(filter.resourceSubscriptions) ? filter.resourceSubscriptions.filter(Predicate.isString) : []
  }
}

/** @internal */
export const make = (options: {
  readonly server: string
  readonly scope: Scope.Scope
  readonly ackTimeout: Duration.Duration
  /** The list changes to ask for (empty: none). */
  readonly lists: Omit<Filter, "resourceSubscriptions">
  /** Whether the server announced `resources.subscribe`. */
  readonly canSubscribe: () => boolean
  /** Forwards a message to the session's handling (progress, logs, `onNotification`). */
  readonly forward: (message: Answer.Other, during: Outgoing | undefined) => Effect.Effect<void>
  /** Sends `subscriptions/listen` with no deadline; `onSent` is told its id. */
  readonly listen: (filter: Filter, onSent: (id: JsonRpc.RequestId) => void) => Effect.Effect<unknown, McpSessionError>
}): Effect.Effect<Listener> =>
  Effect.gen(function*() {
    const target: Transport.Target = { server: options.server }
    const uris = new Set<string>()
    const lock = yield* Effect.makeSemaphore(1)
    /** Streams that are open or opening, by id. */
    const open = new Map<string, Stream>()
    let current: Stream | undefined
    let epochs = 0

    const filter = (): Filter => ({ ...options.lists, resourceSubscriptions: [...uris] })
    const wanted = (f: Filter) =>
      f.toolsListChanged === true || f.promptsListChanged === true || f.resourcesListChanged === true ||
      (f.resourceSubscriptions?.length ?? 0) > 0

    /** One stream, opened again after it ends until it is replaced; returns once acknowledged (or failed). */
    const openStream = Effect.gen(function*() {
      const stream: Stream = { id: undefined, acknowledged: yield* Deferred.make<Filter, McpSessionError>(), fiber: undefined, watching: undefined }
      const once = Effect.suspend(() => {
        const asked = filter()
        return options.listen(asked, (id) => {
          if (stream.id !== undefined) open.delete(String(stream.id))
          stream.id = id
          open.set(String(id), stream)
        }).pipe(
          Effect.ensuring(Effect.sync(() => {
            stream.watching = undefined
          })),
          Effect.tapError((error) => Deferred.fail(stream.acknowledged, error)),
          // a graceful end, or a dropped connection: either way, listen again while wanted
          Effect.zipRight(Effect.fail(Transport.transportError(target, "Closed", "the subscriptions/listen stream ended"))),
          Effect.tapError((error) => Effect.logDebug("the subscriptions/listen stream will be reopened", error.message))
        )
      })
      stream.fiber = yield* once.pipe(
        // an error answer (a server without subscriptions/listen) will not change by asking again
        Effect.retry({ schedule: backoff, while: (error) => error._tag === "TransportError" }),
        Effect.catchAllCause((cause) => Effect.logDebug("the subscriptions/listen stream stopped", cause)),
        Effect.ensuring(Effect.sync(() => stream.id !== undefined && open.delete(String(stream.id)))),
        Effect.annotateLogs({ server: options.server }),
        Effect.interruptible,
        Effect.forkIn(options.scope)
      )
      return stream
    })

    /** Replaces the stream by one for the current filter, the old one closed once the new one is acknowledged. */
    const refresh = lock.withPermits(1)(Effect.gen(function*() {
      const previous = current
      if (!wanted(filter())) {
        current = undefined
        if (previous?.fiber !== undefined) yield* Fiber.interrupt(previous.fiber)
        return undefined
      }
      const next = yield* openStream
      current = next
      const acknowledged = yield* Deferred.await(next.acknowledged).pipe(
        Effect.timeoutFail({
          duration: options.ackTimeout,
          onTimeout: () =>
            Transport.transportError(target, "Timeout", `subscriptions/listen was not acknowledged within ${Duration.format(options.ackTimeout)}`)
        }),
        Effect.either
      )
      if (previous?.fiber !== undefined) yield* Fiber.interrupt(previous.fiber)
      return acknowledged
    }))

    const onMessage = (message: Answer.Other, during: Outgoing | undefined): Effect.Effect<void> => {
      if (message._tag !== "Notification") return options.forward(message, during)
      const id = subscriptionIdOf(message.params)
      if (id === undefined) return options.forward(message, during)
      const stream = open.get(String(id))
      // a stream already closed, or not ours
      if (stream === undefined) return Effect.void
      if (message.method === ACKNOWLEDGED) {
        const acknowledged = decodeFilter(message.params)
        stream.watching = { epoch: ++epochs, filter: acknowledged }
        return Effect.asVoid(Deferred.succeed(stream.acknowledged, acknowledged))
      }
      return options.forward(message, during)
    }

    const refused = (uri: string, why: string) =>
      new ProtocolError({
        server: options.server,
        code: JsonRpc.METHOD_NOT_FOUND,
        message: `MCP server "${options.server}" ${why}: no updates of ${uri}`,
        refusedLocally: true
      })

    const subscribe = (uri: string): Effect.Effect<void, McpSessionError> =>
      Effect.gen(function*() {
        if (!options.canSubscribe()) return yield* refused(uri, `did not announce the "resources.subscribe" capability`)
        if (uris.has(uri) && current !== undefined) return
        uris.add(uri)
        const outcome = yield* refresh
        if (outcome === undefined) return
        if (outcome._tag === "Left") {
          uris.delete(uri)
          return yield* outcome.left
        }
        if (!(outcome.right.resourceSubscriptions ?? []).includes(uri)) {
          uris.delete(uri)
          yield* Effect.asVoid(refresh)
          return yield* refused(uri, "did not acknowledge the subscription")
        }
      })

    const unsubscribe = (uri: string): Effect.Effect<void, McpSessionError> =>
      Effect.suspend(() => uris.delete(uri) ? Effect.asVoid(refresh) : Effect.void)

    const start = wanted(filter())
      ? Effect.asVoid(refresh.pipe(Effect.interruptible, Effect.forkIn(options.scope)))
      : Effect.void

    return { onMessage, subscribe, unsubscribe, start, watching: () => current?.watching }
  })
