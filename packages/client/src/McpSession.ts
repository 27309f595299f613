/**
 * One MCP session with one server, over Streamable HTTP or stdio, as a scoped resource.
 *
 * `make` opens the session in the revision the server speaks: 2026-07-28 when the server answers
 * the probe (`server/discover`, remembered per HTTP endpoint in a `ProtocolCache`), else a 2025
 * revision through `initialize` on the same channel; `protocolVersion` pins a revision.
 *
 * In 2025 sessions, a server that forgot the session (HTTP 404) is re-initialized once; over
 * stdio the server is a child process, shut down by the scope. In 2026-07-28 sessions the
 * server's questions come as `input_required` results, answered by the same handlers, and
 * notifications outside requests through `subscriptions/listen`.
 *
 * `McpSession` is the wire-protocol boundary of effect-mcp: `McpClient` uses only this interface.
 * Inside, a protocol adapter (2025 or 2026-07-28) speaks JSON-RPC over a channel (HTTP or stdio).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { McpSessionError, ToolCallError } from "./McpError.js"
import type * as McpOAuth from "./McpOAuth.js"
import type * as McpElicitation from "./McpElicitation.js"
import type * as McpRoots from "./McpRoots.js"
import type * as McpSampling from "./McpSampling.js"
import * as Negotiation from "./internal/negotiation.js"
import * as Open from "./internal/open.js"

/**
 * Protocol revisions this client speaks, newest first: the stateless 2026-07-28 revision, then
 * the 2025 revisions opened with `initialize` (the newest of which is offered there).
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedProtocolVersions: ReadonlyArray<string> = [...Negotiation.modernVersions, ...Negotiation.legacyVersions]

/**
 * A revision to pin a session to, or `"auto"` (the default) to negotiate: probe with the newest
 * revision's `server/discover`, and fall back to `initialize` when the server is older.
 *
 * @since 0.1.0
 * @category models
 */
export type ProtocolVersion = "auto" | Negotiation.Version

/**
 * Where the outcome of negotiations is remembered, per HTTP endpoint, so that later sessions with
 * the same endpoint skip the probe of a legacy server and ask a modern one for the version it
 * took. `McpClient` keeps one for its life.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProtocolCache extends Negotiation.Cache {}

/**
 * An empty `ProtocolCache`, in memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeProtocolCache: () => ProtocolCache = Negotiation.makeCache

/**
 * A notification the server sent on one of the session's streams.
 *
 * @since 0.1.0
 * @category models
 */
export interface Notification {
  readonly method: string
  readonly params: unknown
}

/**
 * What the opening established: `initialize` (2025) or `server/discover` (2026-07-28).
 *
 * @since 0.1.0
 * @category models
 */
export interface Info {
  /** The transport the session runs over. */
  readonly transport: "http" | "stdio"
  /** `undefined` for a stateless server, over stdio, and in 2026-07-28 (which has no sessions). */
  readonly sessionId: string | undefined
  readonly protocolVersion: string
  readonly serverInfo: typeof McpSchema.Implementation.Type
  readonly capabilities: typeof McpSchema.ServerCapabilities.Type
  readonly instructions: string | undefined
  /** How many times the session was (re-)initialized; 1 after `make`. */
  readonly initializations: number
}

/**
 * Settings of one session, whatever its transport.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions {
  /** The server's name, used in every error and log line. */
  readonly server: string
  /** Deadline of each request, including reading its answer. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Deadline of the closing `DELETE`, or of each step of a process's shutdown. Default 1 second. */
  readonly closeTimeout?: Duration.DurationInput | undefined
  /** Largest message accepted (JSON answer, SSE event, stdio line), in bytes. Default 16 MiB. */
  readonly maxMessageSize?: number | undefined
  /** Name and version announced in `initialize` (2025) or in every request's `_meta` (2026-07-28). */
  readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
  /** The revision to speak; default `"auto"`: negotiated, see `ProtocolVersion`. */
  readonly protocolVersion?: ProtocolVersion | undefined
  /** Called with each notification the server sends; failures are logged and ignored. */
  readonly onNotification?: ((notification: Notification) => Effect.Effect<void>) | undefined
  /**
   * Called after the session was opened again because the server forgot it (HTTP 404): what the
   * server held for the old one, such as resource subscriptions, is gone.
   */
  readonly onReinitialized?: Effect.Effect<void> | undefined
  /**
   * What the client answers when the server asks for sampling, elicitation or roots. A
   * capability is announced in `initialize` only for a handler given here; without one, the
   * server's request is answered "method not found" (-32601).
   */
  readonly handlers?: ClientHandlers | undefined
}

