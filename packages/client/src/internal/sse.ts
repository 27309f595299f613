/**
 * Server-sent events from a response body, parsed by `Sse.makeParser` from `@effect/experimental`
 * as the bytes arrive (never buffered whole), with its pending-event size limit.
 */
import * as Sse from "@effect/experimental/Sse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * `Sse.makeParser` recognises a CRLF line end only when both characters arrive in the same
 * chunk; split across two chunks, the LF reads as an empty line and ends the event early. The
 * SSE grammar makes CR, LF and CRLF equivalent, so folding every line end to LF before the parser
 * sees it (carrying a trailing CR over to the next chunk) keeps the result independent of chunking.
 *
 * @internal
 */
export const makeLineEndFolder = (): (chunk: string) => string => {
  let pendingCr = false
  return (chunk) => {
    if (chunk === "") return chunk
    let text = pendingCr && chunk.startsWith("\n") ? chunk.slice(1) : chunk
    pendingCr = text.endsWith("\r")
    if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n")
    return text
  }
}

/**
 * Decodes a byte stream into SSE events, `retry:` fields included (reconnection is the session's
 * decision, not the parser's).
 *
 * The parser bounds only the event still pending at the end of a chunk; an event that arrives
 * whole inside one chunk is measured here, so the limit holds however the body is split.
 *
 * @internal
 */
export const events = <E, R>(
  body: Stream.Stream<Uint8Array, E, R>,
  maxEventSize: number
): Stream.Stream<Sse.AnyEvent, E | Sse.SseError, R> =>
  Stream.suspend(() => {
    let parsed: Array<Sse.AnyEvent> = []
    let tooLarge: Sse.SseError | undefined
    const parser = Sse.makeParser((event) => {
      if (event._tag === "Event" && event.data.length > maxEventSize) {
        tooLarge ??= new Sse.SseError({ cause: new Sse.EventTooLarge({ maxEventSize }) })
      }
      parsed.push(event)
    }, { maxEventSize })
    const fold = makeLineEndFolder()
    return body.pipe(
      Stream.decodeText(),
      Stream.mapChunksEffect((chunks) => {
        for (const text of chunks) {
          const error = parser.feed(fold(text)) ?? tooLarge
          if (error !== undefined) return Effect.fail(error)
        }
        const out = Chunk.unsafeFromArray(parsed)
        parsed = []
        return Effect.succeed(out)
      })
    )
  })
