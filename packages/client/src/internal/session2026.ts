/**
 * The 2026-07-28 revision of MCP over any `Channel`: stateless, no `initialize`. Every request
 * carries the protocol version, the client's capabilities and its identity in `params._meta`
 * (merged into whatever `_meta` the params already carry: a progress token, trace context), and
 * over HTTP the `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers, all
 * built by `encode`. `server/discover` both probes the server's era (`negotiation.ts`) and tells
 * its capabilities. `input_required` answers are followed (`inputRequired.ts`). A request the
 * client abandons is cancelled by closing its HTTP answer stream, or with
 * `notifications/cancelled` over stdio.
 *
 * Methods that the revision removed map onto what replaced them: `ping` is a `server/discover`;
 * `setLoggingLevel` sets the `io.modelcontextprotocol/logLevel` of every later request; resource
 * subscriptions go through `subscriptions/listen` (`listen2026.ts`).
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { type HeaderMismatchError, type McpSessionError, ProtocolError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import type { Channel, Handlers, Outgoing } from "./channel.js"
import * as Cache from "./cache2026.js"
import * as InputRequired from "./inputRequired.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Listen from "./listen2026.js"
import * as McpHeaders from "./mcpHeaders.js"
import * as Negotiation from "./negotiation.js"
import * as Core from "./sessionCore.js"
import * as Methods from "./sessionMethods.js"
import * as Transport from "./transport.js"

const PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
const CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
const CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
const LOG_LEVEL = "io.modelcontextprotocol/logLevel"
const SERVER_INFO = "io.modelcontextprotocol/serverInfo"
const TOOLS_LIST_CHANGED = "notifications/tools/list_changed"

/**
 * How long a stdio probe waits, once the process has shown signs of life, before taking silence
 * for a legacy server. A process slow to start is not old: the wait starts at its first output.
 * A process that shows none is taken for silent after half the request timeout, so that the
 * `initialize` that follows still fits in the attempt that opened the session.
 */
const stdioProbeTimeout = Duration.seconds(5)

/** @internal */
export interface ModernOptions extends Core.AdapterOptions {
  /** The version to ask for first. */
  readonly version: string
  /** Whether a legacy verdict may fall back (false when the revision is pinned). */
  readonly fallback: boolean
  /** Rounds of `input_required` followed per request. Default 8. */
  readonly maxInputRounds?: number | undefined
  /** HTTP: listen for list changes (`subscriptions/listen`); over stdio they are always listened for. */
  readonly listen?: boolean | undefined
  /** stdio: completes on the process's first output. */
  readonly started?: Effect.Effect<void> | undefined
}

