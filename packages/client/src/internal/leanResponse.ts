/**
 * The response of the lean undici client (`undiciClient.ts`): undici's answer with its headers
 * read once, and its body wherever it stands: read whole before the response was handed over,
 * partly read (the first chunks of a body too large to read first), or unread.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Body from "./body.js"

const ignore = () => {}

/** @internal */
export class LeanResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse, Body.ChunkSource {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [Body.ChunkSourceTypeId]: Body.ChunkSourceTypeId = Body.ChunkSourceTypeId
  readonly headers: Headers.Headers

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData,
    /** The whole body, when it was read before the response was handed over. */
    readonly buffered: Uint8Array | undefined,
    /** The first chunks of a body that turned out too large to read before handing it over. */
    readonly prefix: ReadonlyArray<Uint8Array>
  ) {
    super()
    this.headers = Headers.fromInput(source.headers)
    if (buffered === undefined) source.body.on("error", ignore)
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
    return this.buffered === undefined ? Number.NaN : this.buffered.length
  }

  forEachChunk<E>(f: (chunk: Uint8Array) => Effect.Effect<boolean, E>): Effect.Effect<void, E | HttpClientError.ResponseError> {
    const buffered = this.buffered
    if (buffered === undefined) return Body.forEachReadable(this.source.body, this.prefix, f, (cause) => this.decodeError(cause))
    return buffered.length === 0 ? Effect.void : Effect.asVoid(f(buffered))
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  /** The whole body, from where it stands: in memory, partly read, or unread. */
  private read<A>(
    fromBuffer: (bytes: Uint8Array) => A | Promise<A>,
    fromBody: (body: Undici.Dispatcher.ResponseData["body"]) => Promise<A>
  ): Effect.Effect<A, HttpClientError.ResponseError> {
    const buffered = this.buffered
    if (buffered !== undefined) {
      return Effect.tryPromise({ try: async () => fromBuffer(buffered), catch: (cause) => this.decodeError(cause) })
    }
    if (this.prefix.length === 0) {
      return Effect.tryPromise({ try: () => fromBody(this.source.body), catch: (cause) => this.decodeError(cause) }).pipe(
        Effect.onInterrupt(() => Effect.sync(() => this.source.body.destroy()))
      )
    }
    return Effect.suspend(() => {
      const chunks: Array<Uint8Array> = []
      return this.forEachChunk((chunk) => {
        chunks.push(chunk)
        return continueReading
      }).pipe(
        Effect.flatMap(() => Effect.tryPromise({ try: async () => fromBuffer(Buffer.concat(chunks)), catch: (cause) => this.decodeError(cause) }))
      )
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    // the hot path: no promise for a body already read
    const buffered = this.buffered
    return buffered === undefined ? this.read((bytes) => decoder.decode(bytes), (body) => body.text()) : Effect.succeed(decoder.decode(buffered))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: (): unknown => text === "" ? null : JSON.parse(text), catch: (cause) => this.decodeError(cause) }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read((bytes) => new Uint8Array(bytes).buffer, (body) => body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read(
      (bytes) => new Response(bytes, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
      (body) => body.formData() as Promise<FormData>
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const buffered = this.buffered
    if (buffered !== undefined) return buffered.length === 0 ? Stream.empty : Stream.succeed(buffered)
    const rest = NodeStream.fromReadable<HttpClientError.ResponseError>(() => this.source.body, (cause) => this.decodeError(cause))
    return this.prefix.length === 0 ? rest : Stream.concat(Stream.fromIterable(this.prefix), rest)
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status })
  }
}

const continueReading = Effect.succeed(true)

/** @internal */
export const decoder = new TextDecoder()