/**
 * The application's answers to what servers ask of the client. `McpClient` fills it from the
 * `McpSampling`, `McpElicitation` and `McpRoots` services in its context.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientHandlers {
  readonly sampling?: McpSampling.Service | undefined
  readonly elicitation?: McpElicitation.Service | undefined
  readonly roots?: McpRoots.Service | undefined
}

/**
 * Who is asking, so that an application can tell its user: the server (by its configured
 * name) and, when the client can tell, the request of its own during which the server asked.
 *
 * Over HTTP a server request that arrives on the answer stream of a request belongs to that
 * request. Over stdio, where messages carry no such link, it is attributed to the session's
 * `tools/call` only when exactly one is in flight. A request on the HTTP GET stream belongs to
 * none.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerRequestContext {
  /** The configured name of the server that asked. */
  readonly server: string
  /** The method of the client's request during which the server asked, when known. */
  readonly method: string | undefined
  /** The tool being called when the server asked, when known. */
  readonly tool: string | undefined
  /**
   * The bearer token of the session the server asked in (`undefined` for a session without
   * one): sessions are per token, so this tells which end user's call the server is asking
   * about, and whom to show the request to. Compare it with `Redacted`'s equivalence; it is
   * never logged.
   */
  readonly auth: Redacted.Redacted<string> | undefined
}

/**
 * A session over Streamable HTTP.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpOptions extends CommonOptions {
  /** The MCP endpoint. */
  readonly url: string | URL
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Bearer token sent as `Authorization`; never logged. */
  readonly auth?: Redacted.Redacted<string> | undefined
  /**
   * OAuth: the token of each request comes from this source (see `McpOAuth.makeTokenSource`),
   * which is told of the server's 401 and 403 `insufficient_scope`. Unused when `auth` is given.
   */
  readonly oauth?: McpOAuth.TokenSource | undefined
  /** Where negotiations are remembered; without one, every session probes. */
  readonly protocolCache?: ProtocolCache | undefined
  /**
   * Keep a stream open for notifications not tied to a request (such as
   * `notifications/tools/list_changed`): the GET stream of a 2025 session (only stateful servers
   * offer it; a 405 ends the attempt), or a `subscriptions/listen` for the list changes the server
   * announced in 2026-07-28 (always listened for over stdio). Any other end reconnects after a
   * growing delay (1 s to 30 s). Default false.
   */
  readonly listen?: boolean | undefined
}

/**
 * A session with a server started as a child process, speaking over its stdin and stdout.
 *
 * @since 0.1.0
 * @category models
 */
export interface StdioOptions extends CommonOptions {
  /** The program, found on `PATH` when not a path; never run through a shell. */
  readonly command: string
  readonly args?: ReadonlyArray<string> | undefined
  /**
   * Added to the few variables the process inherits (HOME, LOGNAME, PATH, SHELL, TERM, USER):
   * the rest of this process's environment is not passed on.
   */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Working directory of the process. Default: this process's. */
  readonly cwd?: string | undefined
  /** Called once when the process ends by itself (crash or exit); the session is then closed. */
  readonly onExit?: Effect.Effect<void> | undefined
}

/**
 * Settings of one session: `url` for Streamable HTTP, `command` for stdio.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = HttpOptions | StdioOptions

/**
 * Whether the settings are those of a stdio session.
 *
 * @since 0.1.0
 * @category guards
 */
export const isStdio: (options: Options) => options is StdioOptions = Open.isStdio

/**
 * Per-request settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /**
   * Overrides the session's request deadline; `Duration.infinity` for none (the caller keeps its
   * own). With `onProgress`, each progress notification starts the deadline over.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /** Extra headers for this request only. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Asks the server for progress (a `progressToken` in the request's `_meta`) and is called with
   * each `notifications/progress` it sends for this request while the request is in flight, as
   * the notification is read. The effects it returns run on a fiber of the request, one at a
   * time, in order, never after the request settled; neither the fiber that reads the server's
   * messages nor the request's answer waits for them: when the request settles, one still running
   * is interrupted and the progress it has not reached is dropped (a handler that keeps up sees
   * all the progress read before the answer). A handler that falls 64 reports behind loses the
   * oldest. Failures are logged, never fail the request.
   */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  /**
   * With `onProgress`: the longest the request may run however often the server reports
   * progress, counted from when it was sent. Default: none, only `timeout` between reports.
   */
  readonly maxTotalTimeout?: Duration.DurationInput | undefined
  /** Entries merged into the request's `params._meta`, such as W3C trace context (`traceparent`, `tracestate`). */
  readonly meta?: Readonly<Record<string, unknown>> | undefined
  /** Called as the request is sent (each time it is), with its JSON-RPC id and the session's state: for telemetry. */
  readonly onSend?: ((id: string | number, info: Info) => void) | undefined
}

/**
 * One `notifications/progress` of a request: how far it got, out of `total` when the server
 * knows, and what it is doing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  /** Increases with each notification; may be fractional. */
  readonly progress: number
  readonly total?: number | undefined
  readonly message?: string | undefined
}

/**
 * What a completion is for: a prompt's argument, or a variable of a resource template.
 *
 * @since 0.1.0
 * @category models
 */
export type CompletionReference =
  | { readonly type: "ref/prompt"; readonly name: string }
  | { readonly type: "ref/resource"; readonly uri: string }

