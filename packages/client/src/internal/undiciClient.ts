/**
 * A lean `HttpClient` over an undici dispatcher.
 *
 * `@effect/platform-node`'s undici client wraps every request in a tracing span (with header
 * redaction and trace-context headers), a finalization registry and an interruptible response
 * proxy, and rebuilds the response headers on every read. On MCP's hot path (small JSON POSTs on
 * loopback) that costs more than the request itself. This client keeps the `HttpClient` interface,
 * so it can be swapped for any other, and does only what an MCP request needs: one request
 * through undici's `dispatch` (`undiciDispatch.ts`), aborted on interruption (through the
 * canceler, or through the `Abort` an attempt attached to the fiber, which it fires: see
 * `abort.ts`), and a response whose headers are read once (`leanResponse.ts`). The body of a
 * success of at most 64 KiB that is not an SSE stream, length-announced or chunked, is read before
 * the response is handed over (one wake-up of the fiber instead of two); any other body is
 * streamed, and destroyed when reading it is interrupted.
 *
 * It also offers a session's hot path a way around the `HttpClient` interface (`jsonPost`): a JSON
 * POST whose small answer reaches the caller as text, and whose streamed SSE answer as the chunks
 * undici delivers, with no request or response object built for either. That is the one place the hot
 * path leaves plain Effect.
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
import * as Option from "effect/Option"
import * as Abort from "./abort.js"
import { decoder, LeanResponse } from "./leanResponse.js"
import { isSucceeded, type StreamedBody } from "./streamedBody.js"
import * as Transport from "./transport.js"
import * as Dispatch from "./undiciDispatch.js"

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

const bodyError = (request: HttpClientRequest.HttpClientRequest, answered: Dispatch.Answered, cause: unknown) =>
  new HttpClientError.ResponseError({ request, response: new LeanResponse(request, answered, empty), reason: "Decode", cause })

const empty = new Uint8Array(0)

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
  outcome: (resume: (effect: Effect.Effect<A, E>) => void) => Dispatch.Outcome
): Effect.Effect<A, E> =>
  Effect.withFiberRuntime<A, E>((fiber) =>
    Effect.async((resume) => {
      const attached = Abort.current(fiber)
      const signal = attached ?? new Abort.Abort()
      Dispatch.dispatch(dispatcher, {
        method: options.method,
        headers: options.headers,
        origin: options.origin,
        path: options.path,
        body: options.body,
        // deadlines are the caller's: interruption, or the fiber's `Abort`
        headersTimeout: 0,
        bodyTimeout: 0
      }, signal, outcome(resume))
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
      read: (answered, bytes) => resume(Effect.succeed(new LeanResponse(request, answered, bytes))),
      stream: (answered, body) => resume(Effect.succeed(new LeanResponse(request, answered, body))),
      requestFailed: (cause) => resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))),
      bodyFailed: (answered, cause) => resume(Effect.fail(bodyError(request, answered, cause))),
      defect: (cause) => resume(Effect.die(cause))
    })
  )

const dispatchers = new WeakMap<HttpClient.HttpClient, Undici.Dispatcher>()

/** The dispatcher of `client`, when it is the lean client. @internal */
export const dispatcherOf = (client: HttpClient.HttpClient): Undici.Dispatcher | undefined => dispatchers.get(client)

/** What a `jsonPost` makes of each kind of answer. @internal */
export interface JsonPostReaders<A, E> {
  /** A success whose whole body (at most 64 KiB and the limit, not an SSE stream) was read, as text. */
  readonly read: (text: string, status: number) => Effect.Effect<A, E>
  /** A success that is an SSE stream not read whole (see `undiciDispatch.ts`), its body still coming. */
  readonly events: (body: StreamedBody, status: number) => Effect.Effect<A, E>
  /** Any other answer, as the response the client would have returned. */
  readonly handOver: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, E>
  /** A failure, as the client's error. */
  readonly fail: (error: HttpClientError.HttpClientError) => Effect.Effect<A, E>
}

/**
 * A JSON POST through the lean client, for the hot path of a session: a success reaches the
 * readers as text or as a streamed SSE body, without an `HttpClientRequest` or an
 * `HttpClientResponse` built for it; those are built only for the answers that need them (a small
 * SSE body of announced length among them). `headers` must hold the
 * body's `content-type`. `dispatcher` is the lean client's (`dispatcherOf`).
 *
 * @internal
 */
export const jsonPost = <A, E>(
  dispatcher: Undici.Dispatcher,
  url: string,
  headers: Headers.Headers,
  body: string,
  limit: number,
  { events, fail, handOver, read }: JsonPostReaders<A, E>
): Effect.Effect<A, E> => {
  const requestOf = () => HttpClientRequest.post(url, { headers, body: HttpBody.text(body, "application/json") })
  const target = targetOf(url, Option.none(), UrlParams.empty)
  if (Either.isLeft(target)) return fail(new HttpClientError.RequestError({ request: requestOf(), reason: "InvalidUrl", cause: target.left }))
  return perform<A, E>(dispatcher, { method: "POST", headers, origin: target.right.origin, path: target.right.path, body }, (resume) => ({
    read: (answered, bytes) => {
      if (bytes.length > limit || Dispatch.isEventStream(answered.headers)) return resume(handOver(new LeanResponse(requestOf(), answered, bytes)))
      // run in undici's callback, off the fiber: what throws reaches it as a defect (`defect`)
      resume(read(decoder.decode(bytes), answered.statusCode))
    },
    stream: (answered, body) =>
      resume(
        Transport.isSuccessStatus(answered.statusCode) && Dispatch.isEventStream(answered.headers)
          ? events(body, answered.statusCode)
          : handOver(new LeanResponse(requestOf(), answered, body))
      ),
    requestFailed: (cause) => resume(fail(new HttpClientError.RequestError({ request: requestOf(), reason: "Transport", cause }))),
    bodyFailed: (answered, cause) => resume(fail(bodyError(requestOf(), answered, cause))),
    defect: (cause) => resume(Effect.die(cause))
  }))
}

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
