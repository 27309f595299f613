/**
 * The multi-server MCP client: one service that calls tools on named servers (and reads their
 * resources, gets their prompts, asks for completions), owns their sessions, retries what is safe
 * to retry, keeps their health current and shuts everything down with its scope.
 *
 * - Servers are reached over Streamable HTTP (`url`) or started as child processes spoken to over
 *   stdio (`command`); the client treats both alike.
 * - Sessions are opened lazily, one per (server, bearer token), and kept in an `RcMap` until idle
 *   for `sessionIdleTimeToLive`. Two tokens never share a session. A stdio server's process is
 *   its session: started on first use, again after it dies, and ended when idle.
 * - Each attempt is bounded by the server's `timeout` (or the call's), runs behind a per-server
 *   concurrency limit, and feeds the server's health. Retries follow `McpRetry`.
 * - What servers ask of the client (sampling, elicitation, roots) is answered by the
 *   `McpSampling`, `McpElicitation` and `McpRoots` services when they are in the Layer's context;
 *   each capability is announced only with its service. Servers' log messages become Effect logs
 *   and are offered as `serverLogs`; a call's progress reaches its `onProgress`.
 * - A scoped fiber probes every server each `healthInterval` (HTTP GET of `healthPath`, else MCP
 *   `ping`) and publishes the states in `health`. A server down at start does not fail the Layer.
 *   Probes never call the OAuth `Authorizer`: a server that needs a user's authorization is
 *   probed with a token-less GET and, when it answers, is healthy with the `error` `not authorized: …`.
 * - When the scope closes, the health fiber stops, in-flight calls are interrupted and every
 *   session is deleted at once (each `DELETE` bounded by one second; each stdio process is
 *   stopped with EOF, then SIGTERM, then SIGKILL, each step bounded by one second).
 *
 * @since 0.1.0
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as internal from "./internal/client.js"
import { McpConfigError, type McpClientError, type UnknownServerError } from "./McpError.js"
import type * as McpHealth from "./McpHealth.js"
import type * as McpOAuth from "./McpOAuth.js"
import * as McpHttpClient from "./McpHttpClient.js"
import type * as McpRetry from "./McpRetry.js"
import * as McpConfigFile from "./McpConfigFile.js"
import type * as McpServerConfig from "./McpServerConfig.js"
import type * as McpSession from "./McpSession.js"

/**
 * A tool of one server under a name unique across all servers (`server__tool`, ≤ 64 characters).
 *
 * @since 0.1.0
 * @category models
 */
export interface QualifiedTool {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly tool: McpSchema.Tool
}

/**
 * A resource of one server under a name unique across all servers (`server__name`, ≤ 64
 * characters, made as tool names are).
 *
 * @since 0.1.0
 * @category models
 */
export interface QualifiedResource {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly uri: string
  readonly resource: McpSchema.Resource
}

/**
 * A prompt of one server under a name unique across all servers (`server__prompt`, ≤ 64
 * characters, made as tool names are).
 *
 * @since 0.1.0
 * @category models
 */
export interface QualifiedPrompt {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly prompt: McpSchema.Prompt
}

/**
 * A resource changed (`notifications/resources/updated`): read it again to see how. Also emitted
 * once after the subscription was made again on a new session, since a change may have been
 * missed in between.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceUpdate {
  readonly server: string
  readonly uri: string
}

/**
 * Settings of one request other than a tool call (resources, prompts, completion, logging level).
 * Every such request is safe to repeat, so transient failures are retried as the server's
 * `retry` allows.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** Bearer token, e.g. the end user's JWT: the request uses that token's session, and its cached lists. */
  readonly auth?: Redacted.Redacted<string> | string | undefined
  /** Extra headers for this request only; a list served from the cache sends no request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Deadline of each attempt; default the server's `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** `false` for a single attempt; otherwise overrides fields of the server's retry settings. */
  readonly retry?: false | McpRetry.RetryOptions | undefined
}

/**
 * Settings of a resource subscription. It lives on the server's shared (token-less) session, the
 * one that receives the server's notifications, so it takes no token or headers.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubscribeOptions {
  /** Deadline of each attempt at `resources/subscribe`; default the server's `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** `false` for a single attempt; otherwise overrides fields of the server's retry settings. */
  readonly retry?: false | McpRetry.RetryOptions | undefined
}