/**
 * The argument being completed, and the value typed so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompletionArgument {
  readonly name: string
  readonly value: string
}

/**
 * Arguments already chosen, which may narrow the completion of the next one.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompletionContext {
  readonly arguments?: Readonly<Record<string, string>> | undefined
}

/**
 * An initialized MCP session.
 *
 * @since 0.1.0
 * @category models
 */
export interface McpSession {
  readonly server: string
  /** The current negotiation state; changes when the session re-initializes. */
  readonly info: Effect.Effect<Info>
  /** Every tool of the server, following `nextCursor` through all pages. */
  readonly listTools: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpSessionError>
  /** Calls a tool; a result with `isError: true` fails with `ToolCallError`. */
  readonly callTool: (
    tool: string,
    args: Readonly<Record<string, unknown>>,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.CallToolResult, McpSessionError | ToolCallError>
  /** MCP `ping`. */
  readonly ping: (options?: RequestOptions) => Effect.Effect<void, McpSessionError>
  /*
   * The methods below need the capability the server announced in `initialize` (`resources`,
   * `resources.subscribe`, `prompts`, `completions`, `logging`): without it, the request is not
   * sent and fails with a `ProtocolError` of code -32601 that names the server and the capability.
   */
  /** Every resource of the server, following `nextCursor` through all pages. */
  readonly listResources: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Resource>, McpSessionError>
  /** Every resource template of the server, following `nextCursor` through all pages. */
  readonly listResourceTemplates: (
    options?: RequestOptions
  ) => Effect.Effect<ReadonlyArray<McpSchema.ResourceTemplate>, McpSessionError>
  /** The contents of a resource: text, or a blob decoded from base64. */
  readonly readResource: (
    uri: string,
    options?: RequestOptions
  ) => Effect.Effect<typeof McpSchema.ReadResourceResult.Type, McpSessionError>
  /** Asks for `notifications/resources/updated` of `uri`; they reach `onNotification`. */
  readonly subscribeResource: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpSessionError>
  /** Stops the updates of `uri`. The server keeps one subscription per uri, however often it was asked. */
  readonly unsubscribeResource: (uri: string, options?: RequestOptions) => Effect.Effect<void, McpSessionError>
  /** Every prompt of the server, following `nextCursor` through all pages. */
  readonly listPrompts: (options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Prompt>, McpSessionError>
  /** A prompt's messages, its arguments filled in. */
  readonly getPrompt: (
    name: string,
    args?: Readonly<Record<string, string>> | undefined,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.GetPromptResult, McpSessionError>
  /** Values the server suggests for an argument of a prompt or a resource template. */
  readonly complete: (
    ref: CompletionReference,
    argument: CompletionArgument,
    context?: CompletionContext | undefined,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.CompleteResult, McpSessionError>
  /** The least severe log messages the server should send (as `notifications/message`). */
  readonly setLoggingLevel: (level: McpSchema.LoggingLevel, options?: RequestOptions) => Effect.Effect<void, McpSessionError>
  /** Ends the session with `DELETE` (bounded in time, never fails); later requests fail `Closed`. */
  readonly close: Effect.Effect<void>
  /**
   * 2026-07-28: until when (epoch milliseconds of the session's clock) the last answer of a list
   * method (`tools/list`, `prompts/list`, `resources/list`, `resources/templates/list`) stays
   * fresh by its `ttlMs` (the least of its pages; without `ttlMs`, until a `list_changed` while a
   * `subscriptions/listen` stream watches for it, else stale at once), or `undefined`
   * when it was not listed or was invalidated since. Absent for a 2025 session, whose lists stay
   * fresh until a `list_changed`.
   */
  readonly freshUntil?: ((method: string) => number | undefined) | undefined
}

/**
 * Opens a session: starts the process (stdio), then probes with `server/discover` and either
 * keeps to 2026-07-28 or falls back to `initialize` and `notifications/initialized` (unless
 * `protocolVersion` pins a revision). The session is closed when the scope closes. An HTTP session
 * needs an `HttpClient`; a stdio session uses the `CommandExecutor` in context, else Node's.
 *
 * @example
 * ```ts
 * import { McpSession } from "@effect-mcp/client"
 * import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const files = yield* McpSession.make({ server: "files", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "."] })
 *   const tools = yield* files.listTools()
 *   const remote = yield* McpSession.make({ server: "search", url: "http://127.0.0.1:8001/mcp" })
 *   return [tools, yield* remote.callTool("search_restaurants_by_district", { district: "Central" })]
 * }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export function make(options: StdioOptions): Effect.Effect<McpSession, McpSessionError, Scope.Scope>
export function make(options: Options): Effect.Effect<McpSession, McpSessionError, HttpClient.HttpClient | Scope.Scope>
export function make(options: Options): Effect.Effect<McpSession, McpSessionError, HttpClient.HttpClient | Scope.Scope> {
  return Open.make(options)
}
