/**
 * The typed errors of effect-mcp.
 *
 * Every error names the server it concerns (and the tool, where there is one), so that a
 * caller can `Effect.catchTag` on the exact failure and an operator can read the message
 * without a stack trace. No error ever carries a credential: headers are never copied into
 * an error, and `Redacted` values are never unwrapped into one.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import {
  HEADER_MISMATCH,
  HeaderMismatchError,
  MISSING_CLIENT_CAPABILITY,
  MissingCapabilityError,
  UNSUPPORTED_PROTOCOL_VERSION,
  UnsupportedVersionError,
  where
} from "./internal/modernErrors.js"

export {
  /**
   * The server found the request's HTTP headers missing or not matching its body: JSON-RPC error
   * -32020 (2026-07-28).
   *
   * @since 0.1.0
   * @category errors
   */
  HeaderMismatchError,
  /**
   * The request needs a client capability it did not declare: JSON-RPC error -32021 (2026-07-28).
   *
   * @since 0.1.0
   * @category errors
   */
  MissingCapabilityError,
  /**
   * The server and the client have no protocol revision in common: JSON-RPC error -32022.
   *
   * @since 0.1.0
   * @category errors
   */
  UnsupportedVersionError
}

/**
 * A call named a server that is not configured.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownServerError extends Schema.TaggedError<UnknownServerError>()("UnknownServerError", {
  server: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `Unknown MCP server "${this.server}"; configured servers: ${
      this.known.length === 0 ? "(none)" : this.known.join(", ")
    }`
  }
}

/**
 * A call named a tool the server does not offer, even after its tool list was refreshed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownToolError extends Schema.TaggedError<UnknownToolError>()("UnknownToolError", {
  server: Schema.String,
  tool: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${where(this.server)} offers no tool "${this.tool}"; available: ${
      this.available.length === 0 ? "(none)" : this.available.join(", ")
    }`
  }
}

/**
 * Why a transport-level failure happened.
 *
 * - `Connect`: no connection could be made, so the request provably never reached the server.
 * - `Timeout`: no complete answer within the deadline; the server may have acted.
 * - `Status`: the server answered with an HTTP status that is not a success.
 * - `Decode`: the server answered bytes that are not a valid MCP message of the expected shape.
 * - `Closed`: the connection or stream ended before the answer, or the session was closed.
 *
 * @since 0.1.0
 * @category errors
 */
export const TransportReason = Schema.Literal("Connect", "Timeout", "Status", "Decode", "Closed")

/**
 * @since 0.1.0
 * @category errors
 */
export type TransportReason = typeof TransportReason.Type

