/**
 * The errors of the 2026-07-28 revision's JSON-RPC codes, re-exported by `McpError`; the codes
 * themselves serve negotiation and the reading of a failed HTTP status too.
 */
import * as Schema from "effect/Schema"

/** How an error names what it concerns. */
export const where = (server: string, tool?: string): string =>
  tool === undefined ? `MCP server "${server}"` : `MCP server "${server}", tool "${tool}"`

/** -32020: the request's HTTP headers are missing or do not match its body. */
export const HEADER_MISMATCH = -32020
/** -32021: the request needs a client capability it did not declare. */
export const MISSING_CLIENT_CAPABILITY = -32021
/** -32022: the server does not speak the request's protocol version. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022

/** Whether a JSON-RPC error code is one the 2026-07-28 revision defines. */
export const isModernCode = (code: number): boolean =>
  code === HEADER_MISMATCH || code === MISSING_CLIENT_CAPABILITY || code === UNSUPPORTED_PROTOCOL_VERSION

/**
 * The server found the request's HTTP headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`,
 * `Mcp-Param-*`) missing or not matching its body: JSON-RPC error -32020 (2026-07-28). A
 * `tools/call` refused so is listed again and sent once more before this error is given.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeaderMismatchError extends Schema.TaggedError<HeaderMismatchError>()("HeaderMismatchError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  /** The server's own error text. */
  detail: Schema.String,
  data: Schema.optional(Schema.Unknown)
}) {
  /** The JSON-RPC error code, -32020. */
  get code(): number {
    return HEADER_MISMATCH
  }
  override get message(): string {
    return `${where(this.server, this.tool)}: the request's headers do not match its body (JSON-RPC error -32020): ${this.detail}`
  }
}

/**
 * The request needs a client capability it did not declare (such as `elicitation` for a tool
 * that asks the user): JSON-RPC error -32021 (2026-07-28). `required` is the server's
 * `data.requiredCapabilities`, when it sent one. Provide the handler (`McpElicitation`,
 * `McpSampling`, `McpRoots`) that declares it.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingCapabilityError extends Schema.TaggedError<MissingCapabilityError>()("MissingCapabilityError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  required: Schema.optional(Schema.Unknown),
  detail: Schema.String
}) {
  /** The JSON-RPC error code, -32021. */
  get code(): number {
    return MISSING_CLIENT_CAPABILITY
  }
  override get message(): string {
    const required = this.required !== null && typeof this.required === "object" ? Object.keys(this.required) : []
    return `${where(this.server, this.tool)}: the request needs client capabilities it did not declare${
      required.length === 0 ? "" : ` (${required.join(", ")})`
    } (JSON-RPC error -32021): ${this.detail}`
  }
}

/**
 * The server and the client have no protocol revision in common: JSON-RPC error -32022
 * (2026-07-28), or a negotiation that found none. `supported` is what the server named.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedVersionError extends Schema.TaggedError<UnsupportedVersionError>()("UnsupportedVersionError", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  requested: Schema.String,
  supported: Schema.Array(Schema.String),
  detail: Schema.String
}) {
  /** The JSON-RPC error code, -32022. */
  get code(): number {
    return UNSUPPORTED_PROTOCOL_VERSION
  }
  override get message(): string {
    return `${where(this.server, this.tool)}: protocol version ${this.requested} is not supported; the server supports ${
      this.supported.length === 0 ? "no version it named" : this.supported.join(", ")
    } (JSON-RPC error -32022): ${this.detail}`
  }
}
