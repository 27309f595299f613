/**
 * The seam between a protocol revision and a transport.
 *
 * A `Channel` moves JSON-RPC messages to one server and brings back the answer to each request;
 * it knows framing (HTTP POSTs answered with JSON or SSE, newline-delimited JSON over a child's
 * stdio) but not what the messages mean. The protocol adapter (`session.ts` for the 2025
 * revisions) owns ids, the handshake, deadlines, cancellation and the meaning of each method, so
 * a later revision is another adapter over the same channels, and `McpClient` sees neither.
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type { McpSessionError } from "../McpError.js"
import type * as Answer from "./answer.js"
import type * as JsonRpc from "./jsonRpc.js"
import type * as Transport from "./transport.js"

/**
 * The server no longer knows the session the message was sent in (HTTP 404 with a session id):
 * the adapter opens a new one and sends the request again.
 *
 * @internal
 */
export class SessionExpired extends Data.TaggedError("SessionExpired")<{ readonly generation: number }> {}

/** @internal */
export interface Outgoing {
  readonly id: JsonRpc.RequestId
  readonly method: string
  /** The encoded request. */
  readonly body: string
  /** Whom errors name. */
  readonly target: Transport.Target
  /** Extra HTTP headers for this request only (HTTP channels). */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * What the adapter gives a channel: where the server's own messages go, and how a forgotten
 * session is replaced (the HTTP GET stream learns of it outside any request).
 *
 * @internal
 */
export interface Handlers {
  /**
   * A server request or notification, met on an answer (`during` is then the request answered,
   * when the transport ties the two, as an HTTP answer stream does) or on a stream of its own.
   */
  readonly onMessage: (message: Answer.Other, during: Outgoing | undefined) => Effect.Effect<void>
  /** Opens a new session unless one newer than `generation` is already open. */
  readonly reinitialize: (generation: number) => Effect.Effect<void, McpSessionError>
}

/** @internal */
export interface Channel {
  /** `"http"` or `"stdio"`, for `status`. */
  readonly kind: "http" | "stdio"
  /**
   * The `initialize` request of session number `generation`: sent outside any current session,
   * whose identity (an HTTP session id) the channel keeps from its answer.
   */
  readonly handshake: (generation: number, request: Outgoing) => Effect.Effect<unknown, McpSessionError>
  /** What the handshake negotiated; every later message is sent in that session. */
  readonly establish: (generation: number, protocolVersion: string) => void
  /** The session id the server gave, if any. */
  readonly sessionId: () => string | undefined
  /** Sends a request and waits for the answer to it; a JSON-RPC error fails with `ProtocolError`. */
  readonly request: (request: Outgoing) => Effect.Effect<unknown, McpSessionError | SessionExpired>
  /** Sends a message that has no answer (a notification, the answer to a server request). */
  readonly send: (body: string, what: string) => Effect.Effect<void, McpSessionError | SessionExpired>
  /** Opens what carries server messages outside requests (the HTTP GET stream), in the background. */
  readonly listen: Effect.Effect<void>
  /** Ends the session (bounded in time, never fails); later requests fail `Closed`. */
  readonly close: Effect.Effect<void>
}
