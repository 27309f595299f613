/**
 * Reading the answer to one request from an HTTP response: a JSON body (one message or a batch)
 * or an SSE stream on which server requests and notifications may come first. Messages that are
 * not the answer go to the session's handler.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type AnswerError, fromAnswer, type TransportError } from "../McpError.js"
import * as Abort from "./abort.js"
import * as Body from "./body.js"
import * as Defaults from "./defaults.js"
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
  Transport.transportError(target, "Decode", `the answer is not valid JSON: ${Transport.excerpt(text)}`, { malformed: true })

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

/** Messages sorted for one request: its answer, the server's other messages, the first bad one. */
interface Sorted {
  answer: Answer | undefined
  others: Array<Other>
  error: TransportError | undefined
}

const unsorted = (): Sorted => ({ answer: undefined, others: [], error: undefined })

/**
 * Files one message; `false` when it is not a JSON-RPC message, which is then `into.error`. With
 * no `id`, no message is an answer.
 */
const sortOne = (message: unknown, id: JsonRpc.RequestId | undefined, target: Transport.Target, into: Sorted): boolean => {
  const incoming = JsonRpc.classify(message)
  if (typeof incoming === "string") {
    into.error = Transport.transportError(target, "Decode", incoming)
    return false
  }
  if (incoming._tag === "Success" || incoming._tag === "Failure") {
    if (into.answer === undefined && id !== undefined && answers(incoming, id)) into.answer = incoming
  } else {
    into.others.push(incoming)
  }
  return true
}

/**
 * The other messages go to `onOther`, in order, before `outcome`; the first bad message fails.
 * The messages are taken out of `sorted` when the effect is built, so a chunk's messages are
 * delivered once, by the effect built for that chunk.
 */
const deliver = <A, E>(sorted: Sorted, options: ReadOptions, outcome: Effect.Effect<A, E>): Effect.Effect<A, E | TransportError> => {
  const then: Effect.Effect<A, E | TransportError> = sorted.error === undefined ? outcome : Effect.fail(sorted.error)
  const others = sorted.others
  if (others.length === 0) return then
  sorted.others = []
  // one message (the usual notification) needs no loop
  const delivered = others.length === 1 ? options.onOther(others[0]!) : Effect.forEach(others, options.onOther, { discard: true })
  return Effect.zipRight(delivered, then)
}

const settle = (answer: Answer, target: Transport.Target): Effect.Effect<unknown, AnswerError> =>
  answer._tag === "Success"
    ? Effect.succeed(answer.result)
    : Effect.fail(fromAnswer({ ...target, code: answer.code, message: answer.message, data: answer.data }))

/** How many times one answer stream may be resumed after the server closed it early. */
const MAX_RESUMES = 8

/**
 * Reads a body chunk by chunk: runs `onChunk` on each, in order, until it answers `false` or the
 * body ends.
 *
 * @internal
 */
export type Chunks = (
  onChunk: (chunk: Uint8Array | string) => Effect.Effect<boolean, TransportError>
) => Effect.Effect<void, TransportError>

/**
 * The chunks of `response`. A small body of announced length is complete once read, so it is
 * read whole, as a JSON answer is: most servers answer one request with one event that way, and
 * running a stream costs more than the request on loopback. Any other body is read as it comes
 * (through the seam of `./body.ts`), without holding the whole of it.
 */
const chunksOf = (response: HttpClientResponse.HttpClientResponse, options: ReadOptions): Chunks => (onChunk) => {
  const { maxMessageSize, target } = options
  if (Body.announcedLength(response) <= Math.min(maxMessageSize, Defaults.smallBody)) {
    return Effect.asVoid(Effect.flatMap(Transport.readText(target, response, maxMessageSize), onChunk))
  }
  return Effect.catchTag(
    Body.forEachChunk(response, onChunk),
    "ResponseError",
    (error) => Effect.fail(Transport.fromHttpClientError(target, error))
  )
}

/**
 * The result of request `id`, from a JSON or SSE answer; a JSON-RPC error fails with
 * `AnswerError`.
 *
 * @internal
 */
