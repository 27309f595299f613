/**
 * Opening a session with the revision the server speaks: a pinned revision is used as it is;
 * otherwise the 2026-07-28 adapter probes with `server/discover` (`negotiation.ts` reads the
 * answer) and, when the server is legacy, the 2025 adapter opens the same channel (the same
 * process, over stdio) with `initialize`. The verdict is remembered in the cache, per endpoint,
 * one probe at a time per endpoint, and forgotten only when the server itself refuses an opening
 * (a JSON-RPC error, a 4xx that is evidence of age); a server remembered as old that refuses
 * `initialize` so is probed again within the same opening.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Scope from "effect/Scope"
import type { McpSessionError, TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import type { Channel, Handlers } from "./channel.js"
import * as Defaults from "./defaults.js"
import * as HttpChannel from "./httpChannel.js"
import * as Negotiation from "./negotiation.js"
import * as Legacy from "./session.js"
import * as Modern from "./session2026.js"
import * as Core from "./sessionCore.js"
import * as StdioChannel from "./stdioChannel.js"

/** @internal */
export interface OpenOptions extends Core.AdapterOptions {
  /** A pinned revision; `undefined` or `"auto"` negotiates. */
  readonly protocolVersion?: string | undefined
  /** Where verdicts are remembered, under `cacheKey`. */
  readonly cache?: Negotiation.Cache | undefined
  readonly cacheKey?: string | undefined
  /** HTTP: keep a stream open for notifications outside requests (GET in 2025, subscriptions/listen in 2026-07-28). */
  readonly listen?: boolean | undefined
  /** stdio: completes on the process's first output, which starts the probe's short deadline. */
  readonly started?: Effect.Effect<void> | undefined
  /** Told once the probe is over (or when there is none): the channel's leniencies for it end. */
  readonly probed?: (() => void) | undefined
}

/** @internal */
export const isStdio = (options: McpSession.Options): options is McpSession.StdioOptions =>
  "command" in options && typeof options.command === "string"

/**
 * `McpSession.make`: the channel its options describe, and the session opened over it.
 *
 * @internal
 */
export const make = (
  options: McpSession.Options
): Effect.Effect<McpSession.McpSession, McpSessionError, HttpClient.HttpClient | Scope.Scope> => {
  const closeTimeout = Duration.decode(options.closeTimeout ?? Defaults.closeTimeout)
  const maxMessageSize = options.maxMessageSize ?? Defaults.maxMessageSize
  if (isStdio(options)) {
    const stdio = options
    return Effect.flatMap(Deferred.make<void>(), (started) => {
      let probing = true
      return open({ ...stdio, started: Deferred.await(started), probed: () => void (probing = false) }, (handlers) =>
        StdioChannel.make({
          server: stdio.server,
          command: stdio.command,
          args: stdio.args ?? [],
          env: stdio.env ?? {},
          cwd: stdio.cwd,
          maxMessageSize,
          closeTimeout,
          onExit: stdio.onExit,
          onOutput: () => Deferred.unsafeDone(started, Exit.void),
          acceptStray: () => probing
        }, handlers))
    })
  }
  const http = options
  const cache = { cache: http.protocolCache, cacheKey: Negotiation.endpointKey(http.url) }
  return open({ ...http, ...cache }, (handlers) =>
    HttpChannel.make({
      server: http.server,
      url: String(http.url),
      headers: http.headers,
      auth: http.auth,
      tokens: http.oauth,
      maxMessageSize,
      closeTimeout,
      listen: http.listen === true
    }, handlers))
}

