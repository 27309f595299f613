/**
 * MCP's Streamable HTTP transport as a `Channel`: every message is a POST that accepts JSON or
 * SSE; the session id the server gives with the `initialize` answer, and the negotiated
 * protocol version, go on every later request; a 404 on a request that carried the session id
 * means the server forgot the session; the GET stream carries server messages outside requests;
 * closing sends `DELETE`.
 *
 * OAuth meets the channel here and nowhere else: each request asks the server's token source for
 * the current token, and a `401` (or a `403` with `insufficient_scope`) is told to it with the
 * server's challenge and sent once more with the token it gives; a `401` right after a new token,
 * or a `403` past the step-up limit, is an `AuthorizationError`, never a loop. A request with the
 * caller's own token (`auth`) never uses the token source. Redirects are never followed, so no
 * token can be carried to another origin.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { type AnswerError, AuthorizationError, type TransportError } from "../McpError.js"
import type * as McpOAuth from "../McpOAuth.js"
import * as McpRetry from "../McpRetry.js"
import * as Answer from "./answer.js"
import { type Channel, type Handlers, type Outgoing, SessionExpired } from "./channel.js"
import * as Discovery from "./oauth/discovery.js"
import * as StreamedBody from "./streamedBody.js"
import * as Transport from "./transport.js"
import * as UndiciClient from "./undiciClient.js"

/** @internal */
export interface HttpChannelOptions {
  readonly server: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly auth: Redacted.Redacted<string> | undefined
  /** OAuth, when the server is configured for it; unused when `auth` is given. */
  readonly tokens?: McpOAuth.TokenSource | undefined
  readonly maxMessageSize: number
  readonly closeTimeout: Duration.Duration
  /** Keep the GET stream open. */
  readonly listen: boolean
}

const listenBackoff = Schedule.exponential(Duration.seconds(1)).pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(30))),
  // a stream that stayed open a while was healthy: start the next wait short again
  Schedule.resetAfter(Duration.minutes(1))
)

interface Wire {
  readonly generation: number
  readonly sessionId: string | undefined
  readonly headers: Headers.Headers
  /** `headers` with the `content-type` of a POST's JSON body. */
  readonly postHeaders: Headers.Headers
}

const wireOf = (generation: number, sessionId: string | undefined, headers: Headers.Headers): Wire => ({
  generation,
  sessionId,
  headers,
  // as `HttpBody.text` would: the body's own type and no length but undici's
  postHeaders: Headers.set(Headers.remove(headers, "content-length"), "content-type", "application/json")
})

