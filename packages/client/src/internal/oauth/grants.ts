/**
 * The exchanges with an authorization server, on oauth4webapi: choosing and registering the
 * client (pre-registered, Client ID Metadata Document, RFC 7591 with `application_type`), the
 * authorization code grant (PKCE S256, `state`, `resource`, the `iss` check of RFC 9207), the
 * client credentials grant (secret or `private_key_jwt` signed with jose) and refresh.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as jose from "jose"
import * as oauth from "oauth4webapi"
import { AuthorizationError, type AuthorizationStep } from "../../McpError.js"
import type * as McpOAuth from "../../McpOAuth.js"
import type * as Discovery from "./discovery.js"
import type * as Fetch from "./fetch.js"

/** @internal */
export interface Context {
  readonly server: string
  readonly settings: McpOAuth.Settings
  readonly fetch: Fetch.Fetch
  readonly authorizer: Option.Option<McpOAuth.AuthorizerService>
}

/** What a token endpoint gave. */
export interface Granted {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly expiresAt: number | undefined
  readonly scopes: ReadonlyArray<string>
}

const describe = (error: unknown): string => {
  // oauth4webapi's errors quote the server's error code and description, never a token
  if (error instanceof oauth.ResponseBodyError) {
    return `${error.error}${error.error_description === undefined ? "" : `: ${error.error_description}`} (HTTP ${error.status})`
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return `the authorization server answered ${error.error}${error.error_description === undefined ? "" : `: ${error.error_description}`}`
  }
  return error instanceof Error ? error.message : String(error)
}

const attempt = <A>(ctx: Context, step: AuthorizationStep, run: () => Promise<A>): Effect.Effect<A, AuthorizationError> =>
  Effect.tryPromise({ try: run, catch: (error) => new AuthorizationError({ server: ctx.server, step, detail: describe(error) }) })

const fail = (ctx: Context, step: AuthorizationStep, detail: string) => new AuthorizationError({ server: ctx.server, step, detail })

const options = (ctx: Context) => ({
  [oauth.customFetch]: ctx.fetch,
  // plain http is refused by `ctx.fetch` itself, for every host but this machine
  [oauth.allowInsecureRequests]: true
})

const supports = (as: oauth.AuthorizationServer, method: McpOAuth.TokenEndpointAuthMethod) =>
  // RFC 8414 §2: without the list, client_secret_basic is the default
  (as.token_endpoint_auth_methods_supported ?? ["client_secret_basic"]).includes(method)

/**
 * The client to present to `as`: pre-registered, its metadata document, one registered before
 * with this server (`known`), or a new dynamic registration.
 *
 * @internal
 */
export const client = (
  ctx: Context,
  as: oauth.AuthorizationServer,
  known: McpOAuth.ClientRegistration | undefined
): Effect.Effect<McpOAuth.ClientRegistration, AuthorizationError> =>
  Effect.gen(function*() {
    const s = ctx.settings
    if (s.clientId !== undefined) {
      const method: McpOAuth.TokenEndpointAuthMethod = s.tokenEndpointAuthMethod ??
        (s.privateKey !== undefined
          ? "private_key_jwt"
          : s.clientSecret === undefined
          ? "none"
          : supports(as, "client_secret_basic") || !supports(as, "client_secret_post")
          ? "client_secret_basic"
          : "client_secret_post")
      return { clientId: s.clientId, clientSecret: s.clientSecret, tokenEndpointAuthMethod: method }
    }
    if (s.clientMetadataUrl !== undefined && as.client_id_metadata_document_supported === true) {
      return { clientId: s.clientMetadataUrl, clientSecret: undefined, tokenEndpointAuthMethod: "none" }
    }
    if (known !== undefined) return known
    if (as.registration_endpoint === undefined) {
      return yield* fail(ctx, "Registration", "no client id is configured and the authorization server offers no registration")
    }
    const wanted: McpOAuth.TokenEndpointAuthMethod = s.tokenEndpointAuthMethod ??
      (supports(as, "none") ? "none" : supports(as, "client_secret_basic") ? "client_secret_basic" : "client_secret_post")
    const redirect = new URL(s.redirectUrl)
    const registered = yield* attempt(ctx, "Registration", async () =>
      registrationResponse(
        await oauth.dynamicClientRegistrationRequest(as, {
          client_name: s.clientName,
          redirect_uris: [s.redirectUrl],
          grant_types: s.grant === "client_credentials" ? ["client_credentials"] : ["authorization_code", "refresh_token"],
          response_types: s.grant === "client_credentials" ? [] : ["code"],
          token_endpoint_auth_method: wanted,
          // a loopback or custom-scheme redirect is a native application's (SEP-837)
          application_type: redirect.protocol === "https:" && !isLoopback(redirect) ? "web" : "native",
          ...(s.scopes.length === 0 ? {} : { scope: s.scopes.join(" ") })
        }, options(ctx))
      ))
    const method = typeof registered.token_endpoint_auth_method === "string" &&
        ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"].includes(registered.token_endpoint_auth_method)
      ? registered.token_endpoint_auth_method as McpOAuth.TokenEndpointAuthMethod
      : wanted
    return {
      clientId: registered.client_id,
      clientSecret: typeof registered.client_secret === "string" ? Redacted.make(registered.client_secret) : undefined,
      tokenEndpointAuthMethod: method
    }
  })

