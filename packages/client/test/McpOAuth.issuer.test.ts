import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { McpError, McpHttpClient, McpOAuth } from "../src/index.js"

interface Seen {
  readonly url: string
  readonly authorization: string | undefined
  readonly body: string
}

/** A loopback HTTP server for the test's scope; `handle` gets the request's body read. */
const serve = (handle: (request: Http.IncomingMessage, body: string, response: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => (body += chunk))
        request.on("end", () => handle(request, body, response))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const json = (response: Http.ServerResponse, status: number, value: unknown) =>
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value))

const origin = (server: Http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`

/**
 * Authorization server A issued the tokens held; the MCP server's resource metadata now names
 * authorization server B, whose grants all fail (no S256, no registration) before a user is
 * involved. B records every request it gets.
 */
const movedToAnotherServer: Effect.Effect<{ readonly mcpUrl: string; readonly a: string; readonly seenAtB: Array<Seen> }, never, Scope.Scope> =
  Effect.gen(function*() {
    const seenAtB: Array<Seen> = []
    const urls = { a: "", b: "", mcp: "" }
    const a = yield* serve((_request, _body, response) =>
      json(response, 200, {
        issuer: urls.a,
        authorization_endpoint: `${urls.a}/authorize`,
        token_endpoint: `${urls.a}/token`,
        code_challenge_methods_supported: ["S256"]
      })
    )
    const b = yield* serve((request, body, response) => {
      if (request.url?.startsWith("/.well-known/") === true) {
        return json(response, 200, { issuer: urls.b, authorization_endpoint: `${urls.b}/authorize`, token_endpoint: `${urls.b}/token` })
      }
      seenAtB.push({ url: request.url ?? "", authorization: request.headers.authorization, body })
      json(response, 400, { error: "invalid_grant" })
    })
    const resource = yield* serve((_request, _body, response) => json(response, 200, { resource: urls.mcp, authorization_servers: [urls.b] }))
    urls.a = origin(a)
    urls.b = origin(b)
    urls.mcp = `${origin(resource)}/mcp`
    return { mcpUrl: urls.mcp, a: urls.a, seenAtB }
  })

const held = (issuer: string, resource: string): McpOAuth.StoredTokens => ({
  key: { issuer, server: "moved", resource },
  accessToken: Redacted.make("access-token-from-A"),
  refreshToken: Redacted.make("refresh-token-from-A"),
  expiresAt: undefined,
  scopes: [],
  client: { clientId: "client-of-A", clientSecret: Redacted.make("secret-of-A"), tokenEndpointAuthMethod: "client_secret_basic" }
})

const sources = Layer.mergeAll(McpOAuth.layerMemory, McpHttpClient.layerUndici)

describe("McpOAuth: credentials stay with the authorization server that issued them", () => {
  it.scopedLive("a refresh token is never sent to another authorization server the resource now names", () =>
    Effect.gen(function*() {
      const { a, mcpUrl, seenAtB } = yield* movedToAnotherServer
      const store = yield* McpOAuth.TokenStore
      yield* store.set(held(a, mcpUrl))
      const settings = Either.getOrThrow(McpOAuth.makeSettings({}))
      const source = yield* McpOAuth.makeTokenSource({ server: "moved", url: mcpUrl, settings })
      const refused = { status: 401, wwwAuthenticate: "Bearer", used: Redacted.make("access-token-from-A") } as const
      // each 401 discovers B and fails to authorize there; the second would refresh, and must not at B
      expect(Either.isLeft(yield* Effect.either(source.challenged(refused)))).toBe(true)
      expect(Either.isLeft(yield* Effect.either(source.challenged(refused)))).toBe(true)
      for (const request of seenAtB) {
        expect(request.body).not.toContain("refresh-token-from-A")
        expect(request.body).not.toContain("refresh_token")
        expect(request.authorization).toBeUndefined()
      }
    }).pipe(Effect.provide(sources)))

  it.scopedLive("configured client credentials are refused to an authorization server other than the one that issued the tokens held", () =>
    Effect.gen(function*() {
      const { a, mcpUrl, seenAtB } = yield* movedToAnotherServer
      const store = yield* McpOAuth.TokenStore
      yield* store.set(held(a, mcpUrl))
      const settings = Either.getOrThrow(
        McpOAuth.makeSettings({ grant: "client_credentials", clientId: "reporter", clientSecret: "configured-secret" })
      )
      const source = yield* McpOAuth.makeTokenSource({ server: "moved", url: mcpUrl, settings })
      const error = yield* Effect.flip(source.challenged({ status: 401, wwwAuthenticate: "Bearer", used: Redacted.make("access-token-from-A") }))
      expect(error).toBeInstanceOf(McpError.AuthorizationError)
      expect(error.step).toBe("Discovery")
      expect(error.message).toContain("configured client credentials were used with")
      expect(error.message).not.toContain("configured-secret")
      expect(seenAtB).toEqual([])
    }).pipe(Effect.provide(sources)))

  it.scopedLive("over FetchHttpClient, whose fetch follows redirects by default, every OAuth request says redirect: manual", () =>
    Effect.gen(function*() {
      const { mcpUrl } = yield* movedToAnotherServer
      const redirects: Array<string | undefined> = []
      // FetchHttpClient calls the global fetch: record what it is asked, for this test only
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          const original = globalThis.fetch
          globalThis.fetch = (input, init) => {
            redirects.push(init?.redirect)
            return original(input, init)
          }
          return original
        }),
        (original) => Effect.sync(() => void (globalThis.fetch = original))
      )
      const settings = Either.getOrThrow(
        McpOAuth.makeSettings({ grant: "client_credentials", clientId: "reporter", clientSecret: "configured-secret" })
      )
      const source = yield* McpOAuth.makeTokenSource({ server: "fetching", url: mcpUrl, settings })
      yield* Effect.either(source.challenged({ status: 401, wwwAuthenticate: "Bearer", used: undefined }))
      // the resource's metadata and its authorization server's, at least
      expect(redirects.length).toBeGreaterThanOrEqual(2)
      expect(new Set(redirects)).toEqual(new Set(["manual"]))
    }).pipe(Effect.provide(Layer.mergeAll(McpOAuth.layerMemory, FetchHttpClient.layer))))
})