/** @internal */
export const make = (
  options: HttpChannelOptions,
  handlers: Handlers
): Effect.Effect<Channel, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const scope = yield* Effect.scope
    const { maxMessageSize, server, url } = options
    const sessionTarget: Transport.Target = { server }

    let baseHeaders = Headers.set(Headers.fromInput(options.headers ?? {}), "accept", "application/json, text/event-stream")
    if (options.auth !== undefined) {
      baseHeaders = Headers.set(baseHeaders, "authorization", `Bearer ${Redacted.value(options.auth)}`)
    }
    let wire = wireOf(0, undefined, baseHeaders)
    let closed = false
    const tokens = options.auth === undefined ? options.tokens : undefined

    const withToken = (headers: Headers.Headers, token: Redacted.Redacted<string> | undefined) =>
      token === undefined ? headers : Headers.set(headers, "authorization", `Bearer ${Redacted.value(token)}`)

    /** The headers with the current OAuth token, for requests that are not retried on a 401. */
    const authorized = (headers: Headers.Headers): Effect.Effect<Headers.Headers> =>
      tokens === undefined ? Effect.succeed(headers) : tokens.current.pipe(
        Effect.map((token) => withToken(headers, token)),
        Effect.orElseSucceed(() => headers)
      )

    const refused = (target: Transport.Target, detail: string) =>
      new AuthorizationError({ server: target.server, ...(target.tool === undefined ? {} : { tool: target.tool }), step: "Rejected", detail })

    type Posted = Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError | AnswerError | AuthorizationError | SessionExpired>

    /**
     * What a response to a POST on `current` stands for: itself when a success; else the request
     * is sent once more (`again`) with the token the source gives after a `401` (or a `403` asking
     * for more scope), or the status is the failure it means.
     */
    const answered = (
      current: Wire,
      target: Transport.Target,
      what: string,
      response: HttpClientResponse.HttpClientResponse,
      token: Redacted.Redacted<string> | undefined,
      fresh: boolean,
      stepUps: number,
      /** Sends the request again with another token: only with a token source. */
      again: ((token: Redacted.Redacted<string> | undefined, stepUps: number) => Posted) | undefined
    ): Posted => {
      if (Transport.isSuccess(response)) return Effect.succeed(response)
      if (tokens !== undefined && again !== undefined && (response.status === 401 || response.status === 403)) {
        const challenge = response.headers["www-authenticate"]
        const stepUp = response.status === 403
        if (stepUp && Discovery.parseChallenge(challenge).error !== "insufficient_scope") {
          return Effect.flatMap(Transport.statusError(target, response, what), Effect.fail)
        }
        if (!stepUp && fresh) {
          return Effect.zipRight(Transport.discard(response), Effect.fail(refused(target, `${what} was refused (HTTP 401) with a token just obtained for it`)))
        }
        if (stepUp && stepUps >= tokens.maxStepUps) {
          return Effect.zipRight(
            Transport.discard(response),
            Effect.fail(refused(target, `${what} still needs more scope (HTTP 403 insufficient_scope) after ${stepUps} step-up(s)`))
          )
        }
        return Transport.discard(response).pipe(
          Effect.zipRight(tokens.challenged({ status: response.status, wwwAuthenticate: challenge, used: token })),
          Effect.flatMap((next) => again(next, stepUp ? stepUps + 1 : stepUps))
        )
      }
      if (response.status === 404 && current.sessionId !== undefined) {
        return Effect.zipRight(Transport.discard(response), Effect.fail(new SessionExpired({ generation: current.generation })))
      }
      return Effect.flatMap(Transport.failedAnswer(target, response, what), Effect.fail)
    }

    const headersOf = (headers: Headers.Headers, extraHeaders: Readonly<Record<string, string>> | undefined) =>
      extraHeaders === undefined ? headers : Headers.merge(Headers.fromInput(extraHeaders), headers)

    const post = (
      current: Wire,
      body: string,
      target: Transport.Target,
      what: string,
      extraHeaders?: Readonly<Record<string, string>>
    ): Posted => {
      const headers = headersOf(current.headers, extraHeaders)
      const send = (token: Redacted.Redacted<string> | undefined, fresh: boolean, stepUps: number): Posted =>
        http.execute(HttpClientRequest.post(url, {
          headers: withToken(headers, token),
          body: HttpBody.text(body, "application/json")
        })).pipe(
          Effect.mapError((error) => Transport.fromHttpClientError(target, error)),
          Effect.flatMap((response) => answered(current, target, what, response, token, fresh, stepUps, (next, stepUps) => send(next, true, stepUps)))
        )
      if (tokens === undefined) return send(undefined, false, 0)
      return Effect.flatMap(
        Effect.mapError(tokens.current, (error) => target.tool === undefined ? error : new AuthorizationError({ ...error, tool: target.tool })),
        (token) => send(token, false, 0)
      )
    }

    /** A GET of the SSE stream after `lastEventId`: how a server that closed an answer stream early is resumed. */
    const resume = (current: Wire, target: Transport.Target) => (lastEventId: string) =>
      authorized(Headers.setAll(current.headers, { accept: "text/event-stream", "last-event-id": lastEventId })).pipe(
        Effect.flatMap((headers) => http.execute(HttpClientRequest.get(url, { headers }))),
        Effect.mapError((error) => Transport.fromHttpClientError(target, error)),
        Effect.flatMap((response) =>
          Transport.isSuccess(response) && Answer.isEventStream(response)
            ? Effect.succeed(response)
            : Effect.zipRight(
              Transport.discard(response),
              Effect.fail(
                Transport.transportError(target, "Closed", `the answer stream could not be resumed (HTTP ${response.status})`, {
                  status: response.status
                })
              )
            )
        )
      )

    const readOptions = (current: Wire, request: Outgoing): Answer.ReadOptions => ({
      target: request.target,
      maxMessageSize,
      onOther: (message) => handlers.onMessage(message, request),
      resume: resume(current, request.target)
    })

    // the lean client's hot path (see `undiciClient.ts`): a small JSON answer is read as text by
    // its dispatch handler and a streamed SSE answer as its chunks come, with no request or response
    // object built for either; anything else takes the way of any other `HttpClient`. OAuth needs
    // its token first, and so takes that way too.
    const lean = tokens === undefined ? UndiciClient.dispatcherOf(http) : undefined

    const exchange = (current: Wire, request: Outgoing) => {
      const what = `"${request.method}"`
      if (lean === undefined) {
        return post(current, request.body, request.target, what, request.headers).pipe(
          Effect.flatMap((response) => Answer.read(response, request.id, readOptions(current, request)))
        )
      }
      const options = readOptions(current, request)
      return UndiciClient.jsonPost(
        lean,
        url,
        request.headers === undefined ? current.postHeaders : Headers.remove(headersOf(current.postHeaders, request.headers), "content-length"),
        request.body,
        maxMessageSize,
        {
          read: (text, status) => Answer.fromJson(text, status, request.id, options),
          events: (body, status) =>
            Answer.readEvents(
              (onChunk) => StreamedBody.forEach(body, onChunk, (cause) => Transport.cutOff(request.target, status, cause)),
              request.id,
              options
            ),
          handOver: (response) =>
            Effect.flatMap(
              answered(current, request.target, what, response, undefined, false, 0, undefined),
              (response) => Answer.read(response, request.id, options)
            ),
          fail: (error) => Effect.fail(Transport.fromHttpClientError(request.target, error))
        }
      )
    }

    const handshake = (generation: number, request: Outgoing) =>
      Effect.gen(function*() {
        const fresh = wireOf(generation, undefined, baseHeaders)
        // sent without a session id, so a 404 is only a 404
        const response = yield* post(fresh, request.body, request.target, `"${request.method}"`).pipe(
          Effect.catchTag("SessionExpired", () =>
            Effect.fail(Transport.transportError(request.target, "Status", `"${request.method}" was answered with HTTP 404`, { status: 404 })))
        )
        const sessionId = response.headers["mcp-session-id"]
        if (sessionId !== undefined) {
          // the server holds a session from now on: if anything below fails, `close` deletes it
          wire = wireOf(generation, sessionId, Headers.set(baseHeaders, "mcp-session-id", sessionId))
        }
        return yield* Answer.read(response, request.id, {
          target: request.target,
          maxMessageSize,
          onOther: (message) => handlers.onMessage(message, request),
          resume: resume(fresh, request.target)
        })
      })

    const establish = (generation: number, protocolVersion: string) => {
      const sessionId = wire.generation === generation ? wire.sessionId : undefined
      const headers = sessionId === undefined ? baseHeaders : Headers.set(baseHeaders, "mcp-session-id", sessionId)
      wire = wireOf(generation, sessionId, Headers.set(headers, "mcp-protocol-version", protocolVersion))
    }

    const request = (outgoing: Outgoing) =>
      Effect.suspend(() =>
        closed
          ? Effect.fail(Transport.transportError(outgoing.target, "Closed", "the session is closed"))
          : exchange(wire, outgoing)
      )

    const send = (body: string, what: string) =>
      Effect.suspend(() => post(wire, body, sessionTarget, what)).pipe(Effect.flatMap(Transport.discard))

    const close = Effect.suspend(() => {
      if (closed) return Effect.void
      closed = true
      const current = wire
      if (current.sessionId === undefined) return Effect.void
      return authorized(current.headers).pipe(
        Effect.flatMap((headers) => http.execute(HttpClientRequest.del(url, { headers }))),
        Effect.tap((response) =>
          response.status < 300 || response.status === 404 || response.status === 405
            ? Effect.void
            : Effect.logDebug(`DELETE of the session was answered with HTTP ${response.status}`)
        ),
        Effect.flatMap(Transport.discard),
        Effect.timeout(options.closeTimeout),
        // scope finalizers run uninterruptibly; the deadline has to be able to interrupt the DELETE
        Effect.interruptible,
        Effect.catchAllCause((cause) => Effect.logDebug("could not delete the session", cause)),
        Effect.annotateLogs({ server })
      )
    })

    /** The GET stream: `stop` when the server does not offer one, a failure when it should be retried. */
    const listenOnce = Effect.gen(function*() {
      const current = wire
      if (current.sessionId === undefined || closed) return "stop" as const
      const headers = yield* authorized(Headers.set(current.headers, "accept", "text/event-stream"))
      const response = yield* http.execute(HttpClientRequest.get(url, { headers })).pipe(
        Effect.mapError((error) => Transport.fromHttpClientError(sessionTarget, error))
      )
      if (response.status === 404) {
        yield* Transport.discard(response)
        yield* handlers.reinitialize(current.generation)
        return yield* Transport.transportError(sessionTarget, "Status", "the session had expired; re-initialized", { status: 404 })
      }
      if (McpRetry.isRefusalStatus(response.status)) {
        // 405: the server offers no GET stream; 401, 403, …: it never will for these credentials
        yield* Transport.discard(response)
        yield* Effect.logDebug(`no GET stream: HTTP ${response.status}`)
        return "stop" as const
      }
      if (!Transport.isSuccess(response) || !Answer.isEventStream(response)) {
        return yield* Effect.flatMap(Transport.statusError(sessionTarget, response, "the GET stream"), Effect.fail)
      }
      yield* Answer.listen(response, { target: sessionTarget, maxMessageSize, onOther: (message) => handlers.onMessage(message, undefined) })
      return yield* Transport.transportError(sessionTarget, "Closed", "the GET stream ended")
    })

    const listen = options.listen
      ? listenOnce.pipe(
        Effect.tapError((error) => Effect.logDebug("the GET stream will be reopened", error.message)),
        Effect.retry(listenBackoff),
        Effect.catchAllCause((cause) => Effect.logDebug("the GET stream stopped", cause)),
        Effect.annotateLogs({ server }),
        // the session may be built inside an uninterruptible region (an RcMap lookup): a fiber
        // forked there would inherit it and keep the scope from closing
        Effect.interruptible,
        Effect.forkIn(scope),
        Effect.asVoid
      )
      : Effect.void

    const channel: Channel = {
      kind: "http",
      handshake,
      establish,
      sessionId: () => wire.sessionId,
      request,
      send,
      listen,
      close
    }
    return channel
  })
