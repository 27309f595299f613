/**
 * The client's sessions: one per (server, bearer token), opened lazily, kept in an `RcMap` until
 * idle, each with its own lists of tools, resources, resource templates and prompts (a token may
 * see what another does not). The token-less session of each server is the shared one: it
 * listens on the GET stream, feeds `listTools`, `availableTools` and `status`, and carries the
 * resource subscriptions. A `list_changed` notification empties that list in every session of the
 * server; a `resources/updated` goes to the watchers of its uri.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Predicate from "effect/Predicate"
import * as RcMap from "effect/RcMap"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { McpSessionError } from "../McpError.js"
import type * as McpOAuth from "../McpOAuth.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import * as McpSession from "../McpSession.js"
import * as Lists from "./lists.js"
import * as Negotiation from "./negotiation.js"
import * as ServerLog from "./serverLog.js"
import * as Telemetry from "./telemetry.js"

class SessionKey extends Data.Class<{
  readonly server: string
  readonly auth: Redacted.Redacted<string> | undefined
}> {}

const fetchers: { readonly [K in Lists.ListKind]: (session: McpSession.McpSession, options?: McpSession.RequestOptions) => Effect.Effect<Lists.Lists[K], McpSessionError> } = {
  tools: (session, options) => session.listTools(options),
  resources: (session, options) => session.listResources(options),
  resourceTemplates: (session, options) => session.listResourceTemplates(options),
  prompts: (session, options) => session.listPrompts(options)
}

/** @internal */
export interface SessionPool {
  /** Runs `use` with the session for (server, token), opening it if needed. */
  readonly use: <A, E>(
    config: McpServerConfig.McpServerConfig,
    auth: Redacted.Redacted<string> | undefined,
    use: (session: McpSession.McpSession) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | McpSessionError>
  /** The open session for (server, token), if there is one. */
  readonly ready: (config: McpServerConfig.McpServerConfig, auth: Redacted.Redacted<string> | undefined) => McpSession.McpSession | undefined
  /** The session's tool list as last fetched. */
  readonly cachedTools: (session: McpSession.McpSession) => ReadonlyArray<McpSchema.Tool> | undefined
  /** Fetches the session's tool list (every page) and keeps it. */
  readonly fetchTools: (
    session: McpSession.McpSession,
    options?: McpSession.RequestOptions
  ) => Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpSessionError>
  /** The session's list of `kind` as last fetched. */
  readonly cached: <K extends Lists.ListKind>(kind: K, session: McpSession.McpSession) => Lists.Lists[K] | undefined
  /** Fetches the session's list of `kind` (every page) and keeps it. */
  readonly fetch: <K extends Lists.ListKind>(
    kind: K,
    session: McpSession.McpSession,
    options?: McpSession.RequestOptions
  ) => Effect.Effect<Lists.Lists[K], McpSessionError>
  /** The session for (server, token), opened if needed and kept open until the scope closes. */
  readonly hold: (
    config: McpServerConfig.McpServerConfig,
    auth: Redacted.Redacted<string> | undefined
  ) => Effect.Effect<McpSession.McpSession, McpSessionError, Scope.Scope>
  /**
   * Completes when what the server holds for the session is gone: the session closed, its
   * process ended, or the server forgot it and it was opened again. Taken before asking the
   * server for something (a subscription), it says when to ask again.
   */
  readonly lost: (session: McpSession.McpSession) => Deferred.Deferred<void>
  /** Whether the session can no longer be used (closed, or its process ended). */
  readonly isEnded: (session: McpSession.McpSession) => boolean
  /** Offers each `notifications/resources/updated` of (server, uri) to `onUpdate` until the scope closes. */
  readonly watchResource: (server: string, uri: string, onUpdate: Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  /** Remembers the logging level set on the session, to set it again on the sessions that replace it. */
  readonly keepLoggingLevel: (session: McpSession.McpSession, level: McpSchema.LoggingLevel) => void
  /** The open token-less session of a server. */
  readonly shared: (server: string) => McpSession.McpSession | undefined
  /** Open sessions per server. */
  readonly openCounts: () => ReadonlyMap<string, number>
}

/** @internal */
export const make = (
  configs: ReadonlyArray<McpServerConfig.McpServerConfig>,
  options: {
    readonly idleTimeToLive: Duration.DurationInput
    readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
    readonly handlers?: McpSession.ClientHandlers | undefined
    /** Called with each log message of any session's server. */
    readonly onServerLog?: ((message: ServerLog.Message) => Effect.Effect<void>) | undefined
    /** The OAuth token source of each server configured with `oauth`. */
    readonly tokenSources?: ReadonlyMap<string, McpOAuth.TokenSource> | undefined
  }
): Effect.Effect<SessionPool, never, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const byName = new Map(configs.map((config) => [config.name, config]))
    /** Which revision each HTTP endpoint speaks, learned by the first session's probe. */
    const protocolCache = McpSession.makeProtocolCache()
    const lists: { readonly [K in Lists.ListKind]: WeakMap<McpSession.McpSession, Lists.Lists[K]> } = {
      tools: new WeakMap(),
      resources: new WeakMap(),
      resourceTemplates: new WeakMap(),
      prompts: new WeakMap()
    }
    /**
     * Announced changes of each server's lists, counted: a list fetched while one was announced
     * (the GET stream may overtake the answer) is not kept, so the next request lists again.
     */
    const changes = new Map<string, number>()
    const changed = (server: string) => changes.set(server, (changes.get(server) ?? 0) + 1)
    const lostSignals = new WeakMap<McpSession.McpSession, Deferred.Deferred<void>>()
    const watchers = new Map<string, Set<Effect.Effect<void>>>()
    const watchId = (server: string, uri: string) => `${server}\u0000${uri}`
    /** Logging levels set, by (server, token): the level belongs to a session, the wish outlives it. */
    const levels = new Map<string, McpSchema.LoggingLevel>()
    const idOf = new WeakMap<McpSession.McpSession, string>()
    const applyLevel = (id: string, session: McpSession.McpSession) => {
      const level = levels.get(id)
      return level === undefined ? Effect.void : session.setLoggingLevel(level).pipe(
        Effect.catchAll((error) => Effect.logWarning("could not set the logging level again", error.message))
      )
    }
    /**
     * Open sessions by (server, token), for the call path: `RcMap.get` needs a scope per call,
     * which costs more than the request itself on loopback. A session found here is used
     * directly and its idle deadline pushed back with `RcMap.touch` (at most once a second);
     * it leaves this map before it closes.
     */
    const ready = new Map<string, { readonly key: SessionKey; readonly session: McpSession.McpSession; touched: number }>()
    const readyId = (server: string, auth: Redacted.Redacted<string> | undefined) =>
      auth === undefined ? server : `${server}\u0000${Redacted.value(auth)}`
    const open = new Set<McpSession.McpSession>()

    const poolScope = yield* Effect.scope
    /** Sessions whose process ended: `RcMap` may still hand one out until it is invalidated. */
    const ended = new WeakSet<McpSession.McpSession>()

    /**
     * Drops a session that can no longer be used, so that the next call opens a new one. Told
     * from the session's own fibers, which closing it would interrupt: it is closed from a fiber
     * of the pool.
     */
    const forget = (id: string, key: SessionKey, session: McpSession.McpSession | undefined) =>
      Effect.suspend(() => {
        if (session !== undefined) {
          ended.add(session)
          signalLost(session)
        }
        if (ready.get(id)?.session === session) ready.delete(id)
        return Effect.asVoid(Effect.forkIn(RcMap.invalidate(sessions, key), poolScope))
      })

    /** Completes the session's current loss signal, and gives it a fresh one if it lives on. */
    const signalLost = (session: McpSession.McpSession) => {
      const signal = lostSignals.get(session)
      if (signal !== undefined) Deferred.unsafeDone(signal, Effect.void)
      lostSignals.set(session, Deferred.unsafeMake<void>(FiberId.none))
    }

    const onNotification = (server: string) => (notification: McpSession.Notification): Effect.Effect<void> => {
      const kinds = Lists.emptiedBy[notification.method]
      if (kinds !== undefined) {
        return Effect.sync(() => {
          changed(server)
          for (const session of open) {
            if (session.server === server) for (const kind of kinds) lists[kind].delete(session)
          }
        })
      }
      if (notification.method === "notifications/resources/updated") {
        const params = notification.params
        const uri = Predicate.isRecord(params) && typeof params.uri === "string" ? params.uri : undefined
        const watching = uri === undefined ? undefined : watchers.get(watchId(server, uri))
        return watching === undefined ? Effect.void : Effect.forEach(watching, (onUpdate) => onUpdate, { discard: true })
      }
      if (notification.method === "notifications/message" && options.onServerLog !== undefined) {
        return options.onServerLog(ServerLog.decode(server, notification.params))
      }
      return Effect.void
    }

    const sessions: RcMap.RcMap<SessionKey, McpSession.McpSession, McpSessionError> = yield* RcMap.make({
      lookup: (key: SessionKey) =>
        Effect.gen(function*() {
          const config = byName.get(key.server)!
          const common = {
            server: config.name,
            timeout: config.timeout,
            maxMessageSize: config.maxMessageSize,
            protocolVersion: config.protocolVersion,
            clientInfo: options.clientInfo,
            handlers: options.handlers,
            onNotification: onNotification(config.name),
            // lazily: the session is not known until `make` returns, and the first opening is no loss
            onReinitialized: Effect.suspend(() => {
              if (started === undefined) return Effect.void
              signalLost(started)
              // a server that forgot the session may have restarted with other lists, and no
              // list_changed will say so
              changed(config.name)
              for (const kind of Lists.listKinds) lists[kind].delete(started)
              // forked: this runs inside the session's re-initialization, which its requests wait for
              return Effect.asVoid(Effect.forkIn(applyLevel(readyId(key.server, key.auth), started), poolScope))
            })
          }
          let started: McpSession.McpSession | undefined
          const session = yield* (config.stdio === undefined
            ? McpSession.make({
              ...common,
              url: config.url,
              headers: config.headers,
              auth: key.auth,
              // the caller's own token wins over OAuth: its session never asks the token source
              oauth: key.auth === undefined ? options.tokenSources?.get(config.name) : undefined,
              listen: key.auth === undefined,
              protocolCache
            })
            : McpSession.make({
              ...common,
              ...config.stdio,
              // a process that died is started again by the next call, not reused
              onExit: Effect.suspend(() => forget(readyId(key.server, key.auth), key, started))
            }))
          started = session
          yield* Telemetry.sessionTimed(config.name, config.stdio === undefined ? "http" : "stdio")
          open.add(session)
          signalLost(session)
          idOf.set(session, readyId(key.server, key.auth))
          yield* applyLevel(readyId(key.server, key.auth), session)
          const id = readyId(key.server, key.auth)
          ready.set(id, { key, session, touched: yield* Clock.currentTimeMillis })
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              ended.add(session)
              signalLost(session)
              open.delete(session)
              // a token's wish ends with its session: the map would otherwise keep every token seen
              if (key.auth !== undefined) levels.delete(id)
              if (ready.get(id)?.session === session) ready.delete(id)
            })
          )
          return session
        }).pipe(
          // RcMap keeps a failed acquisition until it idles out; drop it now, while it is
          // still this entry that the map holds, so that the next call tries afresh
          Effect.tapError(() => RcMap.invalidate(sessions, key))
        ),
      idleTimeToLive: options.idleTimeToLive
    })
    // RcMap releases its entries one after another; delete them all at once, before it does.
    yield* Effect.addFinalizer(() => Effect.forEach(open, (session) => session.close, { concurrency: "unbounded", discard: true }))

    /** The session for the key in the current scope; one whose process ended is replaced. */
    const hold = (config: McpServerConfig.McpServerConfig, auth: Redacted.Redacted<string> | undefined) => {
      const key = new SessionKey({ server: config.name, auth })
      const get = RcMap.get(sessions, key)
      return Effect.flatMap(get, (session) => ended.has(session) ? Effect.zipRight(RcMap.invalidate(sessions, key), get) : Effect.succeed(session))
    }

    const clock = yield* Effect.clock
    /**
     * A kept list, while fresh: until a `list_changed` (2025), and within its `ttlMs` too
     * (2026-07-28, which the session tracks).
     */
    const cached = <K extends Lists.ListKind>(kind: K, session: McpSession.McpSession): Lists.Lists[K] | undefined => {
      const list = lists[kind].get(session)
      if (list === undefined || session.freshUntil === undefined) return list
      const until = session.freshUntil(Lists.listMethods[kind])
      return until !== undefined && until > clock.unsafeCurrentTimeMillis() ? list : undefined
    }

    const fetch = <K extends Lists.ListKind>(
      kind: K,
      session: McpSession.McpSession,
      requestOptions?: McpSession.RequestOptions
    ): Effect.Effect<Lists.Lists[K], McpSessionError> => {
      const kept: WeakMap<McpSession.McpSession, Lists.Lists[K]> = lists[kind]
      const fetched: Effect.Effect<Lists.Lists[K], McpSessionError> = fetchers[kind](session, requestOptions)
      return Effect.suspend(() => {
        const before = changes.get(session.server) ?? 0
        return Effect.map(fetched, (list) => {
          if ((changes.get(session.server) ?? 0) === before) kept.set(session, list)
          return list
        })
      })
    }

    const useOpen = <A, E>(
      config: McpServerConfig.McpServerConfig,
      auth: Redacted.Redacted<string> | undefined,
      use: (session: McpSession.McpSession) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | McpSessionError> => {
      const entry = ready.get(readyId(config.name, auth))
      if (entry === undefined) return Effect.scoped(Effect.flatMap(hold(config, auth), use))
      return Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        if (now - entry.touched < 1000) return use(entry.session)
        entry.touched = now
        return Effect.zipRight(RcMap.touch(sessions, entry.key), use(entry.session))
      })
    }

    /**
     * A -32022 answered on an open 2026-07-28 session: the server no longer speaks the session's
     * revision. The session and the endpoint's verdict are dropped (by the first request to hear
     * it), and each request so refused, which the server did not read, is sent once more on a
     * session negotiated anew. On a 2025 session -32022 is a code the server is free to define
     * (its tool may have run): the answer stands.
     */
    const renegotiated = <A, E>(
      config: McpServerConfig.McpServerConfig,
      auth: Redacted.Redacted<string> | undefined,
      use: (session: McpSession.McpSession) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | McpSessionError> => {
      let used: McpSession.McpSession | undefined
      return useOpen(config, auth, (session) => {
        used = session
        return use(session)
      }).pipe(
        Effect.catchIf(
          (error) => Predicate.isTagged(error, "UnsupportedVersionError") && used !== undefined,
          (error) =>
            Effect.gen(function*() {
              const refusedBy = used!
              if (!Negotiation.isModern((yield* refusedBy.info).protocolVersion)) return yield* Effect.fail(error)
              if (!ended.has(refusedBy)) {
                yield* Effect.logWarning("the server no longer speaks the session's protocol version: negotiating again").pipe(
                  Effect.annotateLogs({ server: config.name })
                )
                if (config.stdio === undefined) protocolCache.delete(Negotiation.endpointKey(config.url))
                yield* forget(readyId(config.name, auth), new SessionKey({ server: config.name, auth }), refusedBy)
                // the forgotten session leaves the map on a fiber of its own: wait for a new one
                yield* RcMap.invalidate(sessions, new SessionKey({ server: config.name, auth }))
              }
              return yield* useOpen(config, auth, use)
            })
        )
      )
    }

    return {
      use: renegotiated,
      ready: (config, auth) => ready.get(readyId(config.name, auth))?.session,
      // a call's tool definition (for its annotations and headers) may come from a stale list
      cachedTools: (session) => lists.tools.get(session),
      fetchTools: (session, requestOptions) => fetch("tools", session, requestOptions),
      cached,
      fetch,
      hold,
      // every session of the pool got its signal when it opened
      lost: (session) => lostSignals.get(session)!,
      isEnded: (session) => ended.has(session),
      keepLoggingLevel: (session, level) => {
        const id = idOf.get(session)
        if (id !== undefined) levels.set(id, level)
      },
      watchResource: (server, uri, onUpdate) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const id = watchId(server, uri)
            const watching = watchers.get(id) ?? new Set()
            watching.add(onUpdate)
            watchers.set(id, watching)
            return { id, watching }
          }),
          ({ id, watching }) =>
            Effect.sync(() => {
              watching.delete(onUpdate)
              if (watching.size === 0 && watchers.get(id) === watching) watchers.delete(id)
            })
        ),
      shared: (server) => ready.get(readyId(server, undefined))?.session,
      openCounts: () => {
        const counts = new Map<string, number>()
        for (const session of open) counts.set(session.server, (counts.get(session.server) ?? 0) + 1)
        return counts
      }
    }
  })
