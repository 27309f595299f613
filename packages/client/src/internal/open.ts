/**
 * Opening a session with the revision the server speaks: a pinned revision is used as it is;
 * otherwise the 2026-07-28 adapter probes with `server/discover` (`negotiation.ts` reads the
 * answer) and, when the server is legacy, the 2025 adapter opens the same channel (the same
 * process, over stdio) with `initialize`. The verdict is remembered in the cache, per endpoint,
 * and forgotten when an opening on it fails.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { McpSessionError, TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import type { Channel, Handlers } from "./channel.js"
import * as Negotiation from "./negotiation.js"
import * as Legacy from "./session.js"
import * as Modern from "./session2026.js"
import * as Core from "./sessionCore.js"

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
}

/** @internal */
export const open = <R>(
  options: OpenOptions,
  connect: (handlers: Handlers) => Effect.Effect<Channel, TransportError, R>
): Effect.Effect<McpSession.McpSession, McpSessionError, R | Scope.Scope> => {
  const pin = options.protocolVersion === "auto" ? undefined : options.protocolVersion
  if (pin !== undefined && !Negotiation.modernVersions.includes(pin)) {
    if (!Negotiation.legacyVersions.includes(pin)) {
      return Effect.fail(Negotiation.noCommonVersion(options.server, pin, []))
    }
    return Legacy.make({ ...options, version: pin }, connect)
  }
  const { cache, cacheKey } = options
  const remembered = pin === undefined && cacheKey !== undefined ? cache?.get(cacheKey) : undefined
  const remember = (era: Negotiation.Era) => Effect.sync(() => cacheKey !== undefined && cache?.set(cacheKey, era))
  const forget = Effect.sync(() => cacheKey !== undefined && cache?.delete(cacheKey))

  const negotiated = Effect.gen(function*() {
    if (remembered?._tag === "Legacy") return yield* Legacy.make(options, connect)
    const ids = Core.idCounter()
    const slot: { current: Handlers | undefined } = { current: undefined }
    const delegating: Handlers = {
      onMessage: (message, during) => slot.current === undefined ? Effect.void : slot.current.onMessage(message, during),
      reinitialize: (generation) => slot.current === undefined ? Effect.void : slot.current.reinitialize(generation)
    }
    const channel = yield* connect(delegating)
    const version = pin ?? (remembered?._tag === "Modern" ? remembered.version : Negotiation.modernVersions[0]!)
    const opened = yield* Modern.open({ ...options, ids, version, fallback: pin === undefined }, channel, slot)
    if (opened._tag === "Modern") {
      const info = yield* opened.session.info
      yield* remember({ _tag: "Modern", version: info.protocolVersion })
      return opened.session
    }
    yield* Effect.logDebug(`falling back to initialize: ${opened.why}`).pipe(Effect.annotateLogs({ server: options.server }))
    const session = yield* Legacy.make({ ...options, ids, version: opened.version }, (handlers) =>
      Effect.sync(() => {
        slot.current = handlers
        return channel
      }))
    yield* remember({ _tag: "Legacy" })
    return session
  })
  return Effect.tapError(negotiated, () => forget)
}
