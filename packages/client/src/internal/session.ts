/**
 * The 2025 revisions of MCP over Streamable HTTP (2025-11-25, 2025-06-18, 2025-03-26):
 * `initialize`, a session id in a header, answers as JSON or SSE.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { type ProtocolError, ToolCallError, type TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import * as Abort from "./abort.js"
import * as Answer from "./answer.js"
import * as Defaults from "./defaults.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Transport from "./transport.js"

/** @internal */
export const supportedProtocolVersions: ReadonlyArray<string> = ["2025-11-25", "2025-06-18", "2025-03-26"]

/** @internal */
export const defaultClientInfo = { name: "effect-mcp", version: "0.1.0" } as const

const MAX_PAGES = 1000

const listenBackoff = Schedule.exponential(Duration.seconds(1)).pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(30))),
  // a stream that stayed open a while was healthy: start the next wait short again
  Schedule.resetAfter(Duration.minutes(1))
)

class SessionExpired extends Data.TaggedError("SessionExpired") {}

interface Wire {
  readonly generation: number
  readonly sessionId: string | undefined
  readonly headers: Headers.Headers
}

/** @internal */
export const make = Effect.fnUntraced(function*(options: McpSession.Options) {
  const http = yield* HttpClient.HttpClient
  const scope = yield* Effect.scope
  const server = options.server
  const url = String(options.url)
  const defaultTimeout = Duration.decode(options.timeout ?? Defaults.requestTimeout)
  const closeTimeout = Duration.decode(options.closeTimeout ?? Defaults.closeTimeout)
  const maxMessageSize = options.maxMessageSize ?? Defaults.maxMessageSize
  const clientInfo = options.clientInfo ?? defaultClientInfo
  const onNotification = options.onNotification

  let baseHeaders = Headers.set(Headers.fromInput(options.headers ?? {}), "accept", "application/json, text/event-stream")
  if (options.auth !== undefined) {
    baseHeaders = Headers.set(baseHeaders, "authorization", `Bearer ${Redacted.value(options.auth)}`)
  }

  let wire: Wire = { generation: 0, sessionId: undefined, headers: baseHeaders }
  let info: McpSession.Info | undefined
  let nextId = 1
  let closed = false
  const initializing = yield* Effect.makeSemaphore(1)
  const sessionTarget: Transport.Target = { server }

  const expired = (target: Transport.Target) =>
  <A, E>(self: Effect.Effect<A, E | SessionExpired>): Effect.Effect<A, Exclude<E, SessionExpired> | TransportError> =>
    Effect.catchIf(self, (error): error is SessionExpired => error instanceof SessionExpired, () =>
      Effect.fail(
        Transport.transportError(target, "Status", "the server forgot the session again right after re-initializing", {
          status: 404
        })
      ))

  const post = (
    current: Wire,
    body: string,
    target: Transport.Target,
    what: string,
    extraHeaders?: Readonly<Record<string, string>>
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError | SessionExpired> =>
    http.execute(HttpClientRequest.post(url, {
      headers: extraHeaders === undefined ? current.headers : Headers.merge(Headers.fromInput(extraHeaders), current.headers),
      body: HttpBody.text(body, "application/json")
    }))
      .pipe(
        Effect.mapError((error) => Transport.fromHttpClientError(target, error)),
        Effect.flatMap((response): Effect.Effect<HttpClientResponse.HttpClientResponse, TransportError | SessionExpired> => {
          if (Transport.isSuccess(response)) return Effect.succeed(response)
          if (response.status === 404 && current.sessionId !== undefined) {
            return Effect.zipRight(Transport.discard(response), Effect.fail(new SessionExpired()))
          }
          return Effect.flatMap(Transport.statusError(target, response, what), Effect.fail)
        })
      )

  /** Posts a message no caller waits for, on a fiber of the session's scope; a failure is only logged. */
  const sendInBackground = (current: Wire, body: string, what: string, onFailure: string) =>
    post(current, body, sessionTarget, what).pipe(
      Effect.flatMap(Transport.discard),
      Effect.timeout(defaultTimeout),
      Effect.catchAllCause((cause) => Effect.logDebug(onFailure, cause)),
      Effect.interruptible,
      Effect.forkIn(scope),
      Effect.asVoid
    )

  /** Server requests get an answer (only `ping` is supported); notifications go to `onNotification`. */
  const handleOther = (current: Wire) => (message: Answer.Other): Effect.Effect<void> => {
    if (message._tag === "Notification") {
      return onNotification === undefined ? Effect.void : onNotification({ method: message.method, params: message.params }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("notification handler failed", cause))
      )
    }
    return sendInBackground(
      current,
      message.method === "ping"
        ? JsonRpc.encodeSuccess(message.id, {})
        : JsonRpc.encodeFailure(message.id, JsonRpc.METHOD_NOT_FOUND, `Method not supported by this client: ${message.method}`),
      `the answer to the server's "${message.method}"`,
      "could not answer a server request"
    )
  }

  /** A GET of the SSE stream after `lastEventId`: how a server that closed an answer stream early is resumed. */
  const resume = (current: Wire, target: Transport.Target) => (lastEventId: string) =>
    http.execute(HttpClientRequest.get(url, {
      headers: Headers.setAll(current.headers, { accept: "text/event-stream", "last-event-id": lastEventId })
    })).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError(target, error)),
      Effect.flatMap((response) =>
        Transport.isSuccess(response) && Answer.isEventStream(response)
          ? Effect.succeed(response)
          : Effect.zipRight(
            Transport.discard(response),
            Effect.fail(Transport.transportError(target, "Closed", `the answer stream could not be resumed (HTTP ${response.status})`, { status: response.status }))
          )
      )
    )

  const readAnswer = (
    current: Wire,
    response: HttpClientResponse.HttpClientResponse,
    id: JsonRpc.RequestId,
    target: Transport.Target
  ) => Answer.read(response, id, { target, maxMessageSize, onOther: handleOther(current), resume: resume(current, target) })

  const exchange = (
    current: Wire,
    id: JsonRpc.RequestId,
    body: string,
    method: string,
    target: Transport.Target,
    extraHeaders: Readonly<Record<string, string>> | undefined
  ) =>
    post(current, body, target, `"${method}"`, extraHeaders).pipe(
      Effect.flatMap((response) => readAnswer(current, response, id, target))
    )

  const initialize = (generation: number): Effect.Effect<Wire, TransportError | ProtocolError> =>
    Effect.gen(function*() {
      const fresh: Wire = { generation, sessionId: undefined, headers: baseHeaders }
      const id = nextId++
      const body = JsonRpc.encodeRequest(id, "initialize", {
        protocolVersion: supportedProtocolVersions[0],
        capabilities: {},
        clientInfo
      })
      const response = yield* post(fresh, body, sessionTarget, `"initialize"`).pipe(expired(sessionTarget))
      const sessionId = response.headers["mcp-session-id"]
      const sessionHeaders = sessionId === undefined ? baseHeaders : Headers.set(baseHeaders, "mcp-session-id", sessionId)
      if (sessionId !== undefined) {
        // the server holds a session from now on: if anything below fails, `close` deletes it
        wire = { generation, sessionId, headers: sessionHeaders }
      }
      const result = yield* readAnswer(fresh, response, id, sessionTarget).pipe(
        Effect.flatMap((answer) => decodeInitializeResult(answer, sessionTarget))
      )
      if (!supportedProtocolVersions.includes(result.protocolVersion)) {
        return yield* Transport.transportError(
          sessionTarget,
          "Decode",
          `the server chose protocol version ${result.protocolVersion}; this client speaks ${
            supportedProtocolVersions.join(", ")
          }`
        )
      }
      const established: Wire = { generation, sessionId, headers: Headers.set(sessionHeaders, "mcp-protocol-version", result.protocolVersion) }
      wire = established
      info = {
        sessionId,
        protocolVersion: result.protocolVersion,
        serverInfo: result.serverInfo,
        capabilities: result.capabilities,
        instructions: result.instructions,
        initializations: generation
      }
      yield* post(established, JsonRpc.encodeNotification("notifications/initialized", undefined), sessionTarget, `"notifications/initialized"`)
        .pipe(expired(sessionTarget), Effect.flatMap(Transport.discard))
      return established
    }).pipe(
      Effect.timeoutFail({
        duration: defaultTimeout,
        onTimeout: () =>
          Transport.transportError(sessionTarget, "Timeout", `no answer to "initialize" within ${Duration.format(defaultTimeout)}`)
      })
    )

  const reinitialize = (stale: Wire) =>
    initializing.withPermits(1)(
      Effect.suspend(() => wire.generation !== stale.generation ? Effect.succeed(wire) : initialize(stale.generation + 1))
    )

  const cancel = (id: JsonRpc.RequestId) =>
    sendInBackground(
      wire,
      JsonRpc.encodeNotification("notifications/cancelled", { requestId: id, reason: "The client stopped waiting" }),
      `"notifications/cancelled"`,
      "could not send notifications/cancelled"
    )

  const request = (
    method: string,
    params: unknown,
    target: Transport.Target,
    requestOptions: McpSession.RequestOptions | undefined
  ): Effect.Effect<unknown, TransportError | ProtocolError> =>
    Effect.suspend(() => {
      if (closed) return Effect.fail(Transport.transportError(target, "Closed", "the session is closed"))
      const timeout = requestOptions?.timeout === undefined ? defaultTimeout : Duration.decode(requestOptions.timeout)
      const id = nextId++
      const body = JsonRpc.encodeRequest(id, method, params)
      const first = wire
      const extraHeaders = requestOptions?.headers
      return exchange(first, id, body, method, target, extraHeaders).pipe(
        Effect.catchTag("SessionExpired", () =>
          Abort.guard(reinitialize(first), (reason) =>
            Effect.fail(Transport.transportError(target, reason.why === "deadline" ? "Timeout" : "Closed", "the session was being re-opened"))).pipe(
              Effect.flatMap((renewed) => exchange(renewed, id, body, method, target, extraHeaders)),
              expired(target)
            )),
        // a request cut short by interruption or by its fiber's `Abort` is abandoned: tell the server
        Effect.onError((cause) =>
          Effect.withFiberRuntime((fiber) => Cause.isInterruptedOnly(cause) || Abort.current(fiber)?.aborted === true ? cancel(id) : Effect.void)
        ),
        (self) =>
          Duration.isFinite(timeout)
            ? Effect.timeoutFail(self, {
              duration: timeout,
              onTimeout: () =>
                Transport.transportError(target, "Timeout", `no answer to "${method}" within ${Duration.format(timeout)}`)
            })
            : self
      )
    })

  const close = Effect.suspend(() => {
    if (closed) return Effect.void
    closed = true
    const current = wire
    if (current.sessionId === undefined) return Effect.void
    return http.execute(HttpClientRequest.del(url, { headers: current.headers })).pipe(
      Effect.tap((response) =>
        response.status < 300 || response.status === 404 || response.status === 405
          ? Effect.void
          : Effect.logDebug(`DELETE of the session was answered with HTTP ${response.status}`)
      ),
      Effect.flatMap(Transport.discard),
      Effect.timeout(closeTimeout),
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
    const response = yield* http.execute(
      HttpClientRequest.get(url, { headers: Headers.set(current.headers, "accept", "text/event-stream") })
    ).pipe(Effect.mapError((error) => Transport.fromHttpClientError(sessionTarget, error)))
    if (response.status === 404) {
      yield* Transport.discard(response)
      yield* reinitialize(current)
      return yield* Transport.transportError(sessionTarget, "Status", "the session had expired; re-initialized", { status: 404 })
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      // 405: the server offers no GET stream; 401, 403, …: it never will for these credentials
      yield* Transport.discard(response)
      yield* Effect.logDebug(`no GET stream: HTTP ${response.status}`)
      return "stop" as const
    }
    if (!Transport.isSuccess(response) || !Answer.isEventStream(response)) {
      return yield* Effect.flatMap(Transport.statusError(sessionTarget, response, "the GET stream"), Effect.fail)
    }
    const options = { target: sessionTarget, maxMessageSize, onOther: handleOther(current) }
    yield* Answer.listen(response, options)
    return yield* Transport.transportError(sessionTarget, "Closed", "the GET stream ended")
  })

  yield* Effect.addFinalizer(() => close)
  yield* initialize(1)
  if (options.listen === true) {
    yield* listenOnce.pipe(
      Effect.tapError((error) => Effect.logDebug("the GET stream will be reopened", error.message)),
      Effect.retry(listenBackoff),
      Effect.catchAllCause((cause) => Effect.logDebug("the GET stream stopped", cause)),
      Effect.annotateLogs({ server }),
      // the session may be built inside an uninterruptible region (an RcMap lookup): a fiber
      // forked there would inherit it and keep the scope from closing
      Effect.interruptible,
      Effect.forkIn(scope)
    )
  }

  const listTools = Effect.fn("McpSession.listTools")(function*(requestOptions?: McpSession.RequestOptions) {
    const tools: Array<McpSchema.Tool> = []
    const seen = new Set<string>()
    let cursor: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = yield* request("tools/list", cursor === undefined ? {} : { cursor }, sessionTarget, requestOptions)
        .pipe(Effect.flatMap((answer) => decodeListToolsResult(answer, sessionTarget)))
      tools.push(...result.tools)
      cursor = result.nextCursor
      if (cursor === undefined) return tools
      if (seen.has(cursor)) {
        return yield* Transport.transportError(sessionTarget, "Decode", `tools/list repeated the cursor ${JSON.stringify(cursor)}`)
      }
      seen.add(cursor)
    }
    return yield* Transport.transportError(sessionTarget, "Decode", `tools/list did not end within ${MAX_PAGES} pages`)
  })

  // no span here: this is the hot path, and `McpClient.callTool` carries the span
  const callTool = (tool: string, args: Readonly<Record<string, unknown>>, requestOptions?: McpSession.RequestOptions) => {
    const target = { server, tool }
    return Effect.flatMap(request("tools/call", { name: tool, arguments: args }, target, requestOptions), (answer): Effect.Effect<McpSchema.CallToolResult, TransportError | ToolCallError> => {
      const decoded = decodeCallToolResult(answer, target)
      if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
      const result = decoded.right
      return result.isError === true
        ? Effect.fail(
          new ToolCallError({
            server,
            tool,
            content: result.content,
            ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent })
          })
        )
        : Effect.succeed(result)
    })
  }

  const ping = Effect.fn("McpSession.ping")(function*(requestOptions?: McpSession.RequestOptions) {
    yield* request("ping", undefined, sessionTarget, requestOptions)
  })

  return {
    server,
    info: Effect.sync(() => info!),
    listTools,
    callTool,
    ping,
    close
  } satisfies McpSession.McpSession
})

/** A decoder of `what`, built once; its failures are `Decode` errors of the given target. */
const decoder = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decodeUnknown = Schema.decodeUnknownEither(schema)
  return (u: unknown, target: Transport.Target): Either.Either<A, TransportError> =>
    Either.mapLeft(decodeUnknown(u), (error) =>
      Transport.transportError(target, "Decode", `${what} has the wrong shape: ${Transport.excerpt(ParseResult.TreeFormatter.formatErrorSync(error))}`))
}

const decodeInitializeResult = decoder(McpSchema.InitializeResult, "the initialize result")
const decodeListToolsResult = decoder(McpSchema.ListToolsResult, "the tools/list result")
const decodeCallToolResult = decoder(McpSchema.CallToolResult, "the tools/call result")

