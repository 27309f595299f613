/**
 * HTTP-level rules shared by every request of a session: how an `HttpClientError` becomes a
 * `TransportError`, how a failed status is described, how `Retry-After` is read, and how a body
 * is read without ever holding more than the size limit.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type AnswerError, fromAnswer, TransportError } from "../McpError.js"
import * as Body from "./body.js"
import * as Defaults from "./defaults.js"
import { isModernCode } from "./modernErrors.js"

/** @internal */
export interface Target {
  readonly server: string
  readonly tool?: string | undefined
}

/** @internal */
export const transportError = (
  target: Target,
  reason: TransportError["reason"],
  detail: string,
  extra?: { readonly status?: number; readonly retryAfter?: Duration.Duration | undefined; readonly malformed?: boolean }
): TransportError =>
  new TransportError({
    server: target.server,
    ...(target.tool === undefined ? {} : { tool: target.tool }),
    reason,
    detail,
    ...(extra?.status === undefined ? {} : { status: extra.status }),
    ...(extra?.retryAfter === undefined ? {} : { retryAfter: extra.retryAfter }),
    ...(extra?.malformed === true ? { malformed: true } : {})
  })

const connectCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT"
])

const errorCode = (u: unknown, depth = 0): string | undefined => {
  if (typeof u !== "object" || u === null || depth > 4) return undefined
  if ("code" in u && typeof u.code === "string") return u.code
  return "cause" in u ? errorCode(u.cause, depth + 1) : undefined
}

/**
 * A URL as a message may show it: its origin and path. Its user info, query and fragment may hold
 * a key (`?api_key=…`), and a message reaches logs, spans and language models.
 *
 * @internal
 */
export const displayUrl = (url: string): string => {
  if (!URL.canParse(url)) return "(a URL that cannot be parsed)"
  const parsed = new URL(url)
  return parsed.origin === "null" ? `${parsed.protocol}${parsed.pathname}` : `${parsed.origin}${parsed.pathname}`
}

const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi

/**
 * `text` with every URL in it cut as `displayUrl` cuts it.
 *
 * @internal
 */
export const withDisplayUrls = (text: string): string => text.replace(urlInText, displayUrl)