const DiscoverResult = Schema.Struct({
  // required: a legacy server that answers any method with an empty success is not modern
  supportedVersions: Schema.Array(Schema.String),
  capabilities: McpSchema.ServerCapabilities,
  serverInfo: Schema.optional(McpSchema.Implementation),
  instructions: Schema.optional(Schema.String),
  _meta: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
type DiscoverResult = typeof DiscoverResult.Type
const decodeDiscover = Transport.decoder(DiscoverResult, "the server/discover result")
const decodeImplementation = Schema.decodeUnknownOption(McpSchema.Implementation)

/** What `open` found: a modern session, or a legacy server to open with `initialize`. */
export type Opened =
  | { readonly _tag: "Modern"; readonly session: McpSession.McpSession }
  | { readonly _tag: "Legacy"; readonly why: string; readonly version: string | undefined }

/**
 * Probes the server over `channel` with `server/discover` and, when it is modern, opens the
 * session. `slot` is where the channel's handlers delegate to.
 *
 * @internal
 */
export const open = (
  options: ModernOptions,
  channel: Channel,
  slot: { current: Handlers | undefined }
): Effect.Effect<Opened, McpSessionError, Scope.Scope> =>
  Effect.gen(function*() {
    // the session's state, once `server/discover` gave it
    let opened: McpSession.Info | undefined
    const core = yield* Core.make(options, () => opened)
    const { server } = core
    const sessionTarget: Transport.Target = { server }
    const http = channel.kind === "http"
    slot.current = { onMessage: core.onMessage, reinitialize: () => Effect.void }
    core.attach(channel)

    let version = options.version
    let logLevel: McpSchema.LoggingLevel | undefined
    /** Each tool's `Mcp-Param-*` headers, from the last `tools/list` (HTTP only). */
    let toolHeaders: Map<string, McpHeaders.ToolHeaders> | undefined

    /** The one place a request is built: `_meta` merged in, headers from the body. */
    const encode = (id: JsonRpc.RequestId, method: string, params: unknown): Core.Encoded => {
      const base = Predicate.isRecord(params) ? params : {}
      const meta = Predicate.isRecord(base._meta) ? base._meta : {}
      const body = JsonRpc.encodeRequest(id, method, {
        ...base,
        _meta: {
          ...meta,
          [PROTOCOL_VERSION]: version,
          [CLIENT_INFO]: core.clientInfo,
          [CLIENT_CAPABILITIES]: core.serverRequests.capabilities,
          ...(logLevel === undefined ? {} : { [LOG_LEVEL]: logLevel })
        }
      })
      if (!http) return { body }
      const tool = method === "tools/call" && typeof base.name === "string" ? toolHeaders?.get(base.name) : undefined
      return {
        body,
        headers: {
          ...(tool?._tag === "Valid" ? McpHeaders.paramHeaders(tool.headers, base.arguments) : {}),
          ...McpHeaders.standardHeaders(method, base),
          "mcp-protocol-version": version
        }
      }
    }

    const send = (message: Outgoing): Effect.Effect<unknown, McpSessionError> => {
      const sent = channel.request(message).pipe(
        // no session id is ever sent, so no session can expire
        Effect.catchTag("SessionExpired", () =>
          Effect.fail(Transport.transportError(message.target, "Status", `"${message.method}" was answered with HTTP 404`, { status: 404 })))
      )
      // over HTTP, the aborted request closed its stream, which is the cancellation
      return http ? sent : core.cancelling(message.id, sent)
    }

    const clock = yield* Effect.clock
    // the listener comes after discovery, which its filter needs; until then nothing is watched
    let listening: Listen.Listener | undefined
    const cache = Cache.make(clock, () => listening?.watching())

    const request = (
      method: string,
      params: unknown,
      target: Transport.Target,
      requestOptions: McpSession.RequestOptions | undefined
    ): Effect.Effect<unknown, McpSessionError> =>
      core.guarded(target, () => {
        const hit = cache.lookup(method, params)
        if (hit !== undefined) return Effect.succeed(hit)
        let rounds = 0
        const once = (p: unknown) => {
          rounds++
          return core.request(method, p, target, requestOptions, encode, send)
        }
        const answered = InputRequired.roundTripMethods.has(method)
          ? InputRequired.follow({
            method,
            params,
            target,
            serverRequests: core.serverRequests,
            auth: options.auth,
            maxRounds: options.maxInputRounds ?? InputRequired.defaultMaxRounds,
            timeout: requestOptions?.timeout === undefined ? core.defaultTimeout : Duration.decode(requestOptions.timeout),
            send: once
          })
          : once(params)
        // the answer of a retry with inputResponses or requestState is never kept
        return Effect.tap(answered, (result) => rounds === 1 ? cache.keep(method, params, result) : undefined)
      })

    const discover = request("server/discover", {}, sessionTarget, undefined).pipe(
      Effect.flatMap((answer) => decodeDiscover(answer, sessionTarget))
    )
    // over stdio a legacy server may never answer a method it does not know
    const silence = options.started === undefined ? undefined : Effect.raceFirst(
      Effect.zipRight(options.started, Effect.sleep(stdioProbeTimeout)),
      Effect.sleep(Duration.times(core.defaultTimeout, 0.5))
    ).pipe(
      Effect.zipRight(Effect.fail(Transport.transportError(
        sessionTarget,
        "Timeout",
        `no answer to "server/discover" within ${Duration.format(stdioProbeTimeout)} of the process's first output or half the request timeout`
      )))
    )
    const probe = silence === undefined ? discover : Effect.raceFirst(discover, silence)

    /**
     * What to do after the server named the versions it takes: a pinned revision never changes;
     * otherwise one retry with a modern version we share, or `initialize` with a legacy one.
     */
    const renegotiate = (supported: ReadonlyArray<string>, attempt: number) => {
      const chosen = options.fallback ? Negotiation.pick(supported, { modern: Negotiation.modernVersions, legacy: Negotiation.legacyVersions }) : undefined
      if (chosen?._tag === "Modern" && attempt === 0) {
        version = chosen.version
        return Effect.succeed(undefined)
      }
      if (chosen?._tag === "Legacy") {
        return Effect.succeed({ _tag: "Legacy", why: "the server named only legacy versions", version: chosen.version } as const)
      }
      return Effect.fail(Negotiation.noCommonVersion(server, version, supported))
    }

    // the probe: at most one retry with a version the server named
    let discovered: DiscoverResult | undefined
    for (let attempt = 0; discovered === undefined; attempt++) {
      const outcome = yield* Effect.either(probe)
      let supported: ReadonlyArray<string>
      if (Either.isRight(outcome)) {
        supported = outcome.right.supportedVersions
        if (supported.length === 0 || supported.includes(version)) {
          discovered = outcome.right
          break
        }
      } else {
        const verdict = Negotiation.classifyFailure(channel.kind, outcome.left)
        if (verdict._tag === "Inconclusive") return yield* verdict.error
        if (verdict._tag === "Modern") return yield* outcome.left
        if (verdict._tag === "Legacy") {
          if (options.fallback) return { _tag: "Legacy", why: verdict.why, version: undefined }
          return yield* outcome.left
        }
        supported = verdict.supported
      }
      const legacy = yield* renegotiate(supported, attempt)
      if (legacy !== undefined) return legacy
    }

    const serverInfo = Either.getOrElse(
      Either.fromOption(
        decodeImplementation(discovered._meta?.[SERVER_INFO]),
        () => undefined
      ),
      () => discovered.serverInfo ?? { name: server, version: "unknown" }
    )
    const info: McpSession.Info = {
      transport: channel.kind,
      sessionId: undefined,
      protocolVersion: version,
      serverInfo,
      capabilities: discovered.capabilities,
      instructions: discovered.instructions,
      initializations: 1
    }
    opened = info

    const methods = Methods.make({ server, request, capabilities: () => info.capabilities })

    const caps = info.capabilities
    const listener = yield* Listen.make({
      server,
      scope: core.scope,
      ackTimeout: core.defaultTimeout,
      lists: !http || options.listen === true
        ? {
          ...(caps.tools?.listChanged === true ? { toolsListChanged: true } : {}),
          ...(caps.prompts?.listChanged === true ? { promptsListChanged: true } : {}),
          ...(caps.resources?.listChanged === true ? { resourcesListChanged: true } : {})
        }
        : {},
      canSubscribe: () => caps.resources?.subscribe === true,
      forward: (message, during) => {
        if (message._tag === "Notification") cache.invalidate(message.method, message.params)
        return core.onMessage(message, during)
      },
      listen: (filter, onSent) =>
        core.request("subscriptions/listen", { notifications: filter }, sessionTarget, { timeout: Duration.infinity }, encode, send, onSent)
    })
    listening = listener
    slot.current = { onMessage: listener.onMessage, reinitialize: () => Effect.void }

    /** Lists the tools, leaving out (and logging) those whose `x-mcp-header` is invalid. */
    const listTools = (requestOptions?: McpSession.RequestOptions) =>
      Effect.flatMap(methods.listTools(requestOptions), (tools) => {
        if (!http) return Effect.succeed(tools)
        const headers = new Map<string, McpHeaders.ToolHeaders>()
        for (const tool of tools) headers.set(tool.name, McpHeaders.toolHeaders(tool.inputSchema))
        toolHeaders = headers
        return Effect.filter(tools, (tool) => {
          const checked = headers.get(tool.name)
          return checked?._tag === "Invalid"
            ? Effect.as(Effect.logWarning(`left out tool "${tool.name}": ${checked.reason}`), false)
            : Effect.succeed(true)
        })
      })

    const callTool: McpSession.McpSession["callTool"] = (tool, args, requestOptions) =>
      Effect.gen(function*() {
        // a listing on the call's behalf keeps its deadline, headers and trace context, not its
        // progress handler nor `onSend` (its id is not the call's)
        const listing: McpSession.RequestOptions = {
          timeout: requestOptions?.timeout,
          headers: requestOptions?.headers,
          meta: requestOptions?.meta
        }
        // the headers a call carries come from the tool's definition: learn it first
        if (http && !toolHeaders?.has(tool)) yield* Effect.ignore(listTools(listing))
        yield* sendable(tool, args, toolHeaders?.get(tool), "")
        return yield* methods.callTool(tool, args, requestOptions).pipe(
          // the definition changed under us: list again once, and call with the new headers
          Effect.catchIf(
            (error): error is HeaderMismatchError => http && error._tag === "HeaderMismatchError",
            () => Effect.zipRight(relisted(tool, args, listing), methods.callTool(tool, args, requestOptions))
          )
        )
      })

    /** Refuses a call whose headers cannot be right: a tool with invalid annotations, an integer no header can carry. */
    const sendable = (tool: string, args: unknown, known: McpHeaders.ToolHeaders | undefined, why: string) => {
      const refused = (message: string) => ProtocolError.refused({ server, tool, code: JsonRpc.INVALID_PARAMS, message: `${why}${message}` })
      if (known?._tag === "Invalid") return Effect.fail(refused(`the tool's x-mcp-header annotations are invalid: ${known.reason}`))
      const unsafe = known === undefined ? undefined : McpHeaders.unsafeInteger(known.headers, args)
      return unsafe === undefined
        ? Effect.void
        : Effect.fail(refused(`the argument of header Mcp-Param-${unsafe} is an integer beyond the safe range (±${Number.MAX_SAFE_INTEGER})`))
    }

    /**
     * Lists the tools after a `HeaderMismatch`, which says the server's list changed as a
     * `list_changed` would: the owner of the session's lists is told so (its list, annotations
     * included, is stale however fresh its `ttlMs`), and the tool must still be there, valid.
     */
    const relisted = (tool: string, args: unknown, listing: McpSession.RequestOptions) =>
      Effect.gen(function*() {
        cache.invalidate(TOOLS_LIST_CHANGED, undefined)
        if (options.onNotification !== undefined) {
          yield* options.onNotification({ method: TOOLS_LIST_CHANGED, params: undefined })
        }
        yield* listTools(listing)
        const known = toolHeaders?.get(tool)
        const why = "the server refused the call's headers (-32020), and "
        if (known === undefined) {
          return yield* ProtocolError.refused({
            server,
            tool,
            code: JsonRpc.INVALID_PARAMS,
            message: `${why}its tools listed again no longer include it`
          })
        }
        yield* sendable(tool, args, known, `${why}listed again, `)
      })

    const ping = (requestOptions?: McpSession.RequestOptions) =>
      Effect.asVoid(request("server/discover", {}, sessionTarget, requestOptions))

    const setLoggingLevel = (level: McpSchema.LoggingLevel): Effect.Effect<void, McpSessionError> =>
      Effect.suspend(() => {
        if (info.capabilities.logging === undefined) {
          return Effect.fail(
            new ProtocolError({
              server,
              code: JsonRpc.METHOD_NOT_FOUND,
              message: `MCP server "${server}" did not announce the "logging" capability: the log level was not set`,
              refusedLocally: true
            })
          )
        }
        logLevel = level
        return Effect.void
      })

    const close = Effect.zipRight(Effect.sync(core.markClosed), channel.close)
    yield* Effect.addFinalizer(() => close)

    const session: McpSession.McpSession = {
      server,
      info: Effect.succeed(info),
      ...methods,
      listTools,
      callTool,
      ping,
      setLoggingLevel,
      subscribeResource: listener.subscribe,
      unsubscribeResource: listener.unsubscribe,
      close,
      freshUntil: cache.freshUntil
    }
    yield* listener.start
    return { _tag: "Modern", session } as const
  })
