/**
 * The `fetch` that oauth4webapi calls, over the client's own `HttpClient`: the same sockets,
 * deadlines and tracing as MCP requests, bodies read under a size limit, and plain `http:`
 * allowed only to loopback hosts. No redirect is ever followed (a token request re-posted to
 * another origin would carry its code, verifier, refresh token or secret there): `McpHttpClient`
 * follows none, and `FetchHttpClient`, whose `fetch` follows them by default, is told `manual`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Transport from "../transport.js"

/** Metadata and token answers are small; anything larger is not one. */
const maxBody = 1024 * 1024

const deadline = Duration.seconds(30)

/**
 * Whether a URL may be fetched: https, or http to this machine (tests, local servers).
 *
 * @internal
 */
export const isAllowed = (url: URL): boolean =>
  url.protocol === "https:" ||
  (url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]"))

/** @internal */
export type Fetch = (url: string, init: {
  readonly method: string
  readonly headers: Record<string, string>
  readonly body?: unknown
}) => Promise<Response>

/** @internal */
export const make = (http: HttpClient.HttpClient, server: string): Fetch => (url, init) => {
  const target = new URL(url)
  if (!isAllowed(target)) return Promise.reject(new Error(`refusing plain http to ${target.origin}: only loopback hosts may be reached without TLS`))
  const body = init.body instanceof URLSearchParams
    ? HttpBody.text(init.body.toString(), "application/x-www-form-urlencoded")
    : typeof init.body === "string"
    ? HttpBody.text(init.body, init.headers["content-type"] ?? "application/json")
    : HttpBody.empty
  const request = HttpClientRequest.make(init.method === "POST" ? "POST" : "GET")(url, { headers: init.headers, body })
  return Effect.runPromise(
    http.execute(request).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError({ server }, error)),
      Effect.flatMap((response) =>
        Effect.map(Transport.readText({ server }, response, maxBody), (text) => {
          const headers = new Headers()
          for (const [name, value] of Object.entries(response.headers)) headers.set(name, value)
          const empty = response.status === 204 || response.status === 304 || (response.status >= 100 && response.status < 200)
          return new Response(empty ? null : text, { status: response.status, headers })
        })
      ),
      Effect.timeoutFail({ duration: deadline, onTimeout: () => new Error(`no answer from ${target.origin} within 30 seconds`) }),
      Effect.scoped,
      Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual" }),
      Effect.mapError((error) => new Error(error.message))
    )
  )
}
