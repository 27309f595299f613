/**
 * @since 0.1.0
 */

/**
 * The typed errors of effect-mcp.
 *
 * @since 0.1.0
 */
export * as McpError from "./McpError.js"

/**
 * One MCP session with one server over Streamable HTTP, as a scoped resource.
 *
 * @since 0.1.0
 */
export * as McpSession from "./McpSession.js"