/** An error's text, with the URLs an underlying library may have quoted cut as `displayUrl` cuts them. */
const errorText = (u: unknown): string => {
  const code = errorCode(u)
  const message = withDisplayUrls(u instanceof Error ? u.message : String(u))
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`
}

/**
 * Only a refused or unroutable connection proves that the server never saw the request; every
 * other network failure (a reset, a socket closed mid-answer) is `Closed`, because the server
 * may already have acted on it.
 *
 * @internal
 */
export const fromHttpClientError = (target: Target, error: HttpClientError.HttpClientError): TransportError => {
  if (error._tag === "RequestError") {
    if (error.reason === "Transport") {
      const code = errorCode(error.cause)
      return code !== undefined && connectCodes.has(code)
        ? transportError(target, "Connect", `cannot connect to ${displayUrl(error.request.url)}: ${errorText(error.cause)}`)
        : transportError(target, "Closed", `connection failed: ${errorText(error.cause)}`)
    }
    return transportError(target, "Connect", `cannot send the request: ${errorText(error.cause ?? error)}`)
  }
  return cutOff(target, error.response.status, error.cause ?? error)
}

/**
 * An answer whose body failed before its end.
 *
 * @internal
 */
export const cutOff = (target: Target, status: number, cause: unknown): TransportError =>
  transportError(target, "Closed", `the answer was cut off: ${errorText(cause)}`, { status })

/**
 * Whether the response has a 2xx status.
 *
 * @internal
 */
export const isSuccess = (response: HttpClientResponse.HttpClientResponse): boolean => isSuccessStatus(response.status)

/** Whether `status` is a 2xx: the one home of that rule. @internal */
export const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300

/**
 * Reads `Retry-After` as either delay-seconds or an HTTP date relative to `now`.
 *
 * @internal
 */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

/**
 * Reads and drops a body we have no use for, so that its connection can be reused.
 *
 * @internal
 */
export const discard = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(Body.forEachChunk(response, keepReading))

const keepReading = () => continueReading

const continueReading = Effect.succeed(true)

const stopReading = () => Effect.succeed(false)

/**
 * Reads the whole body as text, never holding more than `limit` bytes: a body whose length is
 * known within the limit (announced by `Content-Length`, which the HTTP parser holds the server
 * to, or already read whole by the client) is taken in one go, an announced oversized body is
 * refused unread, and a body of unknown length is read chunk by chunk and refused as soon as it
 * grows past the limit.
 *
 * @internal
 */
export const readText = (
  target: Target,
  response: HttpClientResponse.HttpClientResponse,
  limit: number
): Effect.Effect<string, TransportError> => {
  const tooLarge = () =>
    transportError(target, "Decode", `the answer is larger than the limit of ${limit} bytes`, {
      status: response.status
    })
  const known = Body.knownLength(response)
  if (Number.isFinite(known)) {
    return known > limit
      ? Effect.zipRight(Effect.ignore(Body.forEachChunk(response, stopReading)), Effect.fail(tooLarge()))
      : Effect.mapError(response.text, (error) => fromHttpClientError(target, error))
  }
  return Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return Body.forEachChunk(response, (bytes): Effect.Effect<boolean, TransportError> => {
      size += bytes.length
      if (size > limit) return Effect.fail(tooLarge())
      chunks.push(bytes)
      return continueReading
    }).pipe(
      Effect.mapError((error) => error._tag === "ResponseError" ? fromHttpClientError(target, error) : error),
      Effect.map(() => Buffer.concat(chunks, size).toString("utf8"))
    )
  })
}

/** The error of a failed status: `what` was answered with it, and a short excerpt of its body. */
const statusFailure = (target: Target, response: HttpClientResponse.HttpClientResponse, what: string, body: string, now: number) => {
  const text = excerpt(body)
  return transportError(
    target,
    "Status",
    `${withDisplayUrls(what)} was answered with HTTP ${response.status}${text === "" ? "" : `: ${text}`}`,
    { status: response.status, retryAfter: parseRetryAfter(response.headers["retry-after"], now) }
  )
}

/**
 * The error of a failed status, its message quoting a short excerpt of the body.
 *
 * @internal
 */
export const statusError = (
  target: Target,
  response: HttpClientResponse.HttpClientResponse,
  what: string
): Effect.Effect<TransportError> =>
  readText(target, response, Defaults.smallBody).pipe(
    Effect.orElseSucceed(() => ""),
    Effect.zipWith(Clock.currentTimeMillis, (text, now) => statusFailure(target, response, what, text, now))
  )

/**
 * The error of a failed status whose body is a JSON-RPC error the 2026-07-28 revision defines
 * (-32020 to -32022, and -32601 with a 404, which a modern server sends for a method it does not
 * implement): a `ProtocolError` with the server's code and data, because the status only carries
 * it. Any other failed status is a `TransportError` as `statusError` describes it.
 *
 * @internal
 */
export const failedAnswer = (
  target: Target,
  response: HttpClientResponse.HttpClientResponse,
  what: string
): Effect.Effect<TransportError | AnswerError> => {
  const type = response.headers["content-type"] ?? ""
  if (!type.includes("json")) return statusError(target, response, what)
  return readText(target, response, Defaults.smallBody).pipe(
    Effect.orElseSucceed(() => ""),
    Effect.zipWith(Clock.currentTimeMillis, (text, now) => {
      const error = jsonRpcError(text)
      if (error !== undefined && (isModernCode(error.code) || (error.code === -32601 && response.status === 404))) {
        return fromAnswer({ ...target, code: error.code, message: error.message, data: error.data })
      }
      return statusFailure(target, response, what, text, now)
    })
  )
}

const jsonRpcError = (text: string): { readonly code: number; readonly message: string; readonly data: unknown } | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== "object" || value === null || !("error" in value)) return undefined
    const error: unknown = value.error
    if (typeof error !== "object" || error === null || !("code" in error) || typeof error.code !== "number") return undefined
    const message = "message" in error && typeof error.message === "string" ? error.message : "(no message)"
    return { code: error.code, message, data: "data" in error ? error.data : undefined }
  } catch {
    return undefined
  }
}

/**
 * A bounded, single-line excerpt of text from a server, for error messages.
 *
 * @internal
 */
export const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/**
 * Whether a header name is an HTTP token.
 *
 * @internal
 */
export const isHeaderName = (name: string): boolean => HEADER_NAME.test(name)

/**
 * Whether a header value has no control characters (CR and LF above all).
 *
 * @internal
 */
export const isHeaderValue = (value: string): boolean => HEADER_VALUE.test(value)

/**
 * A decoder of `what`, built once; its failures are `Decode` errors of the given target.
 *
 * @internal
 */
export const decoder = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decodeUnknown = Schema.decodeUnknownEither(schema)
  return (u: unknown, target: Target): Either.Either<A, TransportError> =>
    Either.mapLeft(decodeUnknown(u), (error) =>
      transportError(target, "Decode", `${what} has the wrong shape: ${excerpt(ParseResult.TreeFormatter.formatErrorSync(error))}`))
}