export const read = (
  response: HttpClientResponse.HttpClientResponse,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<unknown, TransportError | AnswerError> =>
  isEventStream(response)
    ? readEvents(chunksOf(response, options), id, options)
    : Effect.flatMap(Transport.readText(options.target, response, options.maxMessageSize), (text) => fromJson(text, response.status, id, options))

/**
 * The result of request `id` from the SSE body read by `chunks`. A stream that ends before the
 * answer but after an event id is resumed with `resume` (a GET with `Last-Event-ID`, as the
 * 2025-11-25 revision lets servers ask for), after the server's `retry:` delay (1 s when it gave
 * none).
 *
 * @internal
 */
export const readEvents = (chunks: Chunks, id: JsonRpc.RequestId, options: ReadOptions): Effect.Effect<unknown, TransportError | AnswerError> => {
  const { target } = options
  const cursor: SseCursor = { lastEventId: undefined, retry: undefined }
  const follow = (current: Chunks, resumes: number): Effect.Effect<unknown, TransportError | AnswerError> =>
    Effect.flatMap(fromSse(current, id, options, cursor), (answer): Effect.Effect<unknown, TransportError | AnswerError> => {
      if (answer !== undefined) return settle(answer, target)
      const lastEventId = cursor.lastEventId
      if (lastEventId === undefined || options.resume === undefined || resumes >= MAX_RESUMES) {
        return Effect.fail(Transport.transportError(target, "Closed", `the SSE stream ended before the answer to request ${id}`))
      }
      return Abort.sleep(cursor.retry ?? Duration.seconds(1)).pipe(
        Effect.zipRight(options.resume(lastEventId)),
        Effect.flatMap((resumed) => follow(chunksOf(resumed, options), resumes + 1))
      )
    })
  return follow(chunks, 0)
}

/**
 * Every message of the session's GET stream goes to `onOther`, in order, until the stream ends;
 * answers on it have no caller and are dropped.
 *
 * @internal
 */
export const listen = (response: HttpClientResponse.HttpClientResponse, options: ReadOptions): Effect.Effect<void, TransportError> =>
  Effect.asVoid(fromSse(chunksOf(response, options), undefined, options, { lastEventId: undefined, retry: undefined }))

/**
 * The answer to `id` on an SSE body (`undefined` when the body ends first; always, without an
 * `id`). Each chunk is decoded, parsed and sorted in one synchronous step; event ids and `retry:`
 * go to `cursor`.
 */
const fromSse = (
  chunks: Chunks,
  id: JsonRpc.RequestId | undefined,
  options: ReadOptions,
  cursor: SseCursor
): Effect.Effect<Answer | undefined, TransportError> =>
  Effect.suspend(() => {
    const { maxMessageSize, target } = options
    const decode = Sse.makeDecoder(maxMessageSize)
    const sorted = unsorted()
    return Effect.map(
      chunks((chunk) => {
        const events = decode(chunk)
        if (!Array.isArray(events)) {
          return Effect.fail(Transport.transportError(target, "Decode", `an SSE event is larger than the limit of ${maxMessageSize}`))
        }
        for (const event of events) {
          if (event._tag === "Retry") {
            cursor.retry = event.duration
            continue
          }
          if (event.id !== undefined) cursor.lastEventId = event.id
          // events without data (priming events) carry no message
          if (event.data === "") continue
          let message: unknown
          try {
            message = JSON.parse(event.data)
          } catch {
            sorted.error = notJson(event.data, target)
            break
          }
          if (!sortOne(message, id, target, sorted) || sorted.answer !== undefined) break
        }
        return deliver(sorted, options, sorted.answer === undefined ? continueReading : stopReading)
      }),
      () => sorted.answer
    )
  })

const continueReading = Effect.succeed(true)
const stopReading = Effect.succeed(false)

/**
 * The answer to `id` in a JSON body (one message or a batch), read in one step: this is the hot
 * path of every call to a server that answers in JSON. Other messages go to `onOther`, in order.
 *
 * @internal
 */
export const fromJson = (
  text: string,
  status: number,
  id: JsonRpc.RequestId,
  options: ReadOptions
): Effect.Effect<unknown, TransportError | AnswerError> => {
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
  const sorted = unsorted()
  for (const message of Array.isArray(json) ? json : [json]) {
    if (!sortOne(message, id, target, sorted)) break
  }
  const answer = sorted.answer
  return deliver<unknown, TransportError | AnswerError>(
    sorted,
    options,
    answer === undefined
      ? Effect.fail(Transport.transportError(target, "Decode", `the JSON answer holds no answer to request ${id}`))
      : settle(answer, target)
  )
}

const answers = (answer: Answer, id: JsonRpc.RequestId) => answer.id === null || String(answer.id) === String(id)

/** @internal */
export const isEventStream = (response: HttpClientResponse.HttpClientResponse): boolean => Body.isEventStreamType(response.headers["content-type"])
