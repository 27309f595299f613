/**
 * OAuth 2.1 authorization of remote MCP servers, as the MCP authorization specification
 * (2025-11-25, with the 2025-03-26 fallbacks) describes it.
 *
 * A server whose configuration has `oauth` is authorized on its first `401` (or at once, with a
 * stored token): its protected resource metadata (RFC 9728) names its authorization server,
 * whose metadata (RFC 8414, or OpenID discovery) gives the endpoints; the client identifies
 * itself with a pre-registered id, a Client ID Metadata Document URL or dynamic registration
 * (RFC 7591); it then obtains a token with the authorization code grant (PKCE S256, `state`,
 * `resource` of RFC 8707, `iss` of RFC 9207) or the client credentials grant (secret, or a JWT
 * signed with a private key), refreshes it before it expires, and steps up its scopes on a
 * `403 insufficient_scope`. Protocol and crypto come from `oauth4webapi` and `jose`.
 *
 * What the application may replace:
 * - `TokenStore`: where tokens live, keyed by issuer, server and resource. `layerMemory` (the
 *   default when none is provided) or `layerFile` (a JSON file written with mode 0600).
 * - `Authorizer`: the interactive step, given the authorization URL, returns the redirect's
 *   parameters (`code`, `state`, `iss`). Without one, only the client credentials grant and
 *   stored tokens work.
 *
 * Tokens are `Redacted` everywhere; they reach no log, error, span or `status`. A token is only
 * sent to the server and resource it was issued for, and redirects are never followed with it.
 * A per-call `auth` (an end user's token) bypasses OAuth for that call.
 *
 * @example
 * ```ts
 * import { McpClient, McpOAuth } from "@effect-mcp/client"
 * import { Effect, Layer } from "effect"
 *
 * const Client = McpClient.layerNode({
 *   servers: [{
 *     name: "reports",
 *     url: "https://reports.example.com/mcp",
 *     oauth: { grant: "client_credentials", clientId: "reporter", clientSecret: process.env.SECRET! }
 *   }]
 * }).pipe(Layer.provide(McpOAuth.layerMemory))
 *
 * const program = Effect.flatMap(McpClient.McpClient, (mcp) => mcp.listTools("reports"))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as FileSystem from "@effect/platform/FileSystem"
import type { AuthorizationError } from "./McpError.js"
import * as settings from "./internal/oauth/settings.js"
import * as stores from "./internal/oauth/store.js"
import * as tokenSource from "./internal/oauth/tokenSource.js"

/**
 * How the client obtains tokens: `authorization_code` (a user authorizes, through the
 * `Authorizer`) or `client_credentials` (machine to machine, no user).
 *
 * @since 0.1.0
 * @category models
 */
export type Grant = "authorization_code" | "client_credentials"

/**
 * How the client authenticates at the token endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "none" | "private_key_jwt"

/**
 * The OAuth settings of one server, as written (`McpServerConfig.Input.oauth`, or the `oauth`
 * entry of a `mcpServers` file). Every field is optional: `{}` registers dynamically and uses the
 * authorization code grant.
 *
 * Which client identity is used: `clientId` when given (pre-registered); else `clientMetadataUrl`
 * when the authorization server supports Client ID Metadata Documents; else dynamic registration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /** Default `authorization_code`. */
  readonly grant?: Grant | undefined
  /** A pre-registered client id. */
  readonly clientId?: string | undefined
  /** The pre-registered client's secret. */
  readonly clientSecret?: Redacted.Redacted<string> | string | undefined
  /** A PKCS#8 PEM private key: the client authenticates with a signed JWT (`private_key_jwt`). */
  readonly privateKey?: Redacted.Redacted<string> | string | undefined
  /** The JWS algorithm of `privateKey`. Default `ES256`. */
  readonly signingAlgorithm?: string | undefined
  /** An HTTPS URL of this client's Client ID Metadata Document, used as its client id. */
  readonly clientMetadataUrl?: string | undefined
  /** The name sent with dynamic registration. Default `effect-mcp`. */
  readonly clientName?: string | undefined
  /** Scopes asked for when neither the server's challenge nor its metadata names any. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Where the authorization server sends the user back. Default `http://127.0.0.1:33418/callback`. */
  readonly redirectUrl?: string | undefined
  /** Overrides the method chosen from the authorization server's metadata. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined
  /** New authorizations for more scope (`403 insufficient_scope`) per request. Default 1. */
  readonly maxStepUps?: number | undefined
}