/**
 * Per-call settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Bearer token for this call, e.g. the end user's JWT. Calls with different tokens never share a session. */
  readonly auth?: Redacted.Redacted<string> | string | undefined
  /** Extra headers for this call only. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Deadline of each attempt; default the server's `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** `false` for a single attempt; otherwise overrides fields of the server's retry settings. */
  readonly retry?: false | McpRetry.RetryOptions | undefined
  /** Overrides the tool's hints: `true` lets any transient failure be retried, `false` forbids it. */
  readonly idempotent?: boolean | undefined
  /**
   * Asks the server for progress and is called with each progress notification of the call
   * while an attempt is in flight. Each one pushes the attempt's deadline back to a full `timeout`
   * from when it is read, so a tool that keeps reporting progress may run past `timeout`, up to
   * `maxTotalTimeout`. The effects it returns run on a fiber of the call, one at a time, in order;
   * neither the server's other requests nor the call wait for them: when the call ends, one still
   * running is interrupted and the progress it has not reached is dropped (a handler that keeps
   * up sees all the progress read before the answer), and none runs after the call ended. A
   * handler that falls 64 reports behind loses the oldest. Failures are logged, never fail the call.
   */
  readonly onProgress?: ((progress: McpSession.Progress) => Effect.Effect<void>) | undefined
  /**
   * The longest the whole call may take, counted from its start: every attempt, whatever
   * progress pushed their deadlines to, and the waits between retries. Past it, the call fails
   * with a `TransportError` `Timeout` (the attempt in flight is cancelled, and not counted as a
   * failure of the server). Default: none.
   */
  readonly maxTotalTimeout?: Duration.DurationInput | undefined
}

/**
 * What `status` reports of one configured server. Never contains a credential.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerStatus {
  readonly server: string
  /** `"http"` or `"stdio"`; `undefined` for an unsupported entry. */
  readonly transport: "http" | "stdio" | undefined
  /** The HTTP endpoint's origin and path (never its user info or query); `undefined` for a stdio server or an unsupported entry. */
  readonly url: string | undefined
  /** A stdio server's command line (program and arguments; never its environment). */
  readonly command: string | undefined
  /** Why effect-mcp cannot talk to this server (the legacy HTTP+SSE transport), or `undefined`. */
  readonly unsupported: string | undefined
  readonly health: McpHealth.ServerHealth | undefined
  /** Names of the tools last listed, or `undefined` before the first listing. */
  readonly tools: ReadonlyArray<string> | undefined
  readonly expectedTools: ReadonlyArray<string>
  /** Expected tools the last listing did not contain. */
  readonly missingTools: ReadonlyArray<string>
  /** The shared session's negotiation, when one is open. */
  readonly session:
    | {
      readonly protocolVersion: string
      readonly stateful: boolean
      readonly serverInfo: { readonly name: string; readonly version: string }
    }
    | undefined
  /** Sessions open to this server, one per credential. */
  readonly openSessions: number
  /**
   * For a server configured with `oauth`: whether a token is held and until when (never the
   * token itself); `undefined` for other servers.
   */
  readonly authorization: McpOAuth.AuthorizationStatus | undefined
}

/**
 * Settings of the client.
 *
 * @since 0.1.0
 * @category models
 */
export interface McpClientOptions {
  /** The servers, in order. */
  readonly servers: ReadonlyArray<McpServerConfig.Input>
  /** Configured servers that cannot be used (legacy HTTP+SSE), listed in `status`. */
  readonly unsupported?: ReadonlyArray<McpConfigFile.Unsupported> | undefined
  /** Where `servers` came from, for error messages. Default `"options"`. */
  readonly source?: string | undefined
  /** Time between health rounds. Default 30 seconds. */
  readonly healthInterval?: Duration.DurationInput | undefined
  /** Consecutive failures that open a server's circuit. Default 5. */
  readonly failureThreshold?: number | undefined
  /** How long an open circuit fails calls fast before a trial call. Default 30 seconds. */
  readonly circuitResetAfter?: Duration.DurationInput | undefined
  /** How long an unused session stays open. Default 5 minutes. */
  readonly sessionIdleTimeToLive?: Duration.DurationInput | undefined
  /** Name and version announced to servers. */
  readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
}

