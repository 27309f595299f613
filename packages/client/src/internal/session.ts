/**
 * The 2025 revisions of MCP (2025-11-25, 2025-06-18, 2025-03-26) over any `Channel`:
 * `initialize`, then requests numbered by this session (`sessionCore.ts`), each bounded in time
 * and cancelled with `notifications/cancelled` when abandoned; a session the server forgot is
 * opened again once, shared by every request that found it gone. What each method sends and how
 * its answer is read is in `sessionMethods.ts`.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { McpSessionError, TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import * as Abort from "./abort.js"
import type { Channel, Handlers, Outgoing } from "./channel.js"
import { SessionExpired } from "./channel.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Negotiation from "./negotiation.js"
import * as Core from "./sessionCore.js"
import * as Methods from "./sessionMethods.js"
import * as Transport from "./transport.js"

/** @internal */
export const supportedProtocolVersions: ReadonlyArray<string> = Negotiation.legacyVersions

/** @internal */
export const defaultClientInfo = Core.defaultClientInfo

/** @internal */
export interface AdapterOptions extends Core.AdapterOptions {
  /**
   * The one version to offer and accept (a pinned revision); default: offer the newest and
   * accept any of `supportedProtocolVersions`.
   */
  readonly version?: string | undefined
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
    const core = yield* Core.make(options, () => info)
    const { defaultTimeout, server } = core
    const accepted = options.version === undefined ? supportedProtocolVersions : [options.version]

    let generation = 0
    let info: McpSession.Info | undefined
    const initializing = yield* Effect.makeSemaphore(1)
    const sessionTarget: Transport.Target = { server }

    const expired = (target: Transport.Target) =>
    <A, E>(self: Effect.Effect<A, E | SessionExpired>): Effect.Effect<A, Exclude<E, SessionExpired> | TransportError> =>
      Effect.catchIf(self, (error): error is SessionExpired => error instanceof SessionExpired, () =>
        Effect.fail(
          Transport.transportError(target, "Status", "the server forgot the session again right after re-initializing", {
            status: 404
          })
        ))

    const initialize = (next: number): Effect.Effect<void, McpSessionError> =>
      Effect.gen(function*() {
        const id = core.nextId()
        const body = JsonRpc.encodeRequest(id, "initialize", {
          protocolVersion: accepted[0],
          capabilities: core.serverRequests.capabilities,
          clientInfo: core.clientInfo
        })
        const result = yield* channel.handshake(next, { id, method: "initialize", body, target: sessionTarget }).pipe(
          Effect.flatMap((answer) => decodeInitializeResult(answer, sessionTarget))
        )
        if (!accepted.includes(result.protocolVersion)) {
          return yield* Transport.transportError(
            sessionTarget,
            "Decode",
            `the server chose protocol version ${result.protocolVersion}; this client ${
              options.version === undefined ? "speaks" : "is pinned to"
            } ${accepted.join(", ")}`
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

    const handlers: Handlers = { onMessage: core.onMessage, reinitialize }
    const channel = core.attach(yield* connect(handlers))

    /** Sends `message`, re-opening a session the server forgot; a request abandoned on the way is cancelled. */
    const send = (message: Outgoing): Effect.Effect<unknown, McpSessionError> => {
      const target = message.target
      return core.cancelling(
        message.id,
        channel.request(message).pipe(
          Effect.catchTag("SessionExpired", (stale) =>
            Abort.guard(reinitialize(stale.generation), (reason) =>
              Effect.fail(Transport.transportError(target, reason.why === "deadline" ? "Timeout" : "Closed", "the session was being re-opened"))).pipe(
                Effect.flatMap(() => channel.request(message)),
                expired(target)
              ))
        )
      )
    }

    const encode = (id: JsonRpc.RequestId, method: string, params: unknown): Core.Encoded => ({
      body: JsonRpc.encodeRequest(id, method, params)
    })

    const request = (
      method: string,
      params: unknown,
      target: Transport.Target,
      requestOptions: McpSession.RequestOptions | undefined
    ): Effect.Effect<unknown, McpSessionError> => core.request(method, params, target, requestOptions, encode, send)

    const close = Effect.suspend(() => {
      core.markClosed()
      return channel.close
    })

    yield* Effect.addFinalizer(() => close)
    yield* initialize(1)
    yield* channel.listen
    yield* core.serverRequests.rootsChanged.pipe(
      Stream.runForEach(() =>
        core.sendInBackground(
          JsonRpc.encodeNotification("notifications/roots/list_changed", undefined),
          `"notifications/roots/list_changed"`,
          "could not send notifications/roots/list_changed"
        )
      ),
      Effect.interruptible,
      Effect.forkIn(core.scope)
    )

    return {
      server,
      info: Effect.sync(() => info!),
      ...Methods.make({ server, request, capabilities: () => info!.capabilities }),
      close
    } satisfies McpSession.McpSession
  })

const decodeInitializeResult = Transport.decoder(McpSchema.InitializeResult, "the initialize result")
