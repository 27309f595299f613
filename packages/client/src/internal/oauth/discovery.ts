/**
 * Where a server's tokens come from: its protected resource metadata (RFC 9728) at the
 * `resource_metadata` URL of its challenge, else the path-based well-known URL, else the root one;
 * then its authorization server's metadata (RFC 8414, then the OpenID discovery variants), the
 * issuer checked against the URL it was found from. A server with no resource metadata is a
 * 2025-03-26 server: its origin is the authorization server, and when that has no metadata
 * either, the endpoints are `/authorize`, `/token` and `/register` at the origin.
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as oauth from "oauth4webapi"
import { AuthorizationError } from "../../McpError.js"
import * as Transport from "../transport.js"
import type * as Fetch from "./fetch.js"

/** @internal */
export interface Discovered {
  /** The resource (RFC 8707) tokens are asked for; `undefined` for a 2025-03-26 server. */
  readonly resource: string | undefined
  /** The resource's `scopes_supported`. */
  readonly scopesSupported: ReadonlyArray<string> | undefined
  readonly as: oauth.AuthorizationServer
}

/** @internal */
export interface Context {
  readonly server: string
  readonly url: URL
  readonly fetch: Fetch.Fetch
}

/** URLs in the detail are cut to origin and path: metadata URLs come from a server's challenge and may carry a query. */
const fail = (ctx: Context, detail: string) =>
  new AuthorizationError({ server: ctx.server, step: "Discovery", detail: Transport.withDisplayUrls(detail) })

const getJson = (ctx: Context, url: URL) =>
  Effect.tryPromise({
    try: async () => {
      const response = await ctx.fetch(url.toString(), { method: "GET", headers: { accept: "application/json" } })
      return response
    },
    catch: (error) => fail(ctx, `${url.toString()}: ${error instanceof Error ? error.message : String(error)}`)
  })

/** `/.well-known/<name>` inserted before the path of `base` (RFC 8414 §3.1, RFC 9728 §3.1). */
const inserted = (base: URL, name: string) => {
  const path = base.pathname === "/" ? "" : base.pathname.replace(/\/$/, "")
  return new URL(`/.well-known/${name}${path}`, base.origin)
}

/**
 * Whether resource metadata may speak for the server: the same origin, and the server's path at
 * or under the resource's path.
 *
 * @internal
 */
export const covers = (resource: string, server: URL): boolean => {
  if (!URL.canParse(resource)) return false
  const r = new URL(resource)
  if (r.origin !== server.origin) return false
  const prefix = r.pathname.endsWith("/") ? r.pathname : `${r.pathname}/`
  return r.pathname === "/" || server.pathname === r.pathname || server.pathname.startsWith(prefix)
}

const resourceMetadata = (ctx: Context, hinted: string | undefined) =>
  Effect.gen(function*() {
    const candidates = [
      ...(hinted !== undefined && URL.canParse(hinted) ? [new URL(hinted)] : []),
      ...(ctx.url.pathname === "/" ? [] : [inserted(ctx.url, "oauth-protected-resource")]),
      new URL("/.well-known/oauth-protected-resource", ctx.url.origin)
    ]
    for (const candidate of candidates) {
      const response = yield* getJson(ctx, candidate)
      if (response.status !== 200) continue
      const json: unknown = yield* Effect.tryPromise({
        try: () => response.json(),
        catch: () => fail(ctx, `the protected resource metadata at ${candidate.toString()} is not JSON`)
      })
      if (!Predicate.isRecord(json) || typeof json.resource !== "string") {
        return yield* fail(ctx, `the protected resource metadata at ${candidate.toString()} has no resource`)
      }
      if (!covers(json.resource, ctx.url)) {
        return yield* fail(ctx, `the protected resource metadata names the resource ${json.resource}, not this server`)
      }
      const servers = Array.isArray(json.authorization_servers) ? json.authorization_servers.filter(Predicate.isString) : []
      if (servers.length === 0) return yield* fail(ctx, "the protected resource metadata names no authorization server")
      const scopes = Array.isArray(json.scopes_supported) ? json.scopes_supported.filter(Predicate.isString) : undefined
      return { resource: json.resource, issuer: servers[0]!, scopesSupported: scopes }
    }
    return undefined
  })

const authorizationServer = (ctx: Context, issuer: URL) =>
  Effect.gen(function*() {
    const candidates = issuer.pathname === "/"
      ? [new URL("/.well-known/oauth-authorization-server", issuer.origin), new URL("/.well-known/openid-configuration", issuer.origin)]
      : [
        inserted(issuer, "oauth-authorization-server"),
        inserted(issuer, "openid-configuration"),
        new URL(`${issuer.pathname.replace(/\/$/, "")}/.well-known/openid-configuration`, issuer.origin)
      ]
    for (const candidate of candidates) {
      const response = yield* getJson(ctx, candidate)
      if (response.status !== 200) continue
      return yield* Effect.tryPromise({
        try: () => oauth.processDiscoveryResponse(issuer, response),
        catch: (error) =>
          fail(ctx, `the authorization server metadata at ${candidate.toString()}: ${error instanceof Error ? error.message : String(error)}`)
      })
    }
    return undefined
  })

/**
 * Discovers the resource and its authorization server; `hinted` is the challenge's
 * `resource_metadata`.
 *
 * @internal
 */
export const discover = (ctx: Context, hinted: string | undefined): Effect.Effect<Discovered, AuthorizationError> =>
  Effect.gen(function*() {
    const prm = yield* resourceMetadata(ctx, hinted)
    if (prm !== undefined) {
      if (!URL.canParse(prm.issuer)) return yield* fail(ctx, `the authorization server ${prm.issuer} is not a URL`)
      const as = yield* authorizationServer(ctx, new URL(prm.issuer))
      if (as === undefined) return yield* fail(ctx, `the authorization server ${prm.issuer} publishes no metadata`)
      return { resource: prm.resource, scopesSupported: prm.scopesSupported, as }
    }
    // 2025-03-26: the MCP server's origin is its authorization server
    const origin = new URL(ctx.url.origin)
    const as = yield* authorizationServer(ctx, origin)
    if (as !== undefined) return { resource: undefined, scopesSupported: undefined, as }
    const legacy: oauth.AuthorizationServer = {
      issuer: ctx.url.origin,
      authorization_endpoint: new URL("/authorize", origin).toString(),
      token_endpoint: new URL("/token", origin).toString(),
      registration_endpoint: new URL("/register", origin).toString(),
      // the 2025-03-26 revision requires S256 of every server
      code_challenge_methods_supported: ["S256"]
    }
    return { resource: undefined, scopesSupported: undefined, as: legacy }
  })

/**
 * The parameters of a `Bearer` challenge in `WWW-Authenticate` (RFC 6750 §3).
 *
 * @internal
 */
export const parseChallenge = (header: string | undefined): Readonly<Record<string, string>> => {
  if (header === undefined) return {}
  const bearer = /(?:^|,)\s*Bearer\s+(.*)$/i.exec(header)
  if (bearer === null) return {}
  const out: Record<string, string> = {}
  const param = /\s*([A-Za-z0-9_!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*,?/gy
  let match: RegExpExecArray | null
  const rest = bearer[1]!
  param.lastIndex = 0
  while ((match = param.exec(rest)) !== null) {
    const name = match[1]!.toLowerCase()
    if (!(name in out)) out[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]!
    if (param.lastIndex >= rest.length) break
  }
  return out
}