/**
 * The registration answer, read leniently: oauth4webapi rejects answers that real servers give
 * (a `client_secret_expires_at` of `null`), and only the id, secret and method matter here.
 */
const registrationResponse = async (response: Response): Promise<Readonly<Record<string, unknown>> & { readonly client_id: string }> => {
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`the registration endpoint answered HTTP ${response.status}`)
  }
  const json: unknown = await response.json()
  if (typeof json !== "object" || json === null || !("client_id" in json) || typeof json.client_id !== "string") {
    throw new Error("the registration answer has no client_id")
  }
  return { ...json, client_id: json.client_id }
}

const isLoopback = (url: URL) => url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]"

/**
 * `client_secret_basic` with the id and secret form-encoded as RFC 6749 §2.3.1 asks, but leaving
 * the characters `encodeURIComponent` leaves (`-`, `.`, `_`, `~`, …) as they are: oauth4webapi
 * encodes those too, which servers that do not decode (many do not) take for another client.
 */
const secretBasic = (secret: string): oauth.ClientAuth => (_as, client, _body, headers) => {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")
  headers.set("authorization", `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(secret)}`).toString("base64")}`)
}

const clientAuth = (ctx: Context, registration: McpOAuth.ClientRegistration): Effect.Effect<oauth.ClientAuth, AuthorizationError> => {
  switch (registration.tokenEndpointAuthMethod) {
    case "none":
      return Effect.succeed(oauth.None())
    case "private_key_jwt": {
      const key = ctx.settings.privateKey
      if (key === undefined) return Effect.fail(fail(ctx, "Token", "private_key_jwt needs oauth.privateKey"))
      return Effect.map(
        attempt(ctx, "Token", () => jose.importPKCS8(Redacted.value(key), ctx.settings.signingAlgorithm)),
        (imported) => oauth.PrivateKeyJwt(imported)
      )
    }
    case "client_secret_basic":
    case "client_secret_post": {
      const secret = registration.clientSecret
      if (secret === undefined) return Effect.fail(fail(ctx, "Token", `${registration.tokenEndpointAuthMethod} needs a client secret`))
      return Effect.succeed(
        registration.tokenEndpointAuthMethod === "client_secret_basic"
          ? secretBasic(Redacted.value(secret))
          : oauth.ClientSecretPost(Redacted.value(secret))
      )
    }
  }
}

const granted = (
  response: oauth.TokenEndpointResponse,
  asked: ReadonlyArray<string>,
  previousRefresh: Redacted.Redacted<string> | undefined
): Effect.Effect<Granted> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    accessToken: Redacted.make(response.access_token),
    // a server that does not rotate refresh tokens leaves the old one valid
    refreshToken: response.refresh_token === undefined ? previousRefresh : Redacted.make(response.refresh_token),
    expiresAt: response.expires_in === undefined ? undefined : now + response.expires_in * 1000,
    scopes: response.scope === undefined ? asked : response.scope.split(" ").filter((scope) => scope !== "")
  }))

const withResource = (resource: string | undefined): Record<string, string> => resource === undefined ? {} : { resource }

const oauthClient = (registration: McpOAuth.ClientRegistration): oauth.Client => ({
  client_id: registration.clientId,
  token_endpoint_auth_method: registration.tokenEndpointAuthMethod
})

/**
 * The authorization code grant through the `Authorizer`.
 *
 * @internal
 */
export const authorizationCode = (
  ctx: Context,
  discovered: Discovery.Discovered,
  registration: McpOAuth.ClientRegistration,
  scopes: ReadonlyArray<string>
): Effect.Effect<Granted, AuthorizationError> =>
  Effect.gen(function*() {
    const as = discovered.as
    if (as.authorization_endpoint === undefined) return yield* fail(ctx, "Discovery", "the authorization server has no authorization endpoint")
    if (!(as.code_challenge_methods_supported ?? []).includes("S256")) {
      return yield* fail(ctx, "Discovery", "the authorization server does not support PKCE with S256")
    }
    if (Option.isNone(ctx.authorizer)) {
      return yield* fail(ctx, "Authorization", "the server needs a user's authorization, and no McpOAuth.Authorizer is provided")
    }
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const challenge = yield* attempt(ctx, "Authorization", () => oauth.calculatePKCECodeChallenge(verifier))
    const url = new URL(as.authorization_endpoint)
    url.searchParams.set("response_type", "code")
    url.searchParams.set("client_id", registration.clientId)
    url.searchParams.set("redirect_uri", ctx.settings.redirectUrl)
    url.searchParams.set("code_challenge", challenge)
    url.searchParams.set("code_challenge_method", "S256")
    url.searchParams.set("state", state)
    if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "))
    if (discovered.resource !== undefined) url.searchParams.set("resource", discovered.resource)
    const answer = yield* ctx.authorizer.value.authorize({ server: ctx.server, url, redirectUrl: ctx.settings.redirectUrl })
    // `iss` is compared as the exact string (RFC 9207 §2.4): no normalization, not even a trailing slash
    const params = new URLSearchParams(answer instanceof URL ? answer.searchParams : answer)
    const client = oauthClient(registration)
    const validated = yield* Effect.try({
      try: () => oauth.validateAuthResponse(as, client, params, state),
      catch: (error) => fail(ctx, "Authorization", describe(error))
    })
    const auth = yield* clientAuth(ctx, registration)
    const response = yield* attempt(ctx, "Token", async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, validated, ctx.settings.redirectUrl, verifier, {
          ...options(ctx),
          additionalParameters: withResource(discovered.resource)
        })
      ))
    return yield* granted(response, scopes, undefined)
  })

/**
 * The client credentials grant.
 *
 * @internal
 */
export const clientCredentials = (
  ctx: Context,
  discovered: Discovery.Discovered,
  registration: McpOAuth.ClientRegistration,
  scopes: ReadonlyArray<string>
): Effect.Effect<Granted, AuthorizationError> =>
  Effect.gen(function*() {
    const as = discovered.as
    const client = oauthClient(registration)
    const auth = yield* clientAuth(ctx, registration)
    const parameters: Record<string, string> = {
      ...withResource(discovered.resource),
      ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") })
    }
    const response = yield* attempt(ctx, "Token", async () =>
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, options(ctx))
      ))
    return yield* granted(response, scopes, undefined)
  })

/**
 * A new access token for the refresh token.
 *
 * @internal
 */
export const refresh = (
  ctx: Context,
  discovered: Discovery.Discovered,
  registration: McpOAuth.ClientRegistration,
  refreshToken: Redacted.Redacted<string>,
  scopes: ReadonlyArray<string>
): Effect.Effect<Granted, AuthorizationError> =>
  Effect.gen(function*() {
    const as = discovered.as
    const client = oauthClient(registration)
    const auth = yield* clientAuth(ctx, registration)
    const response = yield* attempt(ctx, "Refresh", async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, auth, Redacted.value(refreshToken), {
          ...options(ctx),
          additionalParameters: withResource(discovered.resource)
        })
      ))
    return yield* granted(response, scopes, refreshToken)
  })
