/**
 * Every request but a tool call: the lists of tools, resources and their templates, and prompts
 * (of one server, and across servers), reads, prompts, completion and the logging level. Each
 * request is made of attempts (see `attempt.ts`) on the session of its
 * (server, token), with the deadline, circuit, bulkhead and retries of `callTool`; all of them
 * are safe to repeat. Resource subscriptions are in `subscriptions.ts`.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as McpClient from "../McpClient.js"
import type { McpClientError, McpSessionError } from "../McpError.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Attempt from "./attempt.js"
import type * as Deadlines from "./deadlines.js"
import * as Lists from "./lists.js"
import type * as SessionPool from "./sessionPool.js"
import * as Servers from "./servers.js"
import * as Subscriptions from "./subscriptions.js"
import type * as Telemetry from "./telemetry.js"
import { qualify } from "./toolNames.js"

/** @internal */
export type ServerFeatures = Pick<
  McpClient.Service,
  | "listTools"
  | "availableTools"
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

/** Lists are rare: like `listTools`, they keep a fiber of their own. */
const neverOnCallersFiber = () => false

/** @internal */
export const make = (options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly pool: SessionPool.SessionPool
  readonly deadlines: Deadlines.Deadlines
  readonly attempts: Attempt.Attempts
  readonly servers: Servers.Servers
  /** Whether a token for the server would need a user now (see `Servers.needsUser`). */
  readonly needsUser: (server: string) => Effect.Effect<boolean>
  readonly telemetry: Telemetry.Telemetry
}): ServerFeatures => {
  const { attempts, configs, deadlines, pool, servers, telemetry } = options

  /**
   * `use` on the session of the request's (server, token), as attempts with the deadline,
   * circuit, bulkhead and retries of a call that is safe to repeat.
   */
  const request = <A>(
    server: string,
    method: string,
    requestOptions: McpClient.RequestOptions,
    onCallersFiber: "ifOpen" | "never",
    use: (session: McpSession.McpSession, sessionOptions: McpSession.RequestOptions) => Effect.Effect<A, McpSessionError>,
    target: { readonly prompt?: string; readonly uri?: string } = {}
  ): Effect.Effect<A, McpClientError> =>
    telemetry.operation({ server, method, ...target }, (trace) =>
      Effect.gen(function*() {
        const config = yield* servers.lookup(server)
        const auth = yield* Servers.credentials(config, undefined, requestOptions)
        const timeout = requestOptions.timeout === undefined ? config.timeout : Duration.decode(requestOptions.timeout)
        // the attempt's deadline, which also covers opening the session, is the only timer
        const base: McpSession.RequestOptions = { timeout: Duration.infinity, headers: requestOptions.headers }
        const sessionOptions = trace.requestOptions(base)
        const state = Attempt.safeState()
        const attempt = attempts.run(
          config,
          undefined,
          timeout,
          state,
          onCallersFiber === "never" ? neverOnCallersFiber : () => pool.ready(config, auth) !== undefined,
          () => pool.use(config, auth, (session) => use(session, sessionOptions))
        )
        return yield* attempts.withRetries(
          config,
          { method },
          Servers.policy(config, requestOptions.retry),
          state,
          trace.attempt(attempt)
        )
      }))

  /** The session's list of `kind`, from its cache, else fetched (every page) and kept. */
  const listOf = <K extends Lists.ListKind>(kind: K) =>
  (session: McpSession.McpSession, sessionOptions: McpSession.RequestOptions): Effect.Effect<Lists.Lists[K], McpSessionError> => {
    const cached = pool.cached(kind, session)
    return cached === undefined ? pool.fetch(kind, session, sessionOptions) : Effect.succeed(cached)
  }

  /**
   * The list of `kind` of every server, one attempt each; a server that fails is left out, and so
   * is one that would need a user's authorization: a listing never brings a user in.
   */
  const acrossServers = <K extends Lists.ListKind>(kind: K) =>
    Effect.suspend(() => {
      if (deadlines.isClosed()) return Effect.succeed([])
      return Effect.forEach(configs, (config) =>
        Servers.unlessNeedsUser(options.needsUser, config, request(config.name, Lists.listMethods[kind], { retry: false }, "never", listOf(kind))).pipe(
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

  const subscriptions = Subscriptions.make({ servers, pool, attempts, telemetry })

  return {
    listTools: (server, requestOptions = {}) => request(server, "tools/list", requestOptions, "never", listOf("tools")),
    availableTools: Effect.map(acrossServers("tools"), (listed) =>
      qualified(listed).map(({ item, qualifiedName, server }): McpClient.QualifiedTool => ({
        server,
        name: item.name,
        qualifiedName,
        tool: item
      }))),
    listResources: (server, requestOptions = {}) => request(server, "resources/list", requestOptions, "never", listOf("resources")),
    listResourceTemplates: (server, requestOptions = {}) => request(server, "resources/templates/list", requestOptions, "never", listOf("resourceTemplates")),
    readResource: (server, uri, requestOptions = {}) =>
      request(server, "resources/read", requestOptions, "ifOpen", (session, sessionOptions) => session.readResource(uri, sessionOptions), { uri }),
    subscribeResource: subscriptions.subscribe,
    listPrompts: (server, requestOptions = {}) => request(server, "prompts/list", requestOptions, "never", listOf("prompts")),
    getPrompt: (server, name, args, requestOptions = {}) =>
      request(server, "prompts/get", requestOptions, "ifOpen", (session, sessionOptions) => session.getPrompt(name, args, sessionOptions), { prompt: name }),
    complete: (server, ref, argument, context, requestOptions = {}) =>
      request(server, "completion/complete", requestOptions, "ifOpen", (session, sessionOptions) => session.complete(ref, argument, context, sessionOptions)),
    setLoggingLevel: (server, level: McpSchema.LoggingLevel, requestOptions = {}) =>
      request(server, "logging/setLevel", requestOptions, "ifOpen", (session, sessionOptions) =>
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
