/**
 * Reading the answer to one request from an HTTP response: a JSON body (one message or a batch)
 * or an SSE stream on which server requests and notifications may come first. Messages that are
 * not the answer go to the session's handler.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ProtocolError, type TransportError } from "../McpError.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Sse from "./sse.js"
import * as Transport from "./transport.js"

/** @internal */
export type Answer = Extract<JsonRpc.Incoming, { _tag: "Success" | "Failure" }>

/** @internal */
export type Other = Exclude<JsonRpc.Incoming, Answer>

/** @internal */
export interface ReadOptions {
  readonly target: Transport.Target
  readonly maxMessageSize: number
  /** Called with each server request and notification met before the answer. */
  readonly onOther: (message: Other) => Effect.Effect<void>
}


const parse = (text: string, target: Transport.Target) =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: () => Transport.transportError(target, "Decode", `the answer is not valid JSON: ${Transport.excerpt(text)}`)
  })

/**
 * The JSON messages of an SSE body, decoded as they arrive.
 *
 * @internal
 */
export const sseMessages = (
  response: HttpClientResponse.HttpClientResponse,
  target: Transport.Target,
  maxMessageSize: number
): Stream.Stream<unknown, TransportError> =>
  Sse.events(response.stream, maxMessageSize).pipe(
    Stream.mapError((error) =>
      error._tag === "SseError"
        ? Transport.transportError(target, "Decode", `an SSE event is larger than the limit of ${maxMessageSize}`)
        : Transport.fromHttpClientError(target, error)
    ),
    Stream.mapEffect((event) => parse(event.data, target))
  )

/**
 * Classifies one message: `Some` when it answers `id` (or is an error answer without an id);
 * anything else goes to `onOther`.
 *
 * @internal
 */
export const route = (
  message: unknown,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<Option.Option<Answer>, TransportError> => {
  const incoming = JsonRpc.classify(message)
  if (typeof incoming === "string") return Effect.fail(Transport.transportError(options.target, "Decode", incoming))
  switch (incoming._tag) {
    case "Success":
    case "Failure":
      return Effect.succeed(incoming.id === null || String(incoming.id) === String(id) ? Option.some(incoming) : Option.none())
    case "Request":
    case "Notification":
      return Effect.as(options.onOther(incoming), Option.none())
  }
}

const settle = (answer: Answer, target: Transport.Target): Effect.Effect<unknown, ProtocolError> =>
  answer._tag === "Success"
    ? Effect.succeed(answer.result)
    : Effect.fail(ProtocolError.fromAnswer({ ...target, code: answer.code, message: answer.message, data: answer.data }))

/**
 * The result of request `id`, from a JSON or SSE answer; a JSON-RPC error fails with `ProtocolError`.
 *
 * @internal
 */
export const read = (
  response: HttpClientResponse.HttpClientResponse,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<unknown, TransportError | ProtocolError> => {
  const { maxMessageSize, target } = options
  if ((response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
    return sseMessages(response, target, maxMessageSize).pipe(
      Stream.mapEffect((message) => route(message, id, options)),
      Stream.filterMap((answer) => answer),
      Stream.runHead,
      Effect.flatMap((answer): Effect.Effect<unknown, TransportError | ProtocolError> =>
        Option.isSome(answer)
          ? settle(answer.value, target)
          : Effect.fail(Transport.transportError(target, "Closed", `the SSE stream ended before the answer to request ${id}`))
      )
    )
  }
  return Transport.readBody(target, response, maxMessageSize).pipe(
    Effect.flatMap((bytes) =>
      bytes.length === 0
        ? Effect.fail(
          Transport.transportError(target, "Decode", `the server accepted request ${id} with HTTP ${response.status} but sent no answer`)
        )
        : parse(Transport.decodeText(bytes), target)
    ),
    Effect.flatMap((json) => Effect.forEach(Array.isArray(json) ? json : [json], (message) => route(message, id, options))),
    Effect.flatMap((answers): Effect.Effect<unknown, TransportError | ProtocolError> => {
      const answer = answers.find(Option.isSome)
      return answer === undefined
        ? Effect.fail(Transport.transportError(target, "Decode", `the JSON answer holds no answer to request ${id}`))
        : settle(answer.value, target)
    })
  )
}
