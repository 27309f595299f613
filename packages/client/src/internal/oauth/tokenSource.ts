/**
 * The token source of one server: the token it holds (from the store at first), refreshed before
 * it expires, and what happens when the server refuses it. A `401` is met with a refresh when
 * there is a refresh token, else with discovery and a new grant; a `403 insufficient_scope`
 * with a new authorization for the union of the scopes held and the scopes challenged. One flow
 * runs at a time: requests refused with a token that was replaced meanwhile get the new one.
 *
 * Scopes asked for: the challenge's `scope`, else the resource's `scopes_supported`, else the
 * configured ones, else none; `offline_access` is added for the authorization code grant when the
 * authorization server lists it, so that a refresh token comes with the grant.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AuthorizationError } from "../../McpError.js"
import * as McpOAuth from "../../McpOAuth.js"
import * as Defaults from "../defaults.js"
import * as Discovery from "./discovery.js"
import * as Fetch from "./fetch.js"
import * as Grants from "./grants.js"

const union = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => [...new Set([...a, ...b])]

const words = (text: string | undefined) => text === undefined ? [] : text.split(" ").filter((word) => word !== "")

/**
 * Whether the requests of the current fiber may start an interactive authorization (call the
 * `Authorizer`). A fiber variable, so that it follows a request into the fibers it forks (the
 * opening of a session, the attempts of a call) and no argument has to carry it.
 *
 * @internal
 */
export const interactive: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(true)

/**
 * The detail of the `Interaction` failure, also the health `error` of a server that needs a user.
 *
 * @internal
 */
export const notAuthorized = "not authorized: a user must authorize the client first (no usable token is held)"

