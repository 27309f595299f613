/**
 * @since 0.1.0
 */

/**
 * The multi-server MCP client service and its Layers.
 *
 * @since 0.1.0
 */
export * as McpClient from "./McpClient.js"

/**
 * The typed errors of effect-mcp.
 *
 * @since 0.1.0
 */
export * as McpError from "./McpError.js"

/**
 * One MCP session with one server, over Streamable HTTP or stdio, as a scoped resource.
 *
 * @since 0.1.0
 */
export * as McpSession from "./McpSession.js"

/**
 * The health of one server and its circuit breaker, as pure transitions.
 *
 * @since 0.1.0
 */
export * as McpHealth from "./McpHealth.js"

/**
 * The lean `HttpClient` of effect-mcp, over an undici agent of its own.
 *
 * @since 0.1.0
 */
export * as McpHttpClient from "./McpHttpClient.js"

/**
 * When and how often a failed MCP call is tried again.
 *
 * @since 0.1.0
 */
export * as McpRetry from "./McpRetry.js"

/**
 * The configuration of one MCP server (Streamable HTTP or stdio), checked, with its defaults.
 *
 * @since 0.1.0
 */
export * as McpServerConfig from "./McpServerConfig.js"

/**
 * `mcpServers` JSON files (Claude Desktop, VS Code, Cursor): decoding and encoding.
 *
 * @since 0.1.0
 */
export * as McpConfigFile from "./McpConfigFile.js"

/**
 * Sampling: servers ask the application's language model for a message.
 *
 * @since 0.1.0
 */
export * as McpSampling from "./McpSampling.js"

/**
 * Elicitation: servers ask the user for information, with a form or a URL.
 *
 * @since 0.1.0
 */
export * as McpElicitation from "./McpElicitation.js"

/**
 * Roots: the directories and files the application lets servers work in.
 *
 * @since 0.1.0
 */
export * as McpRoots from "./McpRoots.js"

/**
 * OAuth 2.1 authorization of remote servers: settings, token storage, the interactive step.
 *
 * @since 0.1.0
 */
export * as McpOAuth from "./McpOAuth.js"

/**
 * The tools of MCP servers as an `@effect/ai` `Toolkit`, forwarding the end user's token.
 *
 * @since 0.1.0
 */
export * as McpToolkit from "./McpToolkit.js"

/**
 * The spans and metrics of effect-mcp, after the OpenTelemetry MCP conventions.
 *
 * @since 0.1.0
 */
export * as McpTelemetry from "./McpTelemetry.js"