/**
 * The request did not produce a JSON-RPC answer: connection, timeout, HTTP status, undecodable
 * bytes or a stream that ended early. `detail` says what was wrong in words.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  reason: TransportReason,
  detail: Schema.String,
  status: Schema.optional(Schema.Number),
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  /**
   * A `Decode` failure of bytes that were not a whole JSON message (cut short or garbled), as a
   * connection cut mid-answer leaves them: the server may have run the request, and sending it
   * again may pass. A well-formed message of the wrong shape is not `malformed`.
   */
  malformed: Schema.optional(Schema.Boolean)
}) {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${where(this.server, this.tool)}: ${this.reason}${status}: ${this.detail}`
  }
}

/**
 * The server answered the request with a JSON-RPC error (or the client refused it before sending,
 * with the code the server would have answered: `refusedLocally`). `message` names the server (and
 * the tool) and quotes the server's own error text; `code` and `data` are as the server sent them.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolError extends Schema.TaggedError<ProtocolError>()("ProtocolError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  code: Schema.Number,
  message: Schema.String,
  data: Schema.optional(Schema.Unknown),
  /**
   * `true` when the client refused to send the request (a capability the server did not
   * announce, an argument no server could take), or to send it once more (an input it could not
   * give, a tool gone after a re-listing): the code is the one a server would have answered.
   */
  refusedLocally: Schema.optional(Schema.Literal(true))
}) {
  /**
   * Builds the error from a JSON-RPC error answer, composing a message that names the server.
   *
   * @since 0.1.0
   */
  static fromAnswer(options: {
    readonly server: string
    readonly tool?: string | undefined
    readonly code: number
    readonly message: string
    readonly data?: unknown
  }): ProtocolError {
    return new ProtocolError({
      server: options.server,
      ...(options.tool === undefined ? {} : { tool: options.tool }),
      code: options.code,
      message: `${where(options.server, options.tool)} answered JSON-RPC error ${options.code}: ${options.message}`,
      ...(options.data === undefined ? {} : { data: options.data })
    })
  }

  /**
   * Builds the error of a request the client refused before sending it, with the code the server
   * would have answered (such as -32602 for a token a stdio server cannot take).
   *
   * @since 0.1.0
   */
  static refused(options: {
    readonly server: string
    readonly tool?: string | undefined
    readonly code: number
    readonly message: string
  }): ProtocolError {
    return new ProtocolError({
      server: options.server,
      ...(options.tool === undefined ? {} : { tool: options.tool }),
      code: options.code,
      message: `${where(options.server, options.tool)}: refused before sending, JSON-RPC error ${options.code}: ${options.message}`,
      refusedLocally: true
    })
  }
}


/**
 * The errors a JSON-RPC error answer becomes: the codes the 2026-07-28 revision defines have
 * errors of their own; every other code is a `ProtocolError`.
 *
 * @since 0.1.0
 * @category errors
 */
export type AnswerError = ProtocolError | HeaderMismatchError | MissingCapabilityError | UnsupportedVersionError

/**
 * The error of a JSON-RPC error answer, by its code.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAnswer = (options: {
  readonly server: string
  readonly tool?: string | undefined
  readonly code: number
  readonly message: string
  readonly data?: unknown
}): AnswerError => {
  const tool = options.tool === undefined ? {} : { tool: options.tool }
  const data: Record<string, unknown> = options.data !== null && typeof options.data === "object" ? { ...options.data } : {}
  switch (options.code) {
    case HEADER_MISMATCH:
      return new HeaderMismatchError({ server: options.server, ...tool, detail: options.message, ...(options.data === undefined ? {} : { data: options.data }) })
    case MISSING_CLIENT_CAPABILITY:
      return new MissingCapabilityError({
        server: options.server,
        ...tool,
        detail: options.message,
        ...(data.requiredCapabilities === undefined ? {} : { required: data.requiredCapabilities })
      })
    case UNSUPPORTED_PROTOCOL_VERSION:
      return new UnsupportedVersionError({
        server: options.server,
        ...tool,
        requested: typeof data.requested === "string" ? data.requested : "",
        supported: Array.isArray(data.supported) ? data.supported.filter((v): v is string => typeof v === "string") : [],
        detail: options.message
      })
    default:
      return ProtocolError.fromAnswer(options)
  }
}

/**
 * The tool ran and reported failure (`isError: true`); `content` is what it said.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolCallError extends Schema.TaggedError<ToolCallError>()("ToolCallError", {
  server: Schema.String,
  tool: Schema.String,
  content: Schema.Array(Schema.Unknown),
  structuredContent: Schema.optional(Schema.Unknown)
}) {
  override get message(): string {
    const text = this.content.flatMap((block) =>
      typeof block === "object" && block !== null && "text" in block && typeof block.text === "string"
        ? [block.text]
        : []
    ).join(" ")
    return `${where(this.server, this.tool)} reported an error${text === "" ? "" : `: ${text}`}`
  }
}

/**
 * The server's circuit is open after repeated failures: the call failed fast without a request.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerUnavailableError extends Schema.TaggedError<ServerUnavailableError>()("ServerUnavailableError", {
  server: Schema.String,
  consecutiveFailures: Schema.Number,
  retryAt: Schema.DateTimeUtcFromSelf
}) {
  override get message(): string {
    return `${where(this.server)} is unavailable after ${this.consecutiveFailures} consecutive failures; next trial at ${
      DateTime.formatIso(this.retryAt)
    }`
  }
}

/**
 * Configuration could not be read or is invalid. `source` names the file (or `options`, `env`),
 * `path` the offending field, e.g. `mcpServers.search.url`; `message` says both and the problem.
 *
 * @since 0.1.0
 * @category errors
 */
export class McpConfigError extends Schema.TaggedError<McpConfigError>()("McpConfigError", {
  source: Schema.String,
  path: Schema.String,
  message: Schema.String
}) {
  /**
   * Builds the error with a message that names the source and the field.
   *
   * @since 0.1.0
   */
  static at(source: string, path: string, problem: string): McpConfigError {
    return new McpConfigError({ source, path, message: `${source}${path === "" ? "" : ` at ${path}`}: ${problem}` })
  }
}

/**
 * The step of OAuth authorization that failed.
 *
 * - `Discovery`: the protected resource or authorization server metadata (RFC 9728, RFC 8414).
 * - `Registration`: no client identity (pre-registered, metadata document or RFC 7591).
 * - `Authorization`: the interactive step, or a redirect that failed the `state`, `iss` or PKCE checks.
 * - `Token`: the token endpoint refused a grant.
 * - `Refresh`: the refresh token was refused (a new authorization follows when possible).
 * - `Rejected`: the server refused a token just obtained for it, or step-up went over its limit.
 * - `Interaction`: a user must authorize the client (no usable token is held, and the grant is
 *   the authorization code), and the request may not ask one: a health probe, a listing across
 *   servers (`availableTools`, …) or anything run with `McpOAuth.nonInteractive`.
 *
 * @since 0.1.0
 * @category errors
 */
export const AuthorizationStep = Schema.Literal(
  "Discovery",
  "Registration",
  "Authorization",
  "Token",
  "Refresh",
  "Rejected",
  "Interaction"
)

/**
 * @since 0.1.0
 * @category errors
 */
export type AuthorizationStep = typeof AuthorizationStep.Type

/**
 * OAuth authorization of a server failed. `message` names the server and the step; it never
 * carries a token, a code, a verifier or a client secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationError extends Schema.TaggedError<AuthorizationError>()("AuthorizationError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  step: AuthorizationStep,
  detail: Schema.String
}) {
  override get message(): string {
    return `${where(this.server, this.tool)}: authorization failed (${this.step}): ${this.detail}`
  }
}

/**
 * Every error a session request can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type McpSessionError = TransportError | AnswerError | AuthorizationError

/**
 * Every error `McpClient.callTool` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type McpClientError =
  | UnknownServerError
  | UnknownToolError
  | TransportError
  | AnswerError
  | AuthorizationError
  | ToolCallError
  | ServerUnavailableError
