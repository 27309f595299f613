/**
 * Server-sent events from a response body, parsed by `Sse.makeParser` from `@effect/experimental`
 * chunk by chunk as the bytes arrive, with its pending-event size limit.
 */
import * as Sse from "@effect/experimental/Sse"
import { TextDecoder } from "node:util"

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
 * Bytes (or text) in, complete events out (`retry:` fields included: reconnection is the session's
 * decision, not the parser's), or the error that ends the stream.
 *
 * @internal
 */
export type Decoder = (input: Uint8Array | string) => Array<Sse.AnyEvent> | Sse.SseError

const dropsBom = new TextDecoder()
const keepsBom = new TextDecoder("utf-8", { ignoreBOM: true })

/**
 * A decoder for one body. The parser bounds only the event still pending at the end of a chunk;
 * an event that arrives whole inside one chunk is measured here, so the limit holds however the
 * body is split.
 *
 * @internal
 */
export const makeDecoder = (maxEventSize: number): Decoder => {
  // a chunk that ends on an ASCII byte ends on a character's end, and is decoded on its own; a
  // decoder that carries a split character over to the next chunk is made only when one is split.
  // Only the body's first bytes may be a byte order mark to drop.
  let streaming: TextDecoder | undefined
  let first = true
  const text = (bytes: Uint8Array) => {
    if (bytes.length === 0) return ""
    const atStart = first
    first = false
    if (streaming === undefined) {
      if (bytes[bytes.length - 1]! < 0x80) return (atStart ? dropsBom : keepsBom).decode(bytes)
      streaming = new TextDecoder("utf-8", { ignoreBOM: !atStart })
    }
    return streaming.decode(bytes, { stream: true })
  }
  let parsed: Array<Sse.AnyEvent> = []
  let tooLarge: Sse.SseError | undefined
  const parser = Sse.makeParser((event) => {
    if (event._tag === "Event" && event.data.length > maxEventSize) {
      tooLarge ??= new Sse.SseError({ cause: new Sse.EventTooLarge({ maxEventSize }) })
    }
    parsed.push(event)
  }, { maxEventSize })
  const fold = makeLineEndFolder()
  return (input) => {
    const error = parser.feed(fold(typeof input === "string" ? input : text(input))) ?? tooLarge
    if (error !== undefined) return error
    const out = parsed
    parsed = []
    return out
  }
}