/**
 * The service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Calls a tool; retries as `McpRetry` allows; a result with `isError: true` fails with
   * `ToolCallError`. Traced as the span `McpClient.callTool` (attributes `mcp.server`, `mcp.tool`)
   * when a tracer other than Effect's built-in one is installed, such as `@effect/opentelemetry`:
   * the built-in tracer exports nothing, and a span costs about as much as the call on loopback.
   */
  readonly callTool: (
    server: string,
    tool: string,
    args: unknown,
    options?: CallOptions
  ) => Effect.Effect<McpSchema.CallToolResult, McpClientError>
  /**
   * The server's tools, every page; cached per session until the server announces a change (with
   * `auth`, the list of that token's session: a server may show each user their own tools).
   */
  readonly listTools: (
    server: string,
    options?: RequestOptions
  ) => Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpClientError>
  /**
   * The tools of every reachable server; a failing server is left out, never the others. Never
   * starts an interactive OAuth authorization: a server that would need a user is left out too
   * (as are they from `availableResources` and `availablePrompts`).
   */
  readonly availableTools: Effect.Effect<ReadonlyArray<QualifiedTool>>
  /**
   * The server's resources, every page; cached per session until the server announces
   * `notifications/resources/list_changed`. Needs the server's `resources` capability: without
   * it, nothing is sent and the call fails with a `ProtocolError` of code -32601 (as do the
   * other methods below without theirs).
   */
  readonly listResources: (
    server: string,
    options?: RequestOptions
  ) => Effect.Effect<ReadonlyArray<McpSchema.Resource>, McpClientError>
  /** The server's resource templates, every page; cached like `listResources`. */
  readonly listResourceTemplates: (
    server: string,
    options?: RequestOptions
  ) => Effect.Effect<ReadonlyArray<McpSchema.ResourceTemplate>, McpClientError>
  /** Reads a resource: its text, or its blob decoded from base64. */
  readonly readResource: (
    server: string,
    uri: string,
    options?: RequestOptions
  ) => Effect.Effect<typeof McpSchema.ReadResourceResult.Type, McpClientError>
  /**
   * The updates of one resource, for as long as the stream runs. `resources/subscribe` is sent
   * when the stream starts (a failure fails the stream) and `resources/unsubscribe` when it ends,
   * bounded by one second and never failing it. Streams of one uri share one server subscription.
   * Updates only name the resource, so consecutive ones the consumer has not yet taken are
   * merged into one. When the server forgets the session or its process ends, the subscription
   * is made again on the new session and one update is emitted; if that fails after the retries,
   * the stream fails. When the client closes, a stream still running fails with a
   * `TransportError` `Closed` naming the server (as a subscription asked of a closed client does).
   * Needs the server's `resources.subscribe` capability.
   *
   * @example
   * ```ts
   * import { McpClient } from "@effect-mcp/client"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function*() {
   *   const mcp = yield* McpClient.McpClient
   *   yield* mcp.subscribeResource("files", "file:///notes.md").pipe(
   *     Stream.mapEffect((update) => mcp.readResource(update.server, update.uri)),
   *     Stream.take(3),
   *     Stream.runForEach((read) => Effect.log(read.contents.length))
   *   )
   * })
   * ```
   */
  readonly subscribeResource: (
    server: string,
    uri: string,
    options?: SubscribeOptions
  ) => Stream.Stream<ResourceUpdate, McpClientError>
  /** The server's prompts, every page; cached per session until `notifications/prompts/list_changed`. */
  readonly listPrompts: (server: string, options?: RequestOptions) => Effect.Effect<ReadonlyArray<McpSchema.Prompt>, McpClientError>
  /** A prompt's messages, its arguments filled in. */
  readonly getPrompt: (
    server: string,
    name: string,
    args?: Readonly<Record<string, string>> | undefined,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.GetPromptResult, McpClientError>
  /**
   * Values the server suggests for an argument of a prompt (`{ type: "ref/prompt", name }`) or of
   * a resource template (`{ type: "ref/resource", uri }`), given the value typed so far and the
   * arguments already chosen.
   */
  readonly complete: (
    server: string,
    ref: McpSession.CompletionReference,
    argument: McpSession.CompletionArgument,
    context?: McpSession.CompletionContext | undefined,
    options?: RequestOptions
  ) => Effect.Effect<McpSchema.CompleteResult, McpClientError>
  /**
   * The least severe log messages the server should send. The level belongs to the session: it
   * is set again on each session of that server opened later (after idling, a restart of its
   * process, or the server forgetting it).
   */
  readonly setLoggingLevel: (
    server: string,
    level: McpSchema.LoggingLevel,
    options?: RequestOptions
  ) => Effect.Effect<void, McpClientError>
  /** The resources of every reachable server; a failing server is left out, never the others. */
  readonly availableResources: Effect.Effect<ReadonlyArray<QualifiedResource>>
  /** The prompts of every reachable server; a failing server is left out, never the others. */
  readonly availablePrompts: Effect.Effect<ReadonlyArray<QualifiedPrompt>>
  /** Probes the server now and records the outcome. */
  readonly checkHealth: (server: string) => Effect.Effect<McpHealth.ServerHealth, UnknownServerError>
  /** Probes every server concurrently. */
  readonly checkAllHealth: Effect.Effect<ReadonlyMap<string, McpHealth.ServerHealth>>
  /**
   * Every server's health, kept current by the health fiber and by calls. The client publishes it
   * here: what an application writes to it reaches the subscribers, not the circuits. The health
   * loops' results are published together once per turn of the event loop; `checkHealth` and
   * calls publish at once.
   */
  readonly health: SubscriptionRef.SubscriptionRef<ReadonlyMap<string, McpHealth.ServerHealth>>
  readonly isHealthy: (server: string) => Effect.Effect<boolean, UnknownServerError>
  readonly healthyServers: Effect.Effect<ReadonlyArray<string>>
  /** Configuration, health, tools and session of every server, in configuration order. */
  readonly status: Effect.Effect<ReadonlyArray<ServerStatus>>
  /**
   * The log messages (`notifications/message`) of every server, from any of its sessions, as they
   * arrive from when the stream is run. Each is also logged with Effect's logger, whether or not
   * anyone runs this stream: use it to show a server's logs apart from the application's. A
   * subscriber more than 1 024 messages behind loses the oldest. The stream ends when the
   * client's scope closes.
   */
  readonly serverLogs: Stream.Stream<ServerLogMessage>
}

