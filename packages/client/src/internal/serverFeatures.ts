/**
 * What servers offer besides tools: resources and their templates, prompts, completion and the
 * logging level. Each request is made of attempts (see `attempt.ts`) on the session of its
 * (server, token), with the deadline, circuit, bulkhead and retries of `callTool`; all of them
 * are safe to repeat. Resource subscriptions are in `subscriptions.ts`.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as McpClient from "../McpClient.js"
import type * as McpConfigFile from "../McpConfigFile.js"
import { type McpClientError, type McpSessionError, ProtocolError, type TransportError, UnknownServerError } from "../McpError.js"
import * as McpRetry from "../McpRetry.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Attempt from "./attempt.js"
import type * as Deadlines from "./deadlines.js"
import type * as SessionPool from "./sessionPool.js"
import * as Subscriptions from "./subscriptions.js"
import { qualify } from "./toolNames.js"
import * as Transport from "./transport.js"

/** @internal */
export type ServerFeatures = Pick<
  McpClient.Service,
  | "listResources"
  | "listResourceTemplates"
  | "readResource"
  | "subscribeResource"
  | "listPrompts"
  | "getPrompt"
  | "complete"
  | "setLoggingLevel"
  | "availableResources"
  | "availablePrompts"
>

/** What the client needs to know of a server before any request. @internal */
export interface Servers {
  /** The server's configuration; fails for an unknown or unusable server, or a closed client. */
  readonly lookup: (server: string) => Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError | TransportError>
}

const TOKEN = /^[\x21-\x7e]+$/

const invalidInput = (server: string, message: string) =>
  Effect.fail(new ProtocolError({ server, code: -32602, message: `MCP server "${server}": ${message}` }))

/** The request's bearer token, once it and the request's headers are known to be sendable. */
const credentials = (
  config: McpServerConfig.McpServerConfig,
  requestOptions: McpClient.RequestOptions
): Effect.Effect<Redacted.Redacted<string> | undefined, ProtocolError> => {
  const server = config.name
  if (config.stdio !== undefined && (requestOptions.auth !== undefined || Object.keys(requestOptions.headers ?? {}).length > 0)) {
    return invalidInput(server, "a stdio server: a bearer token or HTTP headers cannot be forwarded to a child process")
  }
  const raw = requestOptions.auth
  const auth = raw === undefined ? undefined : typeof raw === "string" ? Redacted.make(raw) : raw
  if (auth !== undefined && !TOKEN.test(Redacted.value(auth))) {
    return invalidInput(server, "the bearer token is empty or has characters not allowed in an HTTP header")
  }
  for (const [name, value] of Object.entries(requestOptions.headers ?? {})) {
    if (!Transport.isHeaderName(name) || typeof value !== "string" || !Transport.isHeaderValue(value)) {
      return invalidInput(server, `the header ${JSON.stringify(name)} is not a valid HTTP header name and value`)
    }
  }
  return Effect.succeed(auth)
}

/** The retries a request asked for, over the server's. */
const policyOf = (config: McpServerConfig.McpServerConfig, retry: false | McpRetry.RetryOptions | undefined): McpRetry.Policy =>
  retry === false ? { ...config.retry, times: 1 } : McpRetry.policy(retry, config.retry)

/** Lists are rare: like `listTools`, they keep a fiber of their own. */
const neverOnCallersFiber = () => false

