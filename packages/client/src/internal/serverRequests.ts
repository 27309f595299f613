/**
 * The requests a server makes of the client (`ping`; sampling, elicitation and roots when the
 * application provides their handlers): each is answered with a JSON-RPC answer, never a crash
 * or a hang. The protocol adapter sends the answer; this module decides what it says.
 */
import * as Effect from "effect/Effect"
import type { Outgoing } from "./channel.js"
import * as JsonRpc from "./jsonRpc.js"

/** @internal */
export type ServerRequest = Extract<JsonRpc.Incoming, { readonly _tag: "Request" }>

/**
 * What the client tells the server it can do in `initialize`.
 *
 * @internal
 */
export const capabilities = (): Record<string, unknown> => ({})

/**
 * The encoded answer to a server request. `during` is the client's request whose answer carried
 * it, when the transport knows.
 *
 * @internal
 */
export const answer = (request: ServerRequest, _context: { readonly server: string; readonly during: Outgoing | undefined }): Effect.Effect<string> =>
  Effect.succeed(
    request.method === "ping"
      ? JsonRpc.encodeSuccess(request.id, {})
      : JsonRpc.encodeFailure(request.id, JsonRpc.METHOD_NOT_FOUND, `Method not supported by this client: ${request.method}`)
  )
