/**
 * The lean `HttpClient` of effect-mcp, over an undici agent of its own: what
 * `McpClient.layerNode` provides, and what `McpClient.layer` can be given on Node.
 *
 * It implements the plain `HttpClient` interface without per-request tracing spans, which cost
 * more than an MCP request on loopback; give `McpClient.layer` any other `HttpClient` (such as
 * `NodeHttpClient.layerUndici`) to get those spans back. Small answers (at most 64 KiB, length
 * announced or chunked, not SSE) are read before the response is handed over. With this client, a call on an open
 * session runs on the caller's fiber and its deadline aborts the request; with any other, each
 * attempt runs on a fiber of its own that the deadline interrupts.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Defaults from "./internal/defaults.js"
import * as UndiciClient from "./internal/undiciClient.js"
import type * as McpServerConfig from "./McpServerConfig.js"

/**
 * Settings of `layerUndiciWith`.
 *
 * @since 0.1.0
 * @category models
 */
export interface UndiciOptions {
  /** Sockets per origin; unbounded by default. Requests beyond it wait for a free socket. */
  readonly connections?: number | undefined
}

/**
 * The client over its own undici agent, closed (every socket with it) when the scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUndiciWith = (options: UndiciOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(
    HttpClient.HttpClient,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() =>
          new Undici.Agent({
            keepAliveTimeout: Duration.toMillis(Defaults.keepAliveTimeout),
            ...(options.connections === undefined ? {} : { connections: options.connections })
          })
        ),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      UndiciClient.make
    )
  )

/**
 * `layerUndiciWith` with no bound on sockets.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUndici: Layer.Layer<HttpClient.HttpClient> = layerUndiciWith()

/**
 * Sockets per server that `servers` need: the largest `maxConcurrency` (32 by default), plus
 * room for the health probe, the GET stream, cancellations and the closing `DELETE`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connectionsFor = (servers: ReadonlyArray<Pick<McpServerConfig.Input, "maxConcurrency">>): number =>
  Math.max(0, ...servers.map((server) => server.maxConcurrency ?? Defaults.maxConcurrency)) + Defaults.spareConnections

/**
 * The client with sockets per server bounded by `connectionsFor(servers)`: the one
 * `McpClient.layerNode` provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFor = (servers: ReadonlyArray<Pick<McpServerConfig.Input, "maxConcurrency">>): Layer.Layer<HttpClient.HttpClient> =>
  layerUndiciWith({ connections: connectionsFor(servers) })