/**
 * A log message a server sent (`notifications/message`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerLogMessage {
  readonly server: string
  /** One of MCP's syslog levels, or what a server sent instead. */
  readonly level: McpSchema.LoggingLevel | (string & {})
  /** The server's name for the logger, if it gave one. */
  readonly logger: string | undefined
  /** A string or any JSON value. */
  readonly data: unknown
}

/**
 * @since 0.1.0
 * @category tags
 */
export class McpClient extends Context.Tag("@effect-mcp/client/McpClient")<McpClient, Service>() {}

/**
 * Builds the service in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: McpClientOptions
) => Effect.Effect<Service, McpConfigError, HttpClient.HttpClient | Scope.Scope> = internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: McpClientOptions): Layer.Layer<McpClient, McpConfigError, HttpClient.HttpClient> =>
  Layer.scoped(McpClient, make(options))

/**
 * @since 0.1.0
 * @category layers
 * @deprecated use `McpHttpClient.layerUndiciWith`
 */
export const layerUndiciWith: (options?: McpHttpClient.UndiciOptions) => Layer.Layer<HttpClient.HttpClient> = McpHttpClient.layerUndiciWith

/**
 * @since 0.1.0
 * @category layers
 * @deprecated use `McpHttpClient.layerUndici`
 */
export const layerUndici: Layer.Layer<HttpClient.HttpClient> = McpHttpClient.layerUndici

/**
 * `layer` with its own `McpHttpClient`, its sockets per server bounded by the largest
 * `maxConcurrency` plus 4: ready to use on Node.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNode = (options: McpClientOptions): Layer.Layer<McpClient, McpConfigError> =>
  layer(options).pipe(Layer.provide(McpHttpClient.layerFor(options.servers)))

/**
 * Settings of `layerConfig`: the client options but the servers, which come from a file.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerConfigOptions extends Omit<McpClientOptions, "servers" | "unsupported" | "source"> {
  /** The file, or the JSON itself when it starts with `{`. Default: `Config.string("MCP_CONFIG")`. */
  readonly config?: Config.Config<string> | undefined
}

/**
 * Servers from a `mcpServers` JSON file named by `MCP_CONFIG` (or the given `Config`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: LayerConfigOptions = {}
): Layer.Layer<McpClient, McpConfigError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.scoped(
    McpClient,
    Effect.gen(function*() {
      const label = options.config === undefined ? "MCP_CONFIG" : "the configuration"
      const value = yield* (options.config ?? Config.string("MCP_CONFIG")).pipe(
        Effect.mapError((error) =>
          McpConfigError.at(options.config === undefined ? "env" : "config", label, `names no configuration file: ${error.message}`)
        )
      )
      const inline = value.trimStart().startsWith("{")
      const file = inline ? yield* McpConfigFile.parse(value, label) : yield* McpConfigFile.load(value)
      return yield* make({
        ...options,
        servers: file.servers,
        unsupported: file.unsupported,
        source: inline ? label : value
      })
    })
  )
