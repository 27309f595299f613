/**
 * The response of the lean undici client (`undiciClient.ts`): undici's answer with its headers
 * read once, and its body either read whole before the response was handed over or still coming
 * (see `undiciDispatch.ts`).
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Body from "./body.js"
import * as StreamedBody from "./streamedBody.js"
import type { Answered } from "./undiciDispatch.js"

/** @internal */
export class LeanResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse, Body.ChunkSource {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [Body.ChunkSourceTypeId]: Body.ChunkSourceTypeId = Body.ChunkSourceTypeId
  readonly headers: Headers.Headers

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Answered,
    /** The whole body, read before the response was handed over, or the body still to be read. */
    private readonly content: Uint8Array | StreamedBody.StreamedBody
  ) {
    super()
    this.headers = Headers.fromInput(source.headers)
  }

  get status(): number {
    return this.source.statusCode
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get bufferedLength(): number {
    return this.content instanceof Uint8Array ? this.content.length : Number.NaN
  }

  forEachChunk<E>(f: (chunk: Uint8Array) => Effect.Effect<boolean, E>): Effect.Effect<void, E | HttpClientError.ResponseError> {
    const content = this.content
    if (!(content instanceof Uint8Array)) return StreamedBody.forEach(content, f, (cause) => this.decodeError(cause))
    return content.length === 0 ? Effect.void : Effect.asVoid(f(content))
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  /** The whole body, from memory or read to its end. */
  private read<A>(from: (bytes: Uint8Array) => A | Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    const content = this.content
    if (content instanceof Uint8Array) {
      return Effect.tryPromise({ try: async () => from(content), catch: (cause) => this.decodeError(cause) })
    }
    return Effect.suspend(() => {
      const chunks: Array<Uint8Array> = []
      return this.forEachChunk((chunk) => {
        chunks.push(chunk)
        return continueReading
      }).pipe(
        Effect.flatMap(() => Effect.tryPromise({ try: async () => from(Buffer.concat(chunks)), catch: (cause) => this.decodeError(cause) }))
      )
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    // the hot path: no promise for a body already read
    const content = this.content
    return content instanceof Uint8Array ? Effect.succeed(decoder.decode(content)) : this.read((bytes) => decoder.decode(bytes))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: (): unknown => text === "" ? null : JSON.parse(text), catch: (cause) => this.decodeError(cause) }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read((bytes) => new Uint8Array(bytes).buffer)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read((bytes) => new Response(bytes, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData())
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const content = this.content
    if (content instanceof Uint8Array) return content.length === 0 ? Stream.empty : Stream.succeed(content)
    return StreamedBody.toStream(content, (cause) => this.decodeError(cause))
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status })
  }
}

const continueReading = Effect.succeed(true)

/** @internal */
export const decoder = new TextDecoder()
