/**
 * A lean `HttpClient` over an undici dispatcher.
 *
 * `@effect/platform-node`'s undici client wraps every request in a tracing span (with header
 * redaction and trace-context headers), a finalization registry and an interruptible response
 * proxy, and rebuilds the response headers on every read. On MCP's hot path (small JSON POSTs on
 * loopback) that costs more than the request itself. This client keeps the `HttpClient` interface,
 * so it can be swapped for any other, and does only what an MCP request needs: one undici
 * request, aborted on interruption (through the canceler, or through the `Abort` an attempt
 * attached to the fiber, which it fires: see `abort.ts`), and a response whose headers are read
 * once (`leanResponse.ts`). The body of a
 * success of at most 64 KiB that is not an SSE stream, length-announced or chunked, is read before
 * the response is handed over (one wake-up of the fiber instead of two); any other body is
 * streamed, and destroyed when reading it is interrupted.
 *
 * It also offers a session's hot path a way around the `HttpClient` interface (`jsonPost`): a JSON
 * POST whose small answer reaches the caller as text, with no request or response object built
 * for it. That is the one place the hot path leaves plain Effect.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Abort from "./abort.js"
import * as Body from "./body.js"
import * as Defaults from "./defaults.js"
import { decoder, LeanResponse } from "./leanResponse.js"

type DispatchBody = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

const bodyOf = (body: Exclude<HttpBody.HttpBody, HttpBody.Stream>): DispatchBody | null => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as DispatchBody
    case "FormData":
      return body.formData as DispatchBody
  }
}

/** Parsed targets of recent URLs: most clients talk to a handful of endpoints, over and over. */
const targets = new Map<string, { readonly origin: string; readonly path: string }>()

const targetOf = (url: string, hash: Option.Option<string>, urlParams: UrlParams.UrlParams) => {
  const simple = urlParams.length === 0 && Option.isNone(hash)
  const cached = simple ? targets.get(url) : undefined
  if (cached !== undefined) return Either.right(cached)
  return Either.map(UrlParams.makeUrl(url, urlParams, hash), (made) => {
    const target = { origin: made.origin, path: made.pathname + made.search }
    if (simple) {
      if (targets.size >= 256) targets.clear()
      targets.set(url, target)
    }
    return target
  })
}

const announcedLength = (headers: Undici.Dispatcher.ResponseData["headers"]) => {
  const value = headers["content-length"]
  return typeof value === "string" && value !== "" ? Number(value) : Number.NaN
}

const isEventStream = (headers: Undici.Dispatcher.ResponseData["headers"]) => {
  const value = headers["content-type"]
  return typeof value === "string" && value.startsWith("text/event-stream")
}

const none: ReadonlyArray<Uint8Array> = []

const bodyError = (request: HttpClientRequest.HttpClientRequest, response: Undici.Dispatcher.ResponseData, cause: unknown) =>
  new HttpClientError.ResponseError({ request, response: new LeanResponse(request, response, undefined, none), reason: "Decode", cause })

/**
 * Reads `body` until it ends or holds more than `limit` bytes, without a fiber: what the body
 * has already buffered is taken at once, the rest as it comes. `done` gets the chunks read and
 * whether that was the whole body; when it was not, the body is paused where it stopped.
 */
const readUpTo = (
  body: Undici.Dispatcher.ResponseData["body"],
  limit: number,
  done: (chunks: Array<Uint8Array>, size: number, ended: boolean) => void,
  fail: (cause: unknown) => void
) => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  const stop = () => {
    body.off("readable", pull)
    body.off("end", end)
    body.off("error", error)
    body.off("close", close)
  }
  const end = () => {
    stop()
    done(chunks, size, true)
  }
  const error = (cause: unknown) => {
    stop()
    fail(cause)
  }
  const close = () => {
    if (!body.readableEnded) error(body.errored ?? new Body.BodyClosedError())
  }
  function pull() {
    let chunk: Uint8Array | null
    while ((chunk = body.read()) !== null) {
      chunks.push(chunk)
      size += chunk.length
      if (size > limit) {
        stop()
        return done(chunks, size, false)
      }
    }
  }
  body.on("readable", pull)
  body.on("end", end)
  body.on("error", error)
  body.on("close", close)
  pull()
}

const send = (dispatcher: Undici.Dispatcher, request: HttpClientRequest.HttpClientRequest) => {
  const target = targetOf(request.url, request.hash, request.urlParams)
  if (Either.isLeft(target)) {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: target.left }))
  }
  const body = request.body
  return body._tag === "Stream"
    ? Effect.flatMap(NodeStream.toReadable(body.stream), (readable) => dispatch(dispatcher, request, target.right, readable))
    : dispatch(dispatcher, request, target.right, bodyOf(body))
}

/** Where undici's answer to one request went: read whole, handed over partly read, or failed. */
interface Outcome {
  /** A success of at most `Defaults.smallBody` bytes, not an SSE stream, read whole. */
  readonly read: (response: Undici.Dispatcher.ResponseData, body: Uint8Array) => void
  /** Any other response, with the first chunks of a body too large to read before handing it over. */
  readonly handOver: (response: Undici.Dispatcher.ResponseData, prefix: ReadonlyArray<Uint8Array>) => void
  readonly requestFailed: (cause: unknown) => void
  readonly bodyFailed: (response: Undici.Dispatcher.ResponseData, cause: unknown) => void
}

/**
 * One undici request in an `Effect.async`, aborted by the fiber's `Abort` or its interruption;
 * `outcome` decides what the fiber resumes with.
 */
