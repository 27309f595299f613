/**
 * OAuth settings as written, checked into `McpOAuth.Settings`: the same rules for settings given
 * in code and read from a file, each problem naming its field and never quoting a secret.
 */
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import type * as McpOAuth from "../../McpOAuth.js"
import { isStringArray, kind, positiveInteger } from "../checks.js"

/** @internal */
export const defaultRedirectUrl = "http://127.0.0.1:33418/callback"

const grants: ReadonlyArray<string> = ["authorization_code", "client_credentials"]
const methods: ReadonlyArray<string> = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]
const algorithms: ReadonlyArray<string> = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]

const secret = (value: unknown): Redacted.Redacted<string> | undefined | false =>
  value === undefined
    ? undefined
    : Redacted.isRedacted(value)
    ? typeof Redacted.value(value) === "string" && Redacted.value(value) !== "" ? Redacted.make(String(Redacted.value(value))) : false
    : typeof value === "string" && value !== ""
    ? Redacted.make(value)
    : false

const optionalString = (value: unknown): value is string | undefined => value === undefined || (typeof value === "string" && value !== "")

/** @internal */
export interface Problem {
  readonly field: string
  readonly problem: string
}

const fail = (field: string, problem: string): Problem => ({ field, problem })

/**
 * The checked settings, or the first problem.
 *
 * @internal
 */
export const make = (input: McpOAuth.Input | true): Either.Either<McpOAuth.Settings, Problem> => {
  const checked = checkFields(input)
  return "problem" in checked ? Either.left(checked) : Either.right(checked)
}

const checkFields = (input: McpOAuth.Input | true): McpOAuth.Settings | Problem => {
  const given: unknown = input
  if (given !== true && !Predicate.isRecord(given)) return fail("oauth", `must be an object or true, got ${kind(given)}`)
  const raw: McpOAuth.Input = input === true ? {} : input
  if (raw.grant !== undefined && !grants.includes(raw.grant)) return fail("oauth.grant", `must be one of ${grants.join(", ")}`)
  for (const field of ["clientId", "clientMetadataUrl", "clientName", "redirectUrl"] as const) {
    if (!optionalString(raw[field])) return fail(`oauth.${field}`, `must be a non-empty string, got ${kind(raw[field])}`)
  }
  const clientSecret = secret(raw.clientSecret)
  if (clientSecret === false) return fail("oauth.clientSecret", "must be a non-empty string")
  const privateKey = secret(raw.privateKey)
  if (privateKey === false) return fail("oauth.privateKey", "must be a PKCS#8 PEM string")
  if (privateKey !== undefined && !Redacted.value(privateKey).includes("PRIVATE KEY")) {
    return fail("oauth.privateKey", "must be a PKCS#8 PEM string (-----BEGIN PRIVATE KEY-----)")
  }
  if (raw.signingAlgorithm !== undefined && !algorithms.includes(raw.signingAlgorithm)) {
    return fail("oauth.signingAlgorithm", `must be one of ${algorithms.join(", ")}`)
  }
  if (raw.tokenEndpointAuthMethod !== undefined && !methods.includes(raw.tokenEndpointAuthMethod)) {
    return fail("oauth.tokenEndpointAuthMethod", `must be one of ${methods.join(", ")}`)
  }
  if (raw.scopes !== undefined && !isStringArray(raw.scopes)) return fail("oauth.scopes", "must be a list of scope names")
  if (raw.maxStepUps !== undefined && !(raw.maxStepUps === 0 || positiveInteger(raw.maxStepUps))) {
    return fail("oauth.maxStepUps", "must be a whole number, at least 0")
  }
  if (raw.clientMetadataUrl !== undefined) {
    const url = URL.canParse(raw.clientMetadataUrl) ? new URL(raw.clientMetadataUrl) : undefined
    // the URL is the client id: the authorization server fetches it, so it must be https with a path
    if (url === undefined || url.protocol !== "https:" || url.pathname === "/") {
      return fail("oauth.clientMetadataUrl", "must be an https URL with a path")
    }
  }
  if (raw.redirectUrl !== undefined && !URL.canParse(raw.redirectUrl)) return fail("oauth.redirectUrl", "is not a URL")
  const grant = raw.grant ?? "authorization_code"
  if (grant === "client_credentials") {
    if (raw.clientId === undefined) return fail("oauth.clientId", "is required with the client_credentials grant")
    if (clientSecret === undefined && privateKey === undefined) {
      return fail("oauth.clientSecret", "or oauth.privateKey is required with the client_credentials grant")
    }
  }
  if (clientSecret !== undefined && raw.clientId === undefined) return fail("oauth.clientId", "is required with a client secret")
  if (privateKey !== undefined && raw.clientId === undefined) return fail("oauth.clientId", "is required with a private key")
  return {
    grant,
    clientId: raw.clientId,
    clientSecret,
    privateKey,
    signingAlgorithm: raw.signingAlgorithm ?? "ES256",
    clientMetadataUrl: raw.clientMetadataUrl,
    clientName: raw.clientName ?? "effect-mcp",
    scopes: raw.scopes ?? [],
    redirectUrl: raw.redirectUrl ?? defaultRedirectUrl,
    tokenEndpointAuthMethod: raw.tokenEndpointAuthMethod,
    maxStepUps: raw.maxStepUps ?? 1
  }
}
