/**
 * Reading the answer to one request from an HTTP response: a JSON body (one message or a batch)
 * or an SSE stream on which server requests and notifications may come first. Messages that are
 * not the answer go to the session's handler.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ProtocolError, type TransportError } from "../McpError.js"
import * as Abort from "./abort.js"
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
  /** Reopens an SSE answer stream after `lastEventId`. */
  readonly resume?: ((lastEventId: string) => Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError>) | undefined
}


const notJson = (text: string, target: Transport.Target) =>
  Transport.transportError(target, "Decode", `the answer is not valid JSON: ${Transport.excerpt(text)}`)

const parse = (text: string, target: Transport.Target) =>
  Effect.try({ try: (): unknown => JSON.parse(text), catch: () => notJson(text, target) })

/**
 * Where an SSE answer stream got to: the last event id (to resume from) and the server's
 * reconnection delay, if it sent one.
 *
 * @internal
 */
export interface SseCursor {
  lastEventId: string | undefined
  retry: Duration.Duration | undefined
}

/**
 * The JSON messages of an SSE body, decoded as they arrive; event ids and `retry:` go to `cursor`.
 * Events with no data (priming events) carry no message.
 *
 * @internal
 */
export const sseMessages = (
  response: HttpClientResponse.HttpClientResponse,
  target: Transport.Target,
  maxMessageSize: number,
  cursor: SseCursor = { lastEventId: undefined, retry: undefined }
): Stream.Stream<unknown, TransportError> =>
  Sse.events(response.stream, maxMessageSize).pipe(
    Stream.mapError((error) =>
      error._tag === "SseError"
        ? Transport.transportError(target, "Decode", `an SSE event is larger than the limit of ${maxMessageSize}`)
        : Transport.fromHttpClientError(target, error)
    ),
    Stream.filterMapEffect((event) => {
      if (event._tag === "Retry") {
        cursor.retry = event.duration
        return Option.none()
      }
      if (event.id !== undefined) cursor.lastEventId = event.id
      return event.data === "" ? Option.none() : Option.some(parse(event.data, target))
    })
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
      return Effect.succeed(answers(incoming, id) ? Option.some(incoming) : Option.none())
    case "Request":
    case "Notification":
      return Effect.as(options.onOther(incoming), Option.none())
  }
}

const settle = (answer: Answer, target: Transport.Target): Effect.Effect<unknown, ProtocolError> =>
  answer._tag === "Success"
    ? Effect.succeed(answer.result)
    : Effect.fail(ProtocolError.fromAnswer({ ...target, code: answer.code, message: answer.message, data: answer.data }))

/** How many times one answer stream may be resumed after the server closed it early. */
const MAX_RESUMES = 8

/**
 * The result of request `id`, from a JSON or SSE answer; a JSON-RPC error fails with
 * `ProtocolError`. An SSE stream that ends before the answer but after an event id is resumed
 * with `resume` (a GET with `Last-Event-ID`, as the 2025-11-25 revision lets servers ask for),
 * after the server's `retry:` delay (1 s when it gave none).
 *
 * @internal
 */
export const read = (
  response: HttpClientResponse.HttpClientResponse,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<unknown, TransportError | ProtocolError> => {
  const { maxMessageSize, target } = options
  if (isEventStream(response)) {
    const cursor: SseCursor = { lastEventId: undefined, retry: undefined }
    const follow = (current: HttpClientResponse.HttpClientResponse, resumes: number): Effect.Effect<unknown, TransportError | ProtocolError> =>
      sseMessages(current, target, maxMessageSize, cursor).pipe(
        Stream.mapEffect((message) => route(message, id, options)),
        Stream.filterMap((answer) => answer),
        Stream.runHead,
        Effect.flatMap((answer): Effect.Effect<unknown, TransportError | ProtocolError> => {
          if (Option.isSome(answer)) return settle(answer.value, target)
          const lastEventId = cursor.lastEventId
          if (lastEventId === undefined || options.resume === undefined || resumes >= MAX_RESUMES) {
            return Effect.fail(Transport.transportError(target, "Closed", `the SSE stream ended before the answer to request ${id}`))
          }
          return Abort.sleep(cursor.retry ?? Duration.seconds(1)).pipe(
            Effect.zipRight(options.resume(lastEventId)),
            Effect.flatMap((resumed) => follow(resumed, resumes + 1))
          )
        })
      )
    return follow(response, 0)
  }
  return Effect.flatMap(Transport.readText(target, response, maxMessageSize), (text) => fromJson(text, response.status, id, options))
}

/**
 * The answer to `id` in a JSON body (one message or a batch), read in one step: this is the hot
 * path of every call to a server that answers in JSON. Other messages go to `onOther`, in order.
 */
const fromJson = (
  text: string,
  status: number,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<unknown, TransportError | ProtocolError> => {
  const { target } = options
  if (text === "") {
    return Effect.fail(
      Transport.transportError(target, "Decode", `the server accepted request ${id} with HTTP ${status} but sent no answer`)
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Effect.fail(notJson(text, target))
  }
  let answer: Answer | undefined
  const others: Array<Other> = []
  const afterOthers = <A, E>(outcome: Effect.Effect<A, E>) =>
    others.length === 0 ? outcome : Effect.zipRight(Effect.forEach(others, (other) => options.onOther(other), { discard: true }), outcome)
  for (const message of Array.isArray(json) ? json : [json]) {
    const incoming = JsonRpc.classify(message)
    if (typeof incoming === "string") return afterOthers(Effect.fail(Transport.transportError(target, "Decode", incoming)))
    if (incoming._tag === "Success" || incoming._tag === "Failure") {
      if (answer === undefined && answers(incoming, id)) answer = incoming
    } else {
      others.push(incoming)
    }
  }
  return afterOthers<unknown, TransportError | ProtocolError>(
    answer === undefined
      ? Effect.fail(Transport.transportError(target, "Decode", `the JSON answer holds no answer to request ${id}`))
      : settle(answer, target)
  )
}

const answers = (answer: Answer, id: JsonRpc.RequestId) => answer.id === null || String(answer.id) === String(id)

/** @internal */
export const isEventStream = (response: HttpClientResponse.HttpClientResponse): boolean =>
  (response.headers["content-type"] ?? "").startsWith("text/event-stream")