const perform = <A, E>(
  dispatcher: Undici.Dispatcher,
  options: {
    readonly method: string
    readonly headers: Headers.Headers
    readonly origin: string
    readonly path: string
    readonly body: DispatchBody | null
  },
  outcome: (resume: (effect: Effect.Effect<A, E>) => void) => Outcome
): Effect.Effect<A, E> =>
  Effect.withFiberRuntime<A, E>((fiber) =>
    Effect.async((resume) => {
      const attached = Abort.current(fiber)
      const signal = attached ?? new Abort.Abort()
      const { bodyFailed, handOver, read, requestFailed } = outcome(resume)
      // undici would queue an aborted request until a socket is free before failing it
      if (signal.aborted) return requestFailed(signal.reason)
      // the callback form: no promise, no extra microtask
      dispatcher.request({
        signal,
        method: options.method,
        headers: options.headers,
        origin: options.origin,
        path: options.path,
        body: options.body,
        // deadlines are the caller's: interruption, or the fiber's `Abort`
        headersTimeout: 0,
        bodyTimeout: 0
      }, (error, response) => {
        if (error !== null) return requestFailed(error)
        const length = announcedLength(response.headers)
        // an SSE body may stay open and deliver notifications first: it is read as it comes
        if (options.method === "HEAD" || response.statusCode >= 300 || length > Defaults.smallBody || (Number.isNaN(length) && isEventStream(response.headers))) {
          return handOver(response, none)
        }
        // one wake-up instead of two for the common small answer, length-announced or chunked
        readUpTo(response.body, Defaults.smallBody, (chunks, size, ended) =>
          ended
            ? read(response, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
            : handOver(response, chunks), (cause) => bodyFailed(response, cause))
      })
      // an attempt that attached its `Abort` to the fiber fires it when interrupted (see
      // `deadlines.ts`): a canceler of this request's own would cost a runtime step per request
      return attached === undefined ? Effect.sync(() => signal.abort(new Abort.AbortedError("interrupted"))) : undefined
    })
  )

const dispatch = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  target: { readonly origin: string; readonly path: string },
  body: DispatchBody | null
) =>
  perform<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>(
    dispatcher,
    { method: request.method, headers: request.headers, origin: target.origin, path: target.path, body },
    (resume) => ({
      read: (response, bytes) => resume(Effect.succeed(new LeanResponse(request, response, bytes, none))),
      handOver: (response, prefix) => resume(Effect.succeed(new LeanResponse(request, response, undefined, prefix))),
      requestFailed: (cause) => resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))),
      bodyFailed: (response, cause) => resume(Effect.fail(bodyError(request, response, cause)))
    })
  )

const dispatchers = new WeakMap<HttpClient.HttpClient, Undici.Dispatcher>()

/** The dispatcher of `client`, when it is the lean client. @internal */
export const dispatcherOf = (client: HttpClient.HttpClient): Undici.Dispatcher | undefined => dispatchers.get(client)

/**
 * A JSON POST through the lean client, for the hot path of a session: a success whose whole body
 * was read in undici's callback (at most 64 KiB and `limit`, not an SSE stream) reaches `read` as
 * text, without an `HttpClientRequest` or an `HttpClientResponse` built for it; any other response
 * reaches `handOver` as the response the client would have returned, and a failure `fail` as its
 * `HttpClientError`. The request, needed only for those two, is built then. `headers` must hold
 * the body's `content-type`. `dispatcher` is the lean client's (`dispatcherOf`).
 *
 * @internal
 */
export const jsonPost = <A, E>(
  dispatcher: Undici.Dispatcher,
  url: string,
  headers: Headers.Headers,
  body: string,
  limit: number,
  read: (text: string, status: number) => Effect.Effect<A, E>,
  handOver: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, E>,
  fail: (error: HttpClientError.HttpClientError) => Effect.Effect<A, E>
): Effect.Effect<A, E> => {
  const requestOf = () => HttpClientRequest.post(url, { headers, body: HttpBody.text(body, "application/json") })
  const target = targetOf(url, Option.none(), UrlParams.empty)
  if (Either.isLeft(target)) return fail(new HttpClientError.RequestError({ request: requestOf(), reason: "InvalidUrl", cause: target.left }))
  return perform<A, E>(dispatcher, { method: "POST", headers, origin: target.right.origin, path: target.right.path, body }, (resume) => ({
    read: (response, bytes) => {
      if (bytes.length > limit || isEventStream(response.headers)) return resume(handOver(new LeanResponse(requestOf(), response, bytes, none)))
      let answered: Effect.Effect<A, E>
      // run in undici's callback, off the fiber: what throws must still reach it, as a defect
      try {
        answered = read(decoder.decode(bytes), response.statusCode)
      } catch (defect) {
        answered = Effect.die(defect)
      }
      resume(answered)
    },
    handOver: (response, prefix) => resume(handOver(new LeanResponse(requestOf(), response, undefined, prefix))),
    requestFailed: (cause) => resume(fail(new HttpClientError.RequestError({ request: requestOf(), reason: "Transport", cause }))),
    bodyFailed: (response, cause) => resume(fail(bodyError(requestOf(), response, cause)))
  }))
}

const isSucceeded = <A, E>(effect: Effect.Effect<A, E>): effect is Exit.Success<A, E> => Exit.isExit(effect) && Exit.isSuccess(effect)

/**
 * The lean client over `dispatcher`.
 *
 * @internal
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => {
  const client = Abort.honoured(HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    // a request given as it is (the usual case) is sent without a step to unwrap it
    (request) => isSucceeded(request) ? send(dispatcher, request.value) : Effect.flatMap(request, (request) => send(dispatcher, request)),
    Effect.succeed
  ))
  dispatchers.set(client, dispatcher)
  return client
}
