/**
 * What every request of the client learns of its server before anything is sent: the server's
 * configuration (an unknown or unusable server, or a closed client, fails here), whether the
 * caller's token and headers can be sent to it, and the retries the caller asked for.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import type * as McpClient from "../McpClient.js"
import type * as McpConfigFile from "../McpConfigFile.js"
import { AuthorizationError, ProtocolError, type TransportError, UnknownServerError } from "../McpError.js"
import * as McpOAuth from "../McpOAuth.js"
import * as McpRetry from "../McpRetry.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as Deadlines from "./deadlines.js"
import * as JsonRpc from "./jsonRpc.js"
import * as TokenSource from "./oauth/tokenSource.js"
import * as Transport from "./transport.js"

/** @internal */
export interface Servers {
  /** The server's configuration (`tool` is only named in the error), as an `Either`: the call path reads it without a runtime step. */
  readonly lookup: (server: string, tool?: string) => Either.Either<McpServerConfig.McpServerConfig, UnknownServerError | TransportError>
}

const TOKEN = /^[\x21-\x7e]+$/

/** @internal */
export const make = (options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly unsupported: ReadonlyArray<McpConfigFile.Unsupported>
  readonly deadlines: Deadlines.Deadlines
}): Servers => {
  const byName = new Map(options.configs.map((config) => [config.name, config]))
  const unsupportedByName = new Map(options.unsupported.map((entry) => [entry.name, entry]))
  const known = [...options.configs.map((config) => config.name), ...options.unsupported.map((entry) => entry.name)]
  return {
    lookup: (server, tool) => {
      if (options.deadlines.isClosed()) return Either.left(Transport.transportError({ server, tool }, "Closed", "the MCP client is closed"))
      const config = byName.get(server)
      if (config !== undefined) return Either.right(config)
      const entry = unsupportedByName.get(server)
      return Either.left(
        entry === undefined
          ? new UnknownServerError({ server, known })
          : Transport.transportError({ server, tool }, "Connect", `cannot be used: ${entry.reason}`)
      )
    }
  }
}

/**
 * A request refused before it was sent, as the server would refuse it: invalid params.
 *
 * @internal
 */
export const refused = (server: string, tool: string | undefined, message: string): ProtocolError =>
  ProtocolError.refused({ server, tool, code: JsonRpc.INVALID_PARAMS, message })

/**
 * The request's bearer token, once it and the request's headers are known to be sendable: none
 * to a stdio server, and only what an HTTP header can carry.
 *
 * @internal
 */
export const credentials = (
  config: McpServerConfig.McpServerConfig,
  tool: string | undefined,
  request: { readonly auth?: McpClient.CallOptions["auth"]; readonly headers?: McpClient.CallOptions["headers"] }
): Either.Either<Redacted.Redacted<string> | undefined, ProtocolError> => {
  const server = config.name
  if (config.stdio !== undefined && (request.auth !== undefined || Object.keys(request.headers ?? {}).length > 0)) {
    return Either.left(refused(server, tool, `${server} is a stdio server: a bearer token or HTTP headers cannot be forwarded to a child process`))
  }
  const raw = request.auth
  const auth = raw === undefined ? undefined : typeof raw === "string" ? Redacted.make(raw) : raw
  if (auth !== undefined && !TOKEN.test(Redacted.value(auth))) {
    return Either.left(refused(server, tool, "the bearer token is empty or has characters not allowed in an HTTP header"))
  }
  const headers = request.headers
  if (headers === undefined) return Either.right(auth)
  for (const [name, value] of Object.entries(headers)) {
    if (!Transport.isHeaderName(name) || typeof value !== "string" || !Transport.isHeaderValue(value)) {
      return Either.left(refused(server, tool, `the header ${JSON.stringify(name)} is not a valid HTTP header name and value`))
    }
  }
  return Either.right(auth)
}

/**
 * The retries a request asked for, over the server's: `false` for one attempt.
 *
 * @internal
 */
export const policy = (config: McpServerConfig.McpServerConfig, retry: false | McpRetry.RetryOptions | undefined): McpRetry.Policy =>
  retry === undefined ? config.retry : retry === false ? { ...config.retry, times: 1 } : McpRetry.policy(retry, config.retry)

/**
 * Whether a new token for the server would need a user: it has a token source of the
 * authorization code grant, and holds no token.
 *
 * @internal
 */
export const needsUser = (tokenSources: ReadonlyMap<string, McpOAuth.TokenSource>) => (server: string): Effect.Effect<boolean> => {
  const tokens = tokenSources.get(server)
  return tokens === undefined || tokens.grant !== "authorization_code"
    ? Effect.succeed(false)
    : Effect.map(tokens.status, (status) => !status.authorized)
}

/**
 * `request` run without any interactive authorization: a server that would need a user is not
 * asked at all (opening its session would run discovery and registration for nothing, and a call
 * of the application made meanwhile would share the failure), and one whose held token turns out
 * unusable fails rather than calling the `Authorizer`.
 *
 * @internal
 */
export const unlessNeedsUser = <A, E>(
  needsUser: (server: string) => Effect.Effect<boolean>,
  config: McpServerConfig.McpServerConfig,
  request: Effect.Effect<A, E>
): Effect.Effect<A, E | AuthorizationError> =>
  Effect.flatMap(needsUser(config.name), (needed): Effect.Effect<A, E | AuthorizationError> =>
    needed
      ? Effect.fail(new AuthorizationError({ server: config.name, step: "Interaction", detail: TokenSource.notAuthorized }))
      : McpOAuth.nonInteractive(request))
