/**
 * What every protocol adapter shares over a `Channel`: request ids, each request's deadline (or
 * its progress deadline), the routing of the server's notifications (progress to its request,
 * log messages to the logs, then `onNotification`), the answers to the server's requests, and
 * messages sent in the background. The adapters differ in how a request is built (`encode`: the
 * 2025 adapter sends params as they are, the 2026-07-28 one adds `_meta` and headers) and in how
 * it is sent (`send`: re-opening a forgotten session, or cancelling by closing the stream).
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { McpSessionError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import * as Abort from "./abort.js"
import type * as Answer from "./answer.js"
import type { Channel, Outgoing } from "./channel.js"
import * as Defaults from "./defaults.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Progress from "./progress.js"
import * as ServerLog from "./serverLog.js"
import * as ServerRequests from "./serverRequests.js"
import * as TraceContext from "./traceContext.js"
import * as Transport from "./transport.js"

/** @internal */
export const defaultClientInfo = { name: "effect-mcp", version: "0.1.0" } as const

/** @internal */
export interface AdapterOptions {
  readonly server: string
  readonly timeout?: Duration.DurationInput | undefined
  readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
  readonly onNotification?: ((notification: McpSession.Notification) => Effect.Effect<void>) | undefined
  readonly onReinitialized?: Effect.Effect<void> | undefined
  readonly handlers?: McpSession.ClientHandlers | undefined
  /** The session's bearer token, told to the handlers of server requests. */
  readonly auth?: Redacted.Redacted<string> | undefined
  /**
   * The channel's request ids, when adapters take turns on one channel (the probe, then
   * `initialize`): an id is never used twice on a connection, or a late answer to one request
   * would settle another.
   */
  readonly ids?: (() => number) | undefined
}

/** Request ids from 1. @internal */
export const idCounter = (): () => number => {
  let next = 1
  return () => next++
}

/** A request as the adapter encodes it: the JSON-RPC text and the headers that go with it. */
export interface Encoded {
  readonly body: string
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** @internal */
export interface Core {
  readonly server: string
  readonly scope: Scope.Scope
  readonly defaultTimeout: Duration.Duration
  readonly clientInfo: { readonly name: string; readonly version: string }
  readonly serverRequests: ServerRequests.ServerRequests
  /** The next request id of the session. */
  readonly nextId: () => number
  /** Hands the core its channel once built (the channel needs `onMessage` first). */
  readonly attach: (channel: Channel) => Channel
  readonly onMessage: (message: Answer.Other, during: Outgoing | undefined) => Effect.Effect<void>
  /** Sends a message no caller waits for, on a fiber of the session's scope; a failure is only logged. */
  readonly sendInBackground: (body: string, what: string, onFailure: string) => Effect.Effect<void>
  /** Marks the session closed: later requests fail `Closed` without being sent. */
  readonly markClosed: () => void
  /** What `self()` builds, when it is run, unless the session is closed by then. */
  readonly guarded: <A>(target: Transport.Target, self: () => Effect.Effect<A, McpSessionError>) => Effect.Effect<A, McpSessionError>
  /**
   * `self` (the sending of request `id`), followed by `notifications/cancelled` when it is cut
   * short by interruption or by its fiber's `Abort`: the server is told the client stopped waiting.
   * On a fiber with an attached `Abort`, the attempt that attached it sends that notification
   * (`Abort.cancelInFlight`), which spares every request a failure handler.
   */
  readonly cancelling: <A, E>(id: JsonRpc.RequestId, self: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /**
   * A request with a new id, bounded by its deadline (or by its progress), built by `encode` and
   * sent by `send`; refused once the session is closed.
   */
  readonly request: (
    method: string,
    params: unknown,
    target: Transport.Target,
    requestOptions: McpSession.RequestOptions | undefined,
    encode: (id: JsonRpc.RequestId, method: string, params: unknown) => Encoded,
    send: (message: Outgoing) => Effect.Effect<unknown, McpSessionError>,
    /** Told the id the request was given, before it is sent. */
    onSent?: (id: JsonRpc.RequestId) => void
  ) => Effect.Effect<unknown, McpSessionError>
}

const mergeHeaders = (
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined
): Readonly<Record<string, string>> | undefined => a === undefined ? b : b === undefined ? a : { ...a, ...b }

/** @internal */
export const make = (
  options: AdapterOptions,
  /** The session's state once opened, told to `RequestOptions.onSend`. */
  info: () => McpSession.Info | undefined
): Effect.Effect<Core, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const server = options.server
    const defaultTimeout = Duration.decode(options.timeout ?? Defaults.requestTimeout)
    const onNotification = options.onNotification
    const serverRequests = ServerRequests.make(options.handlers, options.auth)
    const progress = Progress.makeRoutes(yield* Effect.clock, scope)
    let channel: Channel | undefined
    const nextId = options.ids ?? idCounter()

