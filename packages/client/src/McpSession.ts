/**
 * One MCP session with one server over Streamable HTTP, as a scoped resource.
 *
 * `make` initializes the session (negotiating the protocol version), and the scope's close
 * ends it with `DELETE`. In between, requests carry the session id and protocol version; answers
 * arrive as JSON or as an SSE stream, on which the session also answers the server's `ping` and
 * hands notifications to `onNotification`. A 404 on a request that carried the session id means
 * the server forgot the session: the session re-initializes once and repeats that request.
 *
 * `McpSession` is the wire-protocol boundary of effect-mcp: `McpClient` uses only this interface,
 * so a later protocol revision (the sessionless 2026 one) is a second implementation of it.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as McpSchema from "@effect/ai/McpSchema"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { McpSessionError, ToolCallError } from "./McpError.js"
import * as internal from "./internal/session.js"

/**
 * Protocol revisions this client speaks, newest first; the first is offered in `initialize`.
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedProtocolVersions: ReadonlyArray<string> = internal.supportedProtocolVersions

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
 * What `initialize` established.
 *
 * @since 0.1.0
 * @category models
 */
export interface Info {
  /** `undefined` for a stateless server. */
  readonly sessionId: string | undefined
  readonly protocolVersion: string
  readonly serverInfo: typeof McpSchema.Implementation.Type
  readonly capabilities: typeof McpSchema.ServerCapabilities.Type
  readonly instructions: string | undefined
  /** How many times the session was (re-)initialized; 1 after `make`. */
  readonly initializations: number
}

/**
 * Settings of one session.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The server's name, used in every error and log line. */
  readonly server: string
  /** The MCP endpoint. */
  readonly url: string | URL
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Bearer token sent as `Authorization`; never logged. */
  readonly auth?: Redacted.Redacted<string> | undefined
  /** Deadline of each request, including reading its answer. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Deadline of the closing `DELETE`. Default 1 second. */
  readonly closeTimeout?: Duration.DurationInput | undefined
  /** Largest JSON answer or SSE event accepted, in bytes. Default 16 MiB. */
  readonly maxMessageSize?: number | undefined
  /** Name and version announced in `initialize`. */
  readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
  /** Called with each notification the server sends; failures are logged and ignored. */
  readonly onNotification?: ((notification: Notification) => Effect.Effect<void>) | undefined
  /**
   * Keep the server's GET stream open for notifications not tied to a request (such as
   * `notifications/tools/list_changed`). Only stateful servers offer it; a 405 ends the attempt,
   * any other end reconnects after a growing delay (1 s to 30 s). Default false.
   */
  readonly listen?: boolean | undefined
}

/**
 * Per-request settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** Overrides the session's request deadline; `Duration.infinity` for none (the caller keeps its own). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Extra headers for this request only. */
  readonly headers?: Readonly<Record<string, string>> | undefined
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
  /** Ends the session with `DELETE` (bounded in time, never fails); later requests fail `Closed`. */
  readonly close: Effect.Effect<void>
}

/**
 * Opens a session: `initialize`, then `notifications/initialized`. The session is closed when
 * the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<McpSession, McpSessionError, HttpClient.HttpClient | Scope.Scope> = internal.make
