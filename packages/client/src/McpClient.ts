/**
 * The multi-server MCP client: one service that calls tools on named servers, owns their
 * sessions, retries what is safe to retry, keeps their health current and shuts everything down
 * with its scope.
 *
 * - Servers are reached over Streamable HTTP (`url`) or started as child processes spoken to over
 *   stdio (`command`); the client treats both alike.
 * - Sessions are opened lazily, one per (server, bearer token), and kept in an `RcMap` until idle
 *   for `sessionIdleTimeToLive`. Two tokens never share a session. A stdio server's process is
 *   its session: started on first use, again after it dies, and ended when idle.
 * - Each attempt is bounded by the server's `timeout` (or the call's), runs behind a per-server
 *   concurrency limit, and feeds the server's health. Retries follow `McpRetry`.
 * - A scoped fiber probes every server each `healthInterval` (HTTP GET of `healthPath`, else MCP
 *   `ping`) and publishes the states in `health`. A server down at start does not fail the Layer.
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
   * Asks the server for progress and is called with each progress notification of the call, in
   * order, while an attempt is in flight (never after the call ended). Each one pushes the
   * attempt's deadline back to a full `timeout` from then, so a tool that keeps reporting
   * progress may run past `timeout`, up to `maxTotalTimeout`. Failures are logged, never fail the
   * call. It runs as the notification is read, and the answer waits for it: hand long work off.
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
  /** The HTTP endpoint; `undefined` for a stdio server or an unsupported entry. */
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
  /** The server's tools, every page; cached until the server announces a change. */
  readonly listTools: (server: string) => Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpClientError>
  /** The tools of every reachable server; a failing server is left out, never the others. */
  readonly availableTools: Effect.Effect<ReadonlyArray<QualifiedTool>>
  /** Probes the server now and records the outcome. */
  readonly checkHealth: (server: string) => Effect.Effect<McpHealth.ServerHealth, UnknownServerError>
  /** Probes every server concurrently. */
  readonly checkAllHealth: Effect.Effect<ReadonlyMap<string, McpHealth.ServerHealth>>
  /** Every server's health, kept current by the health fiber and by calls. */
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
