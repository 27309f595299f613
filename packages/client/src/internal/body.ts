/**
 * The one seam through which answer and transport code reads a response body chunk by chunk.
 *
 * A generic `HttpClientResponse` is read through its `stream`; a response that implements
 * `ChunkSource` (the lean undici client's does) is read straight from its Node readable, which
 * costs a few effect steps per chunk instead of a stream's channel machinery per chunk. Callers
 * read plain Effect either way and never learn which path they took.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { Readable } from "node:stream"

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
 * The body's length when it is known before reading it: its `Content-Length`, or the size of a
 * body the client has already read whole; `NaN` otherwise.
 *
 * @internal
 */
export const knownLength = (response: HttpClientResponse.HttpClientResponse): number => {
  if (isChunkSource(response) && !Number.isNaN(response.bufferedLength)) return response.bufferedLength
  const length = response.headers["content-length"]
  return length === undefined || length === "" ? Number.NaN : Number(length)
}

/** Why a body ended before its end: it was destroyed without an error (by an abort, say). */
export class BodyClosedError extends Error {
  constructor() {
    super("the body was closed before its end")
  }
}

/**
 * Resumes once `body` has something to read, has ended or has failed. The readable's own
 * `readable` event wakes us; nothing is buffered here, so undici's back-pressure holds.
 */
const whenReadable = (body: Readable): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const wake = () => {
      body.off("readable", wake)
      body.off("end", wake)
      body.off("error", wake)
      body.off("close", wake)
      resume(Effect.void)
    }
    body.on("readable", wake)
    body.on("end", wake)
    body.on("error", wake)
    body.on("close", wake)
    return Effect.sync(() => {
      body.off("readable", wake)
      body.off("end", wake)
      body.off("error", wake)
      body.off("close", wake)
    })
  })

/**
 * Runs `f` on each chunk of `body`, while it answers `true`. Whatever is already buffered is read
 * synchronously (an SSE answer that arrived with its headers costs no wake-up at all); only an
 * empty buffer suspends the fiber. A body left before its end (failed, interrupted, or stopped
 * early and still open) is destroyed, which aborts its request.
 *
 * @internal
 */
export const forEachReadable = <E, E2>(
  body: Readable,
  f: (chunk: Uint8Array) => Effect.Effect<boolean, E>,
  onError: (cause: unknown) => E2
): Effect.Effect<void, E | E2> =>
  Effect.suspend(() => {
    const step = (): Effect.Effect<void, E | E2> => {
      const chunk: Uint8Array | null = body.read()
      if (chunk !== null) return Effect.flatMap(f(chunk), (more) => more ? step() : Effect.void)
      if (body.readableEnded) return Effect.void
      if (body.errored !== null) return Effect.fail(onError(body.errored))
      if (body.destroyed) return Effect.fail(onError(new BodyClosedError()))
      return Effect.flatMap(whenReadable(body), step)
    }
    return Effect.onExit(step(), (exit) =>
      body.readableEnded ? Effect.void : Effect.sync(Exit.isSuccess(exit) ? () => leave(body) : () => destroy(body)))
  })

const destroy = (body: Readable) => {
  if (!body.destroyed) body.destroy()
}

/**
 * Drops what is left of a body whose reader stopped early: most often only its end, already
 * received with the last chunk read, and then the connection can be reused; destroying the body
 * would close it. A body still open once the events already received have run (an SSE stream the
 * server keeps open) is destroyed.
 */
const leave = (body: Readable) => {
  body.resume()
  setImmediate(destroy, body)
}
