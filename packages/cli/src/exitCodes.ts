/**
 * The exit codes of `effect-mcp`, one per kind of failure, so that scripts can tell a typo from
 * a dead server from a tool that said no.
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | success (also after Ctrl-C ends `watch`) |
 * | 1 | unexpected internal error (a bug: please report it) |
 * | 2 | bad configuration (`McpConfigError`) or bad command line / usage, including json-args that are not a JSON object |
 * | 3 | unknown server or unknown tool (`UnknownServerError`, `UnknownToolError`) |
 * | 4 | invalid arguments (`ProtocolError` with code -32602, from the server or refused locally) |
 * | 5 | server unavailable: its circuit is open (`ServerUnavailableError`) |
 * | 6 | transport failure: connect, timeout, HTTP status, undecodable answer, cut off (`TransportError`) |
 * | 7 | the tool reported an error, `isError: true` (`ToolCallError`) |
 * | 8 | any other JSON-RPC error answer (`ProtocolError`) |
 * | 9 | OAuth authorization of the server failed or is needed: not logged in, `login` timed out, refused (`AuthorizationError`) |
 *
 * @since 0.1.0
 */
import type { McpError } from "@effect-mcp/client"
import type { UsageError } from "./arguments.js"

/**
 * The exit codes by name.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  NotFound: 3,
  InvalidArguments: 4,
  Unavailable: 5,
  Transport: 6,
  ToolError: 7,
  Protocol: 8,
  Unauthorized: 9
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode]

/**
 * Every expected failure of a command.
 *
 * @since 0.1.0
 * @category models
 */
export type CommandError = McpError.McpClientError | McpError.McpConfigError | UsageError

/** The JSON-RPC "invalid params" code. */
const INVALID_PARAMS = -32602

/**
 * The exit code of an expected failure.
 *
 * @since 0.1.0
 * @category mapping
 */
export const fromError = (error: CommandError): ExitCode => {
  switch (error._tag) {
    case "McpConfigError":
    case "UsageError":
      return ExitCode.Usage
    case "UnknownServerError":
    case "UnknownToolError":
      return ExitCode.NotFound
    case "ProtocolError":
      return error.code === INVALID_PARAMS ? ExitCode.InvalidArguments : ExitCode.Protocol
    case "HeaderMismatchError":
    case "MissingCapabilityError":
    case "UnsupportedVersionError":
      return ExitCode.Protocol
    case "ServerUnavailableError":
      return ExitCode.Unavailable
    case "TransportError":
      return ExitCode.Transport
    case "ToolCallError":
      return ExitCode.ToolError
    case "AuthorizationError":
      return ExitCode.Unauthorized
  }
}

/**
 * The table above as rows of (code, meaning), for `--help`.
 *
 * @since 0.1.0
 * @category constants
 */
export const table: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.Ok, "success (also when Ctrl-C ends watch)"],
  [ExitCode.Internal, "unexpected internal error"],
  [ExitCode.Usage, "bad configuration, or bad command line (json-args not a JSON object, --arg without =)"],
  [ExitCode.NotFound, "unknown server or unknown tool"],
  [ExitCode.InvalidArguments, "invalid arguments (JSON-RPC error -32602, from the server or refused locally)"],
  [ExitCode.Unavailable, "server unavailable (its circuit is open after repeated failures)"],
  [ExitCode.Transport, "transport failure (connect, timeout, HTTP status, bad answer, cut off)"],
  [ExitCode.ToolError, "the tool reported an error (isError: true)"],
  [ExitCode.Protocol, "other JSON-RPC error answered by the server"],
  [ExitCode.Unauthorized, "OAuth authorization failed or needed (not logged in: run effect-mcp login <server>)"]
]
