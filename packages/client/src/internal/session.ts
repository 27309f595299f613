/**
 * The 2025 revisions of MCP (2025-11-25, 2025-06-18, 2025-03-26) over any `Channel`:
 * `initialize`, then requests numbered by this session, each bounded in time and cancelled with
 * `notifications/cancelled` when abandoned; a session the server forgot is opened again once,
 * shared by every request that found it gone. What each method sends and how its answer is read
 * is in `sessionMethods.ts`.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { McpSessionError, TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import * as Abort from "./abort.js"
import type * as Answer from "./answer.js"
import type { Channel, Handlers, Outgoing } from "./channel.js"
import { SessionExpired } from "./channel.js"
import * as Defaults from "./defaults.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Methods from "./sessionMethods.js"
import * as Progress from "./progress.js"
import * as ServerLog from "./serverLog.js"
import * as ServerRequests from "./serverRequests.js"
import * as Telemetry from "./telemetry.js"
import * as Transport from "./transport.js"

/** @internal */
export const supportedProtocolVersions: ReadonlyArray<string> = ["2025-11-25", "2025-06-18", "2025-03-26"]

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
}

/**
 * Opens a session over the channel that `connect` builds with the adapter's handlers.
 *
 * @internal
 */
export const make = <R>(
  options: AdapterOptions,
  connect: (handlers: Handlers) => Effect.Effect<Channel, TransportError, R>
): Effect.Effect<McpSession.McpSession, McpSessionError, R | Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const server = options.server
    const defaultTimeout = Duration.decode(options.timeout ?? Defaults.requestTimeout)
    const clientInfo = options.clientInfo ?? defaultClientInfo
    const onNotification = options.onNotification
    const serverRequests = ServerRequests.make(options.handlers, options.auth)

    let generation = 0
    let info: McpSession.Info | undefined
    let nextId = 1
    let closed = false
    const initializing = yield* Effect.makeSemaphore(1)
    const sessionTarget: Transport.Target = { server }
    const progress = Progress.makeRoutes(yield* Effect.clock, scope)

    const expired = (target: Transport.Target) =>
    <A, E>(self: Effect.Effect<A, E | SessionExpired>): Effect.Effect<A, Exclude<E, SessionExpired> | TransportError> =>
      Effect.catchIf(self, (error): error is SessionExpired => error instanceof SessionExpired, () =>
        Effect.fail(
          Transport.transportError(target, "Status", "the server forgot the session again right after re-initializing", {
            status: 404
          })
        ))

    /** Sends a message no caller waits for, on a fiber of the session's scope; a failure is only logged. */
    const sendInBackground = (body: string, what: string, onFailure: string) =>
      // lazily: a server may speak before the channel is handed over
      Effect.suspend(() => channel.send(body, what)).pipe(
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
        Effect.flatMap((answer) => Effect.timeout(channel.send(answer, `the answer to the server's "${message.method}"`), defaultTimeout)),
        Effect.catchAllCause((cause) => Effect.logDebug("could not answer a server request", cause)),
        Effect.interruptible,
        Effect.forkIn(scope),
        Effect.asVoid
      )
    }

    const initialize = (next: number): Effect.Effect<void, McpSessionError> =>
      Effect.gen(function*() {
        const id = nextId++
        const body = JsonRpc.encodeRequest(id, "initialize", {
          protocolVersion: supportedProtocolVersions[0],
          capabilities: serverRequests.capabilities,
          clientInfo
        })
        const result = yield* channel.handshake(next, { id, method: "initialize", body, target: sessionTarget }).pipe(
          Effect.flatMap((answer) => decodeInitializeResult(answer, sessionTarget))
        )
        if (!supportedProtocolVersions.includes(result.protocolVersion)) {
          return yield* Transport.transportError(
            sessionTarget,
            "Decode",
            `the server chose protocol version ${result.protocolVersion}; this client speaks ${
              supportedProtocolVersions.join(", ")
            }`
          )
        }
        channel.establish(next, result.protocolVersion)
        generation = next
        info = {
          transport: channel.kind,
          sessionId: channel.sessionId(),
          protocolVersion: result.protocolVersion,
          serverInfo: result.serverInfo,
          capabilities: result.capabilities,
          instructions: result.instructions,
          initializations: next
        }
        yield* channel.send(JsonRpc.encodeNotification("notifications/initialized", undefined), `"notifications/initialized"`)
          .pipe(expired(sessionTarget))
        if (next > 1 && options.onReinitialized !== undefined) yield* options.onReinitialized
      }).pipe(
        Effect.timeoutFail({
          duration: defaultTimeout,
          onTimeout: () =>
            Transport.transportError(sessionTarget, "Timeout", `no answer to "initialize" within ${Duration.format(defaultTimeout)}`)
        })
      )

    const reinitialize = (stale: number) =>
      initializing.withPermits(1)(Effect.suspend(() => generation !== stale ? Effect.void : initialize(stale + 1)))

    const handlers: Handlers = { onMessage, reinitialize }
    const channel = serverRequests.track(yield* connect(handlers))

    const cancel = (id: JsonRpc.RequestId) =>
      sendInBackground(
        JsonRpc.encodeNotification("notifications/cancelled", { requestId: id, reason: "The client stopped waiting" }),
        `"notifications/cancelled"`,
        "could not send notifications/cancelled"
      )

    /** Sends `message`, re-opening a session the server forgot; a request abandoned on the way is cancelled. */
    const send = (message: Outgoing): Effect.Effect<unknown, McpSessionError> => {
      const target = message.target
      return channel.request(message).pipe(
        Effect.catchTag("SessionExpired", (stale) =>
          Abort.guard(reinitialize(stale.generation), (reason) =>
            Effect.fail(Transport.transportError(target, reason.why === "deadline" ? "Timeout" : "Closed", "the session was being re-opened"))).pipe(
              Effect.flatMap(() => channel.request(message)),
              expired(target)
            )),
        // a request cut short by interruption or by its fiber's `Abort` is abandoned: tell the server
        Effect.onError((cause) =>
          Effect.withFiberRuntime((fiber) =>
            Cause.isInterruptedOnly(cause) || Abort.current(fiber)?.aborted === true ? cancel(message.id) : Effect.void
          )
        )
      )
    }

    /**
     * A request that asked for progress (its id is its token): routed the server's progress while
     * in flight, and timed out only after `timeout` without news of it, or `maxTotalTimeout`.
     * Its end never waits for a handler: closing the route interrupts one still running.
     */
    const sendWithProgress = (
      method: string,
      params: unknown,
      id: JsonRpc.RequestId,
      target: Transport.Target,
      onProgress: NonNullable<McpSession.RequestOptions["onProgress"]>,
      requestOptions: McpSession.RequestOptions,
      timeout: Duration.Duration
    ): Effect.Effect<unknown, McpSessionError> => {
      const total = Duration.decode(requestOptions.maxTotalTimeout ?? Defaults.maxTotalTimeout)
      const body = JsonRpc.encodeRequest(id, method, Progress.withToken(params, id))
      return Effect.acquireUseRelease(
        progress.open(id, onProgress),
        (route) =>
          progress.deadline(send({ id, method, body, target, headers: requestOptions.headers }), route, timeout, total, (why) =>
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

    const request = (
      method: string,
      params: unknown,
      target: Transport.Target,
      requestOptions: McpSession.RequestOptions | undefined
    ): Effect.Effect<unknown, McpSessionError> =>
      Effect.suspend(() => {
        if (closed) return Effect.fail(Transport.transportError(target, "Closed", "the session is closed"))
        const timeout = requestOptions?.timeout === undefined ? defaultTimeout : Duration.decode(requestOptions.timeout)
        const id = nextId++
        if (requestOptions?.meta !== undefined) params = Telemetry.withMeta(params, requestOptions.meta)
        requestOptions?.onSend?.(id, info!)
        if (requestOptions?.onProgress !== undefined) {
          return sendWithProgress(method, params, id, target, requestOptions.onProgress, requestOptions, timeout)
        }
        const self = send({ id, method, body: JsonRpc.encodeRequest(id, method, params), target, headers: requestOptions?.headers })
        return Duration.isFinite(timeout)
          ? Effect.timeoutFail(self, {
            duration: timeout,
            onTimeout: () => Transport.transportError(target, "Timeout", `no answer to "${method}" within ${Duration.format(timeout)}`)
          })
          : self
      })

    const close = Effect.suspend(() => {
      closed = true
      return channel.close
    })

    yield* Effect.addFinalizer(() => close)
    yield* initialize(1)
    yield* channel.listen
    yield* serverRequests.rootsChanged.pipe(
      Stream.runForEach(() =>
        sendInBackground(
          JsonRpc.encodeNotification("notifications/roots/list_changed", undefined),
          `"notifications/roots/list_changed"`,
          "could not send notifications/roots/list_changed"
        )
      ),
      Effect.interruptible,
      Effect.forkIn(scope)
    )

    return {
      server,
      info: Effect.sync(() => info!),
      ...Methods.make({ server, request, capabilities: () => info!.capabilities }),
      close
    } satisfies McpSession.McpSession
  })

const decodeInitializeResult = Methods.decoder(McpSchema.InitializeResult, "the initialize result")