/** @internal */
export const open = <R>(
  options: OpenOptions,
  connect: (handlers: Handlers) => Effect.Effect<Channel, TransportError, R>
): Effect.Effect<McpSession.McpSession, McpSessionError, R | Scope.Scope> => {
  const pin = options.protocolVersion === "auto" ? undefined : options.protocolVersion
  if (pin !== undefined && !Negotiation.isModern(pin)) {
    if (!Negotiation.isLegacy(pin)) {
      return Effect.fail(Negotiation.noCommonVersion(options.server, pin, []))
    }
    options.probed?.()
    return Legacy.make({ ...options, version: pin }, connect)
  }
  const { cache, cacheKey } = options
  if (pin !== undefined || cache === undefined || cacheKey === undefined) {
    return Effect.map(negotiate(options, pin, undefined, connect), ({ session }) => session)
  }
  const remember = (era: Negotiation.Era) => Effect.sync(() => cache.set(cacheKey, era))
  // an opening that fails for want of a token, on a server error or a network failure says
  // nothing of the server's age: only the server's own refusal undoes what a probe learned
  const forgetOnEvidence = (error: McpSessionError) =>
    Effect.sync(() => Negotiation.isEvidence(error) && cache.delete(cacheKey))
  const opened = (remembered: Negotiation.Era | undefined) =>
    negotiate(options, undefined, remembered, connect).pipe(
      Effect.tap(({ era }) => remember(era)),
      Effect.map(({ session }) => session)
    )
  return Effect.suspend(() => {
    const remembered = cache.get(cacheKey)
    if (remembered === undefined) {
      // one probe per endpoint at a time: openings that wait for it read its verdict
      const lock = lockOf(cache, cacheKey)
      return lock.withPermits(1)(Effect.suspend(() => opened(cache.get(cacheKey)))).pipe(Effect.tapError(forgetOnEvidence))
    }
    if (remembered._tag === "Modern") return Effect.tapError(opened(remembered), forgetOnEvidence)
    // a server remembered as old that refuses `initialize` may have been upgraded: probe it now
    return opened(remembered).pipe(
      Effect.catchIf(Negotiation.isEvidence, (error) =>
        Effect.logDebug(`initialize was refused, probing again: ${error.message}`).pipe(
          Effect.annotateLogs({ server: options.server }),
          Effect.zipRight(Effect.sync(() => cache.delete(cacheKey))),
          Effect.zipRight(opened(undefined))
        )),
      Effect.tapError(forgetOnEvidence)
    )
  })
}

/** Per cache, a lock per endpoint key, taken while a probe runs. */
const locks = new WeakMap<Negotiation.Cache, Map<string, Effect.Semaphore>>()
const lockOf = (cache: Negotiation.Cache, key: string): Effect.Semaphore => {
  let byKey = locks.get(cache)
  if (byKey === undefined) {
    byKey = new Map()
    locks.set(cache, byKey)
  }
  let lock = byKey.get(key)
  if (lock === undefined) {
    lock = Effect.unsafeMakeSemaphore(1)
    byKey.set(key, lock)
  }
  return lock
}

/** Opens the session, probing unless `remembered` says the server is old. */
const negotiate = <R>(
  options: OpenOptions,
  pin: string | undefined,
  remembered: Negotiation.Era | undefined,
  connect: (handlers: Handlers) => Effect.Effect<Channel, TransportError, R>
): Effect.Effect<{ readonly session: McpSession.McpSession; readonly era: Negotiation.Era }, McpSessionError, R | Scope.Scope> =>
  Effect.gen(function*() {
    if (remembered?._tag === "Legacy") {
      options.probed?.()
      return { session: yield* Legacy.make(options, connect), era: remembered }
    }
    const ids = Core.idCounter()
    const slot: { current: Handlers | undefined } = { current: undefined }
    const delegating: Handlers = {
      onMessage: (message, during) => slot.current === undefined ? Effect.void : slot.current.onMessage(message, during),
      reinitialize: (generation) => slot.current === undefined ? Effect.void : slot.current.reinitialize(generation)
    }
    const channel = yield* connect(delegating)
    const version = pin ?? (remembered?._tag === "Modern" ? remembered.version : Negotiation.modernVersions[0]!)
    const opened = yield* Modern.open({ ...options, ids, version, fallback: pin === undefined }, channel, slot)
    options.probed?.()
    if (opened._tag === "Modern") {
      const info = yield* opened.session.info
      return { session: opened.session, era: { _tag: "Modern", version: info.protocolVersion } as const }
    }
    yield* Effect.logDebug(`falling back to initialize: ${opened.why}`).pipe(Effect.annotateLogs({ server: options.server }))
    const session = yield* Legacy.make({ ...options, ids, version: opened.version }, (handlers) =>
      Effect.sync(() => {
        slot.current = handlers
        return channel
      }))
    return { session, era: { _tag: "Legacy" } as const }
  })