/**
 * The OAuth settings of one server, checked, secrets `Redacted`, defaults filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly grant: Grant
  readonly clientId: string | undefined
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly privateKey: Redacted.Redacted<string> | undefined
  readonly signingAlgorithm: string
  readonly clientMetadataUrl: string | undefined
  readonly clientName: string
  readonly scopes: ReadonlyArray<string>
  readonly redirectUrl: string
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod | undefined
  readonly maxStepUps: number
}

/**
 * Checks OAuth settings: the settings, or the first problem with the field it concerns (as
 * `oauth.clientSecret`); a problem never quotes a value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSettings: (
  input: Input | true
) => Either.Either<Settings, { readonly field: string; readonly problem: string }> = settings.make

/**
 * Where a token belongs: the authorization server that issued it, the configured server and the
 * resource (RFC 8707) it was issued for.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenKey {
  readonly issuer: string
  readonly server: string
  readonly resource: string
}

/**
 * The client identity an authorization server gave (dynamic registration) or was told.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRegistration {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod
}

/**
 * What a `TokenStore` keeps for one key.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredTokens {
  readonly key: TokenKey
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string> | undefined
  /** Epoch milliseconds; `undefined` when the server gave no lifetime. */
  readonly expiresAt: number | undefined
  /** The scopes granted (or asked for, when the server did not say). */
  readonly scopes: ReadonlyArray<string>
  /** The client the tokens were issued to: dynamically registered clients are reused. */
  readonly client: ClientRegistration | undefined
}

/**
 * Where tokens are kept.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenStoreService {
  /** Every entry of a server (any issuer, any resource). */
  readonly list: (server: string) => Effect.Effect<ReadonlyArray<StoredTokens>>
  readonly get: (key: TokenKey) => Effect.Effect<Option.Option<StoredTokens>>
  readonly set: (tokens: StoredTokens) => Effect.Effect<void>
  readonly remove: (key: TokenKey) => Effect.Effect<void>
  /** Forgets every entry of a server (`logout`). */
  readonly clear: (server: string) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Context.Tag("@effect-mcp/client/McpOAuth/TokenStore")<TokenStore, TokenStoreService>() {}

/**
 * Tokens in memory, for as long as the Layer lives: the default.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, stores.makeMemory)

/**
 * Tokens in a JSON file, for tools that run again and again (the CLI). The file is created and
 * rewritten with mode 0600 (owner only); one it cannot read or decode is treated as empty.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = (path: string): Layer.Layer<TokenStore, never, FileSystem.FileSystem> =>
  Layer.effect(TokenStore, stores.makeFile(path))

/**
 * What the interactive step is given.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationRequest {
  readonly server: string
  /** Open this in the user's browser. */
  readonly url: URL
  /** Where the authorization server will send the user back. */
  readonly redirectUrl: string
}

/**
 * The interactive step of the authorization code grant: show the user `url`, then answer the
 * parameters of the redirect to `redirectUrl` (at least `code` and `state`, and `iss` when the
 * server sent it), or the whole redirect URL. The client checks `state` and `iss` itself.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizerService {
  readonly authorize: (request: AuthorizationRequest) => Effect.Effect<URL | URLSearchParams, AuthorizationError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Authorizer extends Context.Tag("@effect-mcp/client/McpOAuth/Authorizer")<Authorizer, AuthorizerService>() {}

/**
 * What a session asks for the bearer token of each request, and tells of the server's refusals.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenSource {
  /** The token to send now: refreshed first when it is about to expire; `undefined` before any. */
  readonly current: Effect.Effect<Redacted.Redacted<string> | undefined, AuthorizationError>
  /**
   * The server refused `used` (401, or 403 with `insufficient_scope`) with this `WWW-Authenticate`
   * challenge: a new token, after a refresh, a new authorization or a step-up.
   */
  readonly challenged: (challenge: {
    readonly status: number
    readonly wwwAuthenticate: string | undefined
    readonly used: Redacted.Redacted<string> | undefined
  }) => Effect.Effect<Redacted.Redacted<string>, AuthorizationError>
  /** Whether a token is held, and until when (never the token). */
  readonly status: Effect.Effect<AuthorizationStatus>
  /** New authorizations for more scope a request may cause before it fails. */
  readonly maxStepUps: number
  /** The grant of the server's settings: with `authorization_code`, a new token may need a user. */
  readonly grant: Grant
}

/**
 * Runs `self` so that none of its requests starts an interactive authorization: where a user
 * would have to authorize (no usable token is held and the grant is the authorization code), the
 * request fails with `AuthorizationError` of step `Interaction` instead of calling the
 * `Authorizer`. Refreshing a token and the client credentials grant need no user and still
 * happen. `McpClient` runs its health probes and its listings across servers (`availableTools`,
 * `availableResources`, `availablePrompts`) this way, so that only a request the application
 * makes of one server may bring a browser up.
 *
 * @since 0.1.0
 * @category combinators
 */
export const nonInteractive = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(self, tokenSource.interactive, false)

/**
 * Whether a server is authorized, for `status`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationStatus {
  readonly authorized: boolean
  /** When the access token expires, if the server said. */
  readonly expiresAt: DateTime.Utc | undefined
  readonly scopes: ReadonlyArray<string>
}

/**
 * The token source of one server: what `McpClient` builds for each server with `oauth`, and what
 * an `McpSession` used directly takes as its `oauth` option. Uses the `TokenStore` and, when
 * provided, the `Authorizer` of the context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTokenSource: (options: {
  readonly server: string
  readonly url: string
  readonly settings: Settings
}) => Effect.Effect<TokenSource, never, TokenStore | HttpClient.HttpClient> = tokenSource.make
