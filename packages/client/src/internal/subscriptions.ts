/**
 * Resource subscriptions as streams. A server keeps one subscription per (session, uri), not one
 * per subscriber: the first `resources/unsubscribe` would end every subscriber's updates. So the
 * streams of one uri share one server subscription, made by the first and ended by the last.
 * Subscriptions live on the server's shared (token-less) session, the one that listens for
 * notifications; when what the server holds for it is lost (it forgot the session, its process
 * ended), each stream subscribes again on the session that replaces it.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as McpClient from "../McpClient.js"
import type { McpClientError, McpSessionError } from "../McpError.js"
import * as McpRetry from "../McpRetry.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Attempt from "./attempt.js"
import * as Defaults from "./defaults.js"
import type * as Servers from "./servers.js"
import type * as SessionPool from "./sessionPool.js"
import type * as Telemetry from "./telemetry.js"

/** One server subscription, and the streams sharing it. */
interface Share {
  readonly session: McpSession.McpSession
  /** Completes when the server no longer holds the subscription. */
  readonly lost: Deferred.Deferred<void>
  subscribers: number
}

/** @internal */
export interface Subscriptions {
  readonly subscribe: McpClient.Service["subscribeResource"]
}

/** @internal */
export const make = (options: {
  readonly servers: Servers.Servers
  readonly pool: Pick<SessionPool.SessionPool, "hold" | "lost" | "isEnded" | "watchResource">
  readonly attempts: Attempt.Attempts
  readonly telemetry: Telemetry.Telemetry
}): Subscriptions => {
  const { attempts, pool, servers, telemetry } = options
  const shares = new Map<string, Share>()
  // subscriptions come and go rarely: one lock per server keeps the counting simple
  const locks = new Map<string, Effect.Semaphore>()
  const lockOf = (server: string) => {
    const found = locks.get(server)
    if (found !== undefined) return found
    const lock = Effect.unsafeMakeSemaphore(1)
    locks.set(server, lock)
    return lock
  }
  const never = () => false

  /** Whether the share still stands for a subscription the server holds. */
  const isCurrent = (share: Share, session: McpSession.McpSession) =>
    Effect.map(Deferred.isDone(share.lost), (done) => !done && share.session === session && !pool.isEnded(session))

  /**
   * Joins the uri's subscription on the server's shared session, subscribing first if there is
   * none; the session is held, and the share left, when `scope` closes.
   */
  const join = (
    config: McpServerConfig.McpServerConfig,
    uri: string,
    id: string,
    timeout: Duration.Duration,
    policy: McpRetry.Policy,
    scope: Scope.Scope
  ): Effect.Effect<Share, McpClientError> => {
    const lock = lockOf(config.name)
    const state = Attempt.safeState()
    return telemetry.operation({ server: config.name, method: "resources/subscribe", uri }, (trace) => {
      const sessionOptions = trace.requestOptions(Attempt.untimed)
      const attempt = attempts.run(config, undefined, timeout, state, never, () =>
        Effect.flatMap(Scope.extend(pool.hold(config, undefined), scope), (session) =>
          // once the server holds the subscription, the share and its way out are recorded together
          Effect.uninterruptibleMask((restore) =>
            Effect.gen(function*() {
              yield* restore(lock.take(1))
              const share = yield* Effect.ensuring(enter(session, uri, id, sessionOptions, restore), lock.release(1))
              // only once the lock is released: on a scope that closed meanwhile (the stream ended
              // while it subscribed again), the finalizer runs at once, and it takes the lock
              yield* Scope.addFinalizer(scope, leave(config, uri, id, share))
              return share
            })
          )))
      return attempts.withRetries(config, { method: "resources/subscribe" }, policy, state, trace.attempt(attempt))
    })
  }

  /**
   * Counts one more subscriber of the uri's share on `session`, subscribing first if there is no
   * current one. Run under the server's lock, uninterruptibly but for the request.
   */
  const enter = (
    session: McpSession.McpSession,
    uri: string,
    id: string,
    sessionOptions: McpSession.RequestOptions,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<Share, McpSessionError> =>
    Effect.gen(function*() {
      const existing = shares.get(id)
      if (existing !== undefined && (yield* isCurrent(existing, session))) {
        existing.subscribers++
        return existing
      }
      // taken before asking, so that a loss while the request is in flight is not missed
      const lost = pool.lost(session)
      yield* restore(session.subscribeResource(uri, sessionOptions))
      const share: Share = { session, lost, subscribers: 1 }
      shares.set(id, share)
      return share
    })

  /** Leaves the share; the last one out unsubscribes, once, briefly, and never fails. */
  const leave = (config: McpServerConfig.McpServerConfig, uri: string, id: string, share: Share) =>
    lockOf(config.name).withPermits(1)(Effect.gen(function*() {
      share.subscribers--
      if (share.subscribers > 0) return
      if (shares.get(id) === share) shares.delete(id)
      if (!(yield* isCurrent(share, share.session))) return
      yield* telemetry.operation({ server: config.name, method: "resources/unsubscribe", uri }, (trace) =>
        trace.attempt(attempts.run(config, undefined, Defaults.unsubscribeTimeout, Attempt.safeState(), never, () =>
          share.session.unsubscribeResource(uri, trace.requestOptions(Attempt.untimed))))).pipe(
          Effect.catchAll((error) => Effect.logDebug("could not unsubscribe from a resource", error.message))
        )
    }))

  const subscribe = (server: string, uri: string, subscribeOptions: McpClient.SubscribeOptions = {}) =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const config = yield* servers.lookup(server)
      const timeout = subscribeOptions.timeout === undefined ? config.timeout : Duration.decode(subscribeOptions.timeout)
      const policy = subscribeOptions.retry === false
        ? { ...config.retry, times: 1 }
        : McpRetry.policy(subscribeOptions.retry, config.retry)
      const id = `${server}\u0000${uri}`
      const update: McpClient.ResourceUpdate = { server, uri }
      // updates only name the resource: one not yet taken says all that a second one would
      const updates = yield* Queue.sliding<McpClient.ResourceUpdate>(1)
      yield* pool.watchResource(server, uri, Queue.offer(updates, update))

      const streamScope = yield* Effect.scope
      const round = Effect.gen(function*() {
        const scope = yield* Scope.fork(streamScope, ExecutionStrategy.sequential)
        const share = yield* Effect.onError(join(config, uri, id, timeout, policy, scope), (cause) => Scope.close(scope, Exit.failCause(cause)))
        return { scope, share }
      })

      // the first subscription is made before the stream emits, so that its failure fails the stream
      let current = yield* round
      const failed = yield* Deferred.make<never, McpClientError>()
      yield* Effect.gen(function*() {
        while (true) {
          yield* Deferred.await(current.share.lost)
          yield* Scope.close(current.scope, Exit.void)
          // a client that closes ends its sessions: the loss is then the client's, and so is the end
          yield* servers.lookup(server)
          current = yield* round
          yield* Queue.offer(updates, update)
        }
      }).pipe(
        // not only failures: an attempt cut short by the client's close ends interrupted
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.matchEffect(servers.lookup(server), {
              onFailure: (closed) => Deferred.fail(failed, closed),
              onSuccess: () => Deferred.failCause(failed, cause)
            })
            : Deferred.failCause(failed, cause)
        ),
        Effect.forkScoped
      )
      return Stream.fromQueue(updates).pipe(Stream.interruptWhenDeferred(failed))
    }))

  return { subscribe }
}
