/**
 * A lean `HttpClient` over an undici dispatcher.
 *
 * `@effect/platform-node`'s undici client wraps every request in a tracing span (with header
 * redaction and trace-context headers), a finalization registry and an interruptible response
 * proxy, and rebuilds the response headers on every read. On MCP's hot path (small JSON POSTs on
 * loopback) that costs more than the request itself. This client keeps the `HttpClient` interface,
 * so it can be swapped for any other, and does only what an MCP request needs: one undici
 * request, aborted on interruption, and a response whose headers are read once and whose body is
 * destroyed when reading it is interrupted.
 */
import * as Cookies from "@effect/platform/Cookies"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
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
import type * as Stream from "effect/Stream"

type DispatchBody = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

const bodyOf = (body: HttpBody.HttpBody): Effect.Effect<DispatchBody | undefined> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(undefined)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return Effect.succeed(body.body as DispatchBody)
    case "FormData":
      return Effect.succeed(body.formData as DispatchBody)
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

const send = (dispatcher: Undici.Dispatcher, request: HttpClientRequest.HttpClientRequest) => {
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  if (url._tag === "Left") {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
  }
  return Effect.flatMap(bodyOf(request.body), (body) =>
    Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const controller = new AbortController()
      dispatcher.request({
        signal: controller.signal,
        method: request.method,
        headers: request.headers,
        origin: url.right.origin,
        path: url.right.pathname + url.right.search,
        body: body ?? null,
        // deadlines are the caller's, through Effect
        headersTimeout: 0,
        bodyTimeout: 0
      }).then(
        (response) => resume(Effect.succeed(new LeanResponse(request, response))),
        (cause: unknown) => resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
      )
      return Effect.sync(() => controller.abort())
    }))
}

/**
 * The lean client over `dispatcher`.
 *
 * @internal
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (request) => Effect.flatMap(request, (request) => send(dispatcher, request)),
    Effect.succeed
  )

const ignore = () => {}

class LeanResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly headers: Headers.Headers

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData
  ) {
    super()
    this.headers = Headers.fromInput(source.headers)
    source.body.on("error", ignore)
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

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private read<A>(f: (body: Undici.Dispatcher.ResponseData["body"]) => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.tryPromise({ try: () => f(this.source.body), catch: (cause) => this.decodeError(cause) }).pipe(
      Effect.onInterrupt(() => Effect.sync(() => this.source.body.destroy()))
    )
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read((body) => body.text())
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: (): unknown => text === "" ? null : JSON.parse(text), catch: (cause) => this.decodeError(cause) }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read((body) => body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read((body) => body.formData() as Promise<FormData>)
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: (cause) => this.decodeError(cause) }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => this.source.body, (cause) => this.decodeError(cause))
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status })
  }
}