    const sendInBackground = (body: string, what: string, onFailure: string) =>
      // lazily: a server may speak before the channel is handed over
      Effect.suspend(() => channel === undefined ? Effect.void : channel.send(body, what)).pipe(
        Effect.timeout(defaultTimeout),
        Effect.catchAllCause((cause) => Effect.logDebug(onFailure, cause)),
        Effect.interruptible,
        Effect.forkIn(scope),
        Effect.asVoid
      )

    /**
     * Progress is handed to its request (whose own fiber runs the handler: the reader never
     * waits for it) and log messages go to the logs, as they are read, so that a request's
     * progress comes before its answer; then every notification goes to `onNotification`.
     * Server requests are answered on a fiber of their own.
     */
    const onMessage = (message: Answer.Other, during: Outgoing | undefined): Effect.Effect<void> => {
      if (message._tag === "Notification") {
        const handled = message.method === "notifications/progress"
          ? progress.deliver(message.params)
          : message.method === "notifications/message"
          ? ServerLog.log(ServerLog.decode(server, message.params))
          : Effect.void
        return onNotification === undefined ? handled : Effect.zipRight(
          handled,
          onNotification({ method: message.method, params: message.params }).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning("notification handler failed", cause))
          )
        )
      }
      // a handler may wait on a person: the channel's reader must not wait with it
      return serverRequests.answer(message, { server, during }).pipe(
        Effect.flatMap((answer) =>
          channel === undefined
            ? Effect.void
            : Effect.timeout(channel.send(answer, `the answer to the server's "${message.method}"`), defaultTimeout)
        ),
        Effect.catchAllCause((cause) => Effect.logDebug("could not answer a server request", cause)),
        Effect.interruptible,
        Effect.forkIn(scope),
        Effect.asVoid
      )
    }

    let closed = false
    const guarded: Core["guarded"] = (target, self) =>
      Effect.suspend(() => closed ? Effect.fail(Transport.transportError(target, "Closed", "the session is closed")) : self())

    const request: Core["request"] = (method, params, target, requestOptions, encode, send, onSent) =>
      guarded(target, () => {
        const timeout = requestOptions?.timeout === undefined ? defaultTimeout : Duration.decode(requestOptions.timeout)
        const id = nextId()
        onSent?.(id)
        if (requestOptions?.meta !== undefined) params = TraceContext.withMeta(params, requestOptions.meta)
        const opened = requestOptions?.onSend === undefined ? undefined : info()
        if (opened !== undefined) requestOptions?.onSend?.(id, opened)
        const onProgress = requestOptions?.onProgress
        const encoded = encode(id, method, onProgress === undefined ? params : Progress.withToken(params, id))
        const message: Outgoing = { id, method, body: encoded.body, target, headers: mergeHeaders(requestOptions?.headers, encoded.headers) }
        if (onProgress !== undefined) {
          // its id is its token: routed the server's progress while in flight, and timed out only
          // after `timeout` without news of it, or `maxTotalTimeout`; its end never waits for a
          // handler: closing the route interrupts one still running
          const total = Duration.decode(requestOptions?.maxTotalTimeout ?? Defaults.maxTotalTimeout)
          return Effect.acquireUseRelease(
            progress.open(id, onProgress),
            (route) =>
              progress.deadline(send(message), route, timeout, total, (why) =>
                Transport.transportError(
                  target,
                  "Timeout",
                  why === "total"
                    ? `no answer to "${method}" within its maxTotalTimeout of ${Duration.format(total)}`
                    : `no answer nor progress for "${method}" within ${Duration.format(timeout)}`
                )),
            (route) => progress.close(id, route)
          )
        }
        const self = send(message)
        return Duration.isFinite(timeout)
          ? Effect.timeoutFail(self, {
            duration: timeout,
            onTimeout: () => Transport.transportError(target, "Timeout", `no answer to "${method}" within ${Duration.format(timeout)}`)
          })
          : self
      })

    const core: Core = {
      server,
      scope,
      defaultTimeout,
      clientInfo: options.clientInfo ?? defaultClientInfo,
      serverRequests,
      nextId,
      attach: (built) => {
        channel = serverRequests.track(built)
        return channel
      },
      onMessage,
      sendInBackground,
      markClosed: () => {
        closed = true
      },
      guarded,
      cancelling: (id, self) =>
        Effect.withFiberRuntime((fiber) => {
          const attached = Abort.current(fiber)
          if (attached === undefined) return Effect.onError(self, (cause) => Cause.isInterruptedOnly(cause) ? cancel(core, id) : Effect.void)
          // the attempt that attached the `Abort` sends the cancellation if it cuts the request short
          attached.cancelInFlight = () => cancel(core, id)
          return Effect.tap(self, () => {
            attached.cancelInFlight = undefined
          })
        }),
      request
    }
    return core
  })

/** Sends `notifications/cancelled` for a request the client stopped waiting for. */
const cancel = (core: Core, id: JsonRpc.RequestId): Effect.Effect<void> =>
  core.sendInBackground(
    JsonRpc.encodeNotification("notifications/cancelled", { requestId: id, reason: "The client stopped waiting" }),
    `"notifications/cancelled"`,
    "could not send notifications/cancelled"
  )
