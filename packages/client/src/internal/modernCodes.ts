/**
 * The JSON-RPC error codes the 2026-07-28 revision defines: the typed errors of `McpError`, the
 * evidence of a modern server in negotiation, and the errors read from a failed HTTP status.
 */

/** -32020: the request's HTTP headers are missing or do not match its body. */
export const HEADER_MISMATCH = -32020
/** -32021: the request needs a client capability it did not declare. */
export const MISSING_CLIENT_CAPABILITY = -32021
/** -32022: the server does not speak the request's protocol version. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022

/** Whether a JSON-RPC error code is one the 2026-07-28 revision defines. */
export const isModernCode = (code: number): boolean =>
  code === HEADER_MISMATCH || code === MISSING_CLIENT_CAPABILITY || code === UNSUPPORTED_PROTOCOL_VERSION
