/**
 * The one seam through which answer and transport code reads a response body chunk by chunk.
 *
 * A generic `HttpClientResponse` is read through its `stream`; a response that implements
 * `ChunkSource` (the lean undici client's does) is read straight from the chunks undici delivers
 * (`streamedBody.ts`), which costs a few effect steps per chunk instead of a stream's channel
 * machinery per chunk. Callers read plain Effect either way and never learn which path they took.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** @internal */
export const ChunkSourceTypeId: unique symbol = Symbol.for("@effect-mcp/client/internal/body/ChunkSource")

/** @internal */
export type ChunkSourceTypeId = typeof ChunkSourceTypeId

/**
 * A response that reads its own body faster than its `stream` would.
 *
 * @internal
 */
export interface ChunkSource {
  readonly [ChunkSourceTypeId]: ChunkSourceTypeId
  /** The length of the body when all of it is in memory already, else `NaN`. */
  readonly bufferedLength: number
  /** Runs `f` on each chunk, in order, while it answers `true`. */
  readonly forEachChunk: <E>(
    f: (chunk: Uint8Array) => Effect.Effect<boolean, E>
  ) => Effect.Effect<void, E | HttpClientError.ResponseError>
}

/** @internal */
export const isChunkSource = (u: unknown): u is ChunkSource => typeof u === "object" && u !== null && ChunkSourceTypeId in u

/**
 * Runs `f` on each chunk of the body, in order, until it answers `false` or the body ends. What
 * is left unread of a body stopped early is dropped with it.
 *
 * @internal
 */
export const forEachChunk = <E>(
  response: HttpClientResponse.HttpClientResponse,
  f: (chunk: Uint8Array) => Effect.Effect<boolean, E>
): Effect.Effect<void, E | HttpClientError.ResponseError> =>
  isChunkSource(response) ? response.forEachChunk(f) : Stream.runForEachWhile(response.stream, f)

/**
 * A `Content-Length` header's value as a number, `NaN` when there is none: the one reading of it,
 * for undici's raw headers as for a response's.
 *
 * @internal
 */
export const lengthOf = (contentLength: unknown): number =>
  typeof contentLength === "string" && contentLength !== "" ? Number(contentLength) : Number.NaN

/**
 * Whether a `Content-Type` header's value is an SSE stream's.
 *
 * @internal
 */
export const isEventStreamType = (contentType: unknown): boolean =>
  typeof contentType === "string" && contentType.startsWith("text/event-stream")

/**
 * The body's `Content-Length`, or `NaN` when the server did not announce one.
 *
 * @internal
 */
export const announcedLength = (response: HttpClientResponse.HttpClientResponse): number => lengthOf(response.headers["content-length"])

/**
 * The body's length when it is known before reading it: its `Content-Length`, or the size of a
 * body the client has already read whole; `NaN` otherwise.
 *
 * @internal
 */
export const knownLength = (response: HttpClientResponse.HttpClientResponse): number =>
  isChunkSource(response) && !Number.isNaN(response.bufferedLength) ? response.bufferedLength : announcedLength(response)
