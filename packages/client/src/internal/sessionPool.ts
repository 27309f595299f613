/**
 * The client's sessions: one per (server, bearer token), opened lazily, kept in an `RcMap` until
 * idle, each with its own tool list (a token may see tools another does not). The token-less
 * session of each server is the shared one: it listens on the GET stream, feeds `listTools`,
 * `availableTools` and `status`, and its `tools/list_changed` empties every tool list of that
 * server.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as RcMap from "effect/RcMap"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { McpSessionError } from "../McpError.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import * as McpSession from "../McpSession.js"
import * as ServerLog from "./serverLog.js"

class SessionKey extends Data.Class<{
  readonly server: string
  readonly auth: Redacted.Redacted<string> | undefined
}> {}

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
    /** Called with each log message of any session's server. */
    readonly onServerLog?: ((message: ServerLog.Message) => Effect.Effect<void>) | undefined
  }
): Effect.Effect<SessionPool, never, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const byName = new Map(configs.map((config) => [config.name, config]))
    const tools = new WeakMap<McpSession.McpSession, ReadonlyArray<McpSchema.Tool>>()
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
        if (session !== undefined) ended.add(session)
        if (ready.get(id)?.session === session) ready.delete(id)
        return Effect.asVoid(Effect.forkIn(RcMap.invalidate(sessions, key), poolScope))
      })

    const forgetTools = (server: string) =>
      Effect.sync(() => {
        for (const session of open) if (session.server === server) tools.delete(session)
      })

    const sessions: RcMap.RcMap<SessionKey, McpSession.McpSession, McpSessionError> = yield* RcMap.make({
      lookup: (key: SessionKey) =>
        Effect.gen(function*() {
          const config = byName.get(key.server)!
          const common = {
            server: config.name,
            timeout: config.timeout,
            maxMessageSize: config.maxMessageSize,
            clientInfo: options.clientInfo,
            onNotification: (notification: McpSession.Notification) =>
              notification.method === "notifications/tools/list_changed"
                ? forgetTools(config.name)
                : notification.method === "notifications/message" && options.onServerLog !== undefined
                ? options.onServerLog(ServerLog.decode(config.name, notification.params))
                : Effect.void
          }
          let started: McpSession.McpSession | undefined
          const session = yield* (config.stdio === undefined
            ? McpSession.make({ ...common, url: config.url, headers: config.headers, auth: key.auth, listen: key.auth === undefined })
            : McpSession.make({
              ...common,
              ...config.stdio,
              // a process that died is started again by the next call, not reused
              onExit: Effect.suspend(() => forget(readyId(key.server, key.auth), key, started))
            }))
          started = session
          open.add(session)
          const id = readyId(key.server, key.auth)
          ready.set(id, { key, session, touched: yield* Clock.currentTimeMillis })
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              open.delete(session)
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

    return {
      use: (config, auth, use) => {
        const entry = ready.get(readyId(config.name, auth))
        if (entry === undefined) {
          const key = new SessionKey({ server: config.name, auth })
          const get = RcMap.get(sessions, key)
          return Effect.scoped(
            get.pipe(
              Effect.flatMap((session) => ended.has(session) ? Effect.zipRight(RcMap.invalidate(sessions, key), get) : Effect.succeed(session)),
              Effect.flatMap(use)
            )
          )
        }
        return Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          if (now - entry.touched < 1000) return use(entry.session)
          entry.touched = now
          return Effect.zipRight(RcMap.touch(sessions, entry.key), use(entry.session))
        })
      },
      ready: (config, auth) => ready.get(readyId(config.name, auth))?.session,
      cachedTools: (session) => tools.get(session),
      fetchTools: (session, requestOptions) =>
        Effect.tap(session.listTools(requestOptions), (list) => Effect.sync(() => tools.set(session, list))),
      shared: (server) => ready.get(readyId(server, undefined))?.session,
      openCounts: () => {
        const counts = new Map<string, number>()
        for (const session of open) counts.set(session.server, (counts.get(session.server) ?? 0) + 1)
        return counts
      }
    }
  })