/** @internal */
export const make = (options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly unsupported: ReadonlyArray<McpConfigFile.Unsupported>
  readonly pool: SessionPool.SessionPool
  readonly deadlines: Deadlines.Deadlines
  readonly attempts: Attempt.Attempts
}): ServerFeatures => {
  const { attempts, configs, deadlines, pool } = options
  const byName = new Map(configs.map((config) => [config.name, config]))
  const unsupportedByName = new Map(options.unsupported.map((entry) => [entry.name, entry]))
  const known = [...configs.map((config) => config.name), ...options.unsupported.map((entry) => entry.name)]

  const servers: Servers = {
    lookup: (server) => {
      if (deadlines.isClosed()) return Effect.fail(Transport.transportError({ server }, "Closed", "the MCP client is closed"))
      const config = byName.get(server)
      if (config !== undefined) return Effect.succeed(config)
      const entry = unsupportedByName.get(server)
      return entry === undefined
        ? Effect.fail(new UnknownServerError({ server, known }))
        : Effect.fail(Transport.transportError({ server }, "Connect", `cannot be used: ${entry.reason}`))
    }
  }

  /**
   * `use` on the session of the request's (server, token), as attempts with the deadline,
   * circuit, bulkhead and retries of a call that is safe to repeat.
   */
  const request = <A>(
    server: string,
    requestOptions: McpClient.RequestOptions,
    onCallersFiber: "ifOpen" | "never",
    use: (session: McpSession.McpSession, sessionOptions: McpSession.RequestOptions) => Effect.Effect<A, McpSessionError>
  ): Effect.Effect<A, McpClientError> =>
    Effect.gen(function*() {
      const config = yield* servers.lookup(server)
      const auth = yield* credentials(config, requestOptions)
      const timeout = requestOptions.timeout === undefined ? config.timeout : Duration.decode(requestOptions.timeout)
      // the attempt's deadline, which also covers opening the session, is the only timer
      const sessionOptions: McpSession.RequestOptions = { timeout: Duration.infinity, headers: requestOptions.headers }
      const state = Attempt.safeState()
      const attempt = attempts.run(
        config,
        undefined,
        timeout,
        state,
        onCallersFiber === "never" ? neverOnCallersFiber : () => pool.ready(config, auth) !== undefined,
        () => pool.use(config, auth, (session) => use(session, sessionOptions))
      )
      return yield* attempts.withRetries(config, undefined, policyOf(config, requestOptions.retry), state, attempt)
    })

  /** The session's list of `kind`, from its cache, else fetched (every page) and kept. */
  const listOf = <K extends SessionPool.ListKind>(kind: K) =>
  (session: McpSession.McpSession, sessionOptions: McpSession.RequestOptions): Effect.Effect<SessionPool.Lists[K], McpSessionError> => {
    const cached = pool.cached(kind, session)
    return cached === undefined ? pool.fetch(kind, session, sessionOptions) : Effect.succeed(cached)
  }

  /** The list of `kind` of every server, one attempt each; a server that fails is left out. */
  const acrossServers = <K extends SessionPool.ListKind>(kind: K) =>
    Effect.suspend(() => {
      if (deadlines.isClosed()) return Effect.succeed([])
      return Effect.forEach(configs, (config) =>
        request(config.name, { retry: false }, "never", listOf(kind)).pipe(
          Effect.map((items) => ({ server: config.name, items })),
          Effect.catchAll((error) => Effect.as(Effect.logDebug(`left out of the available ${kind}`, error.message), { server: config.name, items: [] }))
        ), { concurrency: "unbounded" })
    })

  /** Items of every server under unique names, in server order then list order. */
  const qualified = <A extends { readonly name: string }>(listed: ReadonlyArray<{ readonly server: string; readonly items: ReadonlyArray<A> }>) => {
    const flat = listed.flatMap(({ items, server }) => items.map((item) => ({ server, item })))
    const names = qualify(flat.map(({ item, server }) => ({ server, tool: item.name })))
    return flat.map(({ item, server }, i) => ({ server, item, qualifiedName: names[i]! }))
  }

  const subscriptions = Subscriptions.make({ servers, pool, attempts })

  return {
    listResources: (server, requestOptions = {}) => request(server, requestOptions, "never", listOf("resources")),
    listResourceTemplates: (server, requestOptions = {}) => request(server, requestOptions, "never", listOf("resourceTemplates")),
    readResource: (server, uri, requestOptions = {}) =>
      request(server, requestOptions, "ifOpen", (session, sessionOptions) => session.readResource(uri, sessionOptions)),
    subscribeResource: subscriptions.subscribe,
    listPrompts: (server, requestOptions = {}) => request(server, requestOptions, "never", listOf("prompts")),
    getPrompt: (server, name, args, requestOptions = {}) =>
      request(server, requestOptions, "ifOpen", (session, sessionOptions) => session.getPrompt(name, args, sessionOptions)),
    complete: (server, ref, argument, context, requestOptions = {}) =>
      request(server, requestOptions, "ifOpen", (session, sessionOptions) => session.complete(ref, argument, context, sessionOptions)),
    setLoggingLevel: (server, level: McpSchema.LoggingLevel, requestOptions = {}) =>
      request(server, requestOptions, "ifOpen", (session, sessionOptions) =>
        Effect.zipRight(session.setLoggingLevel(level, sessionOptions), Effect.sync(() => pool.keepLoggingLevel(session, level)))),
    availableResources: Effect.map(acrossServers("resources"), (listed) =>
      qualified(listed).map(({ item, qualifiedName, server }): McpClient.QualifiedResource => ({
        server,
        name: item.name,
        qualifiedName,
        uri: item.uri,
        resource: item
      }))),
    availablePrompts: Effect.map(acrossServers("prompts"), (listed) =>
      qualified(listed).map(({ item, qualifiedName, server }): McpClient.QualifiedPrompt => ({
        server,
        name: item.name,
        qualifiedName,
        prompt: item
      })))
  }
}