/** @internal */
export const make = (options: {
  readonly server: string
  readonly url: string
  readonly settings: McpOAuth.Settings
}): Effect.Effect<McpOAuth.TokenSource, never, McpOAuth.TokenStore | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const store = yield* McpOAuth.TokenStore
    const http = yield* HttpClient.HttpClient
    const authorizer = yield* Effect.serviceOption(McpOAuth.Authorizer)
    const { server, settings } = options
    const url = new URL(options.url)
    const fetch = Fetch.make(http, server)
    const grants: Grants.Context = { server, settings, fetch, authorizer }
    const discoveryContext: Discovery.Context = { server, url, fetch }
    const lock = yield* Effect.makeSemaphore(1)

    // a stored token is used before the first request; its issuer is checked at the next discovery
    const stored = (yield* store.list(server)).find((entry) => Discovery.covers(entry.key.resource, url) || entry.key.resource === url.origin)
    let held: McpOAuth.StoredTokens | undefined = stored
    let discovered: Discovery.Discovered | undefined
    /** Dynamic registrations by issuer: a client is registered once per authorization server. */
    const registrations = new Map<string, McpOAuth.ClientRegistration>()
    if (stored?.client !== undefined) registrations.set(stored.key.issuer, stored.client)

    const keep = (found: Discovery.Discovered, client: McpOAuth.ClientRegistration, got: Grants.Granted) =>
      Effect.suspend(() => {
        const tokens: McpOAuth.StoredTokens = {
          key: { issuer: found.as.issuer, server, resource: found.resource ?? url.origin },
          ...got,
          client
        }
        if (held !== undefined && (held.key.issuer !== tokens.key.issuer || held.key.resource !== tokens.key.resource)) {
          const old = held.key
          held = tokens
          return Effect.zipRight(store.remove(old), store.set(tokens))
        }
        held = tokens
        return store.set(tokens)
      }).pipe(Effect.as(got.accessToken))

    const discover = (hinted: string | undefined) =>
      Effect.tap(Discovery.discover(discoveryContext, hinted), (found) =>
        Effect.sync(() => {
          discovered = found
        }))

    const registration = (found: Discovery.Discovered) =>
      Effect.tap(Grants.client(grants, found.as, registrations.get(found.as.issuer)), (client) =>
        Effect.sync(() => {
          registrations.set(found.as.issuer, client)
        }))

    const grant = (found: Discovery.Discovered, scopes: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const client = yield* registration(found)
        const got = settings.grant === "client_credentials"
          ? yield* Grants.clientCredentials(grants, found, client, scopes)
          : yield* Grants.authorizationCode(grants, found, client, scopes)
        return yield* keep(found, client, got)
      })

    /** Whether `found` is the authorization server and resource the held tokens were issued by and for. */
    const issuedBy = (tokens: McpOAuth.StoredTokens, found: Discovery.Discovered) =>
      tokens.key.issuer === found.as.issuer && tokens.key.resource === (found.resource ?? url.origin)

    /**
     * Refreshes the held token; `None` when there is nothing to refresh with or the server refused.
     * A refresh token (and the client's credentials) only ever goes back to the server that issued
     * it, for the resource it was issued for.
     */
    const tryRefresh = Effect.suspend(() => {
      const current = held
      const found = discovered
      if (current?.refreshToken === undefined || found === undefined || current.client === undefined) return Effect.succeedNone
      if (!issuedBy(current, found)) return Effect.succeedNone
      const client = current.client
      return Grants.refresh(grants, found, client, current.refreshToken, current.scopes).pipe(
        Effect.flatMap((got) => keep(found, client, got)),
        Effect.asSome,
        Effect.catchAll((error) =>
          // a refused refresh token is spent: forget it, and authorize anew
          Effect.logDebug("the refresh token was refused", error.detail).pipe(
            Effect.zipRight(Effect.sync(() => {
              if (held === current) held = { ...current, refreshToken: undefined }
            })),
            Effect.as(Option.none())
          )
        )
      )
    })

    const scopesFor = (found: Discovery.Discovered, challenged: ReadonlyArray<string>) => {
      const base = challenged.length > 0
        ? challenged
        : found.scopesSupported !== undefined && found.scopesSupported.length > 0
        ? found.scopesSupported
        : settings.scopes
      const offline = settings.grant === "authorization_code" && (found.as.scopes_supported ?? []).includes("offline_access")
      return offline && base.length > 0 && !base.includes("offline_access") ? [...base, "offline_access"] : base
    }

    const expiresSoon = (tokens: McpOAuth.StoredTokens, now: number) =>
      tokens.expiresAt !== undefined && now >= tokens.expiresAt - Duration.toMillis(Defaults.tokenRefreshSkew)

    const current: McpOAuth.TokenSource["current"] = Effect.suspend(() => {
      const tokens = held
      if (tokens === undefined) return Effect.succeed(undefined)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (!expiresSoon(tokens, now)) return Effect.succeed(tokens.accessToken)
        return lock.withPermits(1)(Effect.suspend(() => {
          if (held !== tokens) return Effect.succeed(held?.accessToken)
          if (settings.grant === "client_credentials" && discovered !== undefined && issuedBy(tokens, discovered)) {
            return grant(discovered, tokens.scopes)
          }
          // without a refresh token the expired token is sent: the server's 401 starts a new grant
          return Effect.map(tryRefresh, Option.getOrElse(() => tokens.accessToken))
        }))
      })
    })

    const challenged: McpOAuth.TokenSource["challenged"] = ({ status, used, wwwAuthenticate }) =>
      lock.withPermits(1)(Effect.gen(function*() {
        // another request replaced the refused token meanwhile
        if (held !== undefined && (used === undefined || Redacted.value(used) !== Redacted.value(held.accessToken)) && status === 401) {
          return held.accessToken
        }
        const challenge = Discovery.parseChallenge(wwwAuthenticate)
        const stepUp = status === 403
        if (!stepUp) {
          const refreshed = yield* tryRefresh
          if (Option.isSome(refreshed)) return refreshed.value
        }
        // checked before discovery: a probe must not even register a client it cannot use
        if (settings.grant === "authorization_code" && !(yield* FiberRef.get(interactive))) {
          return yield* new AuthorizationError({ server, step: "Interaction", detail: notAuthorized })
        }
        const found = yield* discover(challenge.resource_metadata)
        if (held !== undefined && !issuedBy(held, found)) {
          // configured credentials belong to the authorization server that issued the tokens held:
          // a server that now names another one must not receive them
          if (settings.clientSecret !== undefined || settings.privateKey !== undefined) {
            return yield* new AuthorizationError({
              server,
              step: "Discovery",
              detail: `the server now names the authorization server ${found.as.issuer}, but the configured client credentials were used with ${held.key.issuer}; run logout (or clear the token store) to start over`
            })
          }
          // the resource moved to another authorization server: nothing of the old one is reused
          registrations.delete(held.key.issuer)
          held = { ...held, refreshToken: undefined, client: undefined }
        }
        const challengedScopes = words(challenge.scope)
        const scopes = stepUp ? union(held?.scopes ?? [], challengedScopes) : scopesFor(found, challengedScopes)
        return yield* grant(found, scopes)
      }))

    const status: McpOAuth.TokenSource["status"] = Effect.sync(() => ({
      authorized: held !== undefined,
      expiresAt: held?.expiresAt === undefined ? undefined : DateTime.unsafeMake(held.expiresAt),
      scopes: held?.scopes ?? []
    }))

    const source: McpOAuth.TokenSource = { current, challenged, status, maxStepUps: settings.maxStepUps, grant: settings.grant }
    return source
  })
