/**
 * What the client knows of its servers apart from calls: the health probes (one loop per server,
 * and on demand) and `status`.
 *
 * A probe never brings a user in: it runs `McpOAuth.nonInteractive`, and a server whose
 * authorization needs a user and holds no token is not even asked for a session (opening one
 * would run discovery and registration, and a call made meanwhile would share its failure). It
 * gets a token-less `GET` instead: any answer but a server failure (its `401`, typically) proves
 * it alive, and its health is healthy with the `error` "not authorized: …".
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as McpClient from "../McpClient.js"
import type * as McpConfigFile from "../McpConfigFile.js"
import { type McpClientError, UnknownServerError } from "../McpError.js"
import type * as McpHealth from "../McpHealth.js"
import * as McpOAuth from "../McpOAuth.js"
import * as McpRetry from "../McpRetry.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import * as Attempt from "./attempt.js"
import type * as HealthRegistry from "./healthRegistry.js"
import * as Negotiation from "./negotiation.js"
import type * as SessionPool from "./sessionPool.js"
import * as TokenSource from "./oauth/tokenSource.js"
import * as Telemetry from "./telemetry.js"
import * as Transport from "./transport.js"

/** @internal */
export type Probes = Pick<McpClient.Service, "checkHealth" | "checkAllHealth" | "isHealthy" | "healthyServers" | "status">

/**
 * Starts one health loop per server in the current scope, all together (a slow probe then
 * delays only its own server), and gives the on-demand probes and `status`.
 *
 * @internal
 */
export const make = Effect.fnUntraced(function*(options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly unsupported: ReadonlyArray<McpConfigFile.Unsupported>
  readonly registry: HealthRegistry.HealthRegistry
  readonly pool: SessionPool.SessionPool
  readonly healthInterval: Duration.Duration
  readonly tokenSources: ReadonlyMap<string, McpOAuth.TokenSource>
  /** Whether a token for the server would need a user now (see `Servers.needsUser`). */
  readonly needsUser: (server: string) => Effect.Effect<boolean>
  readonly telemetry: Telemetry.Telemetry
}): Effect.fn.Return<Probes, never, HttpClient.HttpClient | Scope.Scope> {
  const http = yield* HttpClient.HttpClient
  const { configs, pool, registry, telemetry } = options
  const health = registry.states
  const byName = new Map(configs.map((config) => [config.name, config]))
  const probed = configs.map((config) => config.name)

  const probeHttp = (config: McpServerConfig.McpServerConfig, url: string) =>
    http.execute(HttpClientRequest.get(url, { headers: config.headers })).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError({ server: config.name }, error)),
      Effect.flatMap((response) =>
        Transport.isSuccess(response)
          ? Transport.discard(response)
          : Effect.flatMap(Transport.statusError({ server: config.name }, response, `GET ${url}`), Effect.fail)
      )
    )

  /** A token-less GET of the endpoint: any answer but a server failure proves the server alive. */
  const probeAlive = (config: McpServerConfig.McpServerConfig, url: string) =>
    http.execute(HttpClientRequest.get(url, { headers: config.headers })).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError({ server: config.name }, error)),
      Effect.flatMap((response) =>
        McpRetry.isServerFailureStatus(response.status)
          ? Effect.flatMap(Transport.statusError({ server: config.name }, response, `GET ${url}`), Effect.fail)
          : Transport.discard(response)
      )
    )

  /**
   * What the probe's `ping` is sent as, for its span: `server/discover` on a 2026-07-28 session.
   * The span must open before the session (so that a probe that cannot open one is a failed
   * span), so the revision is the open session's or the pinned one; a session about to be
   * negotiated counts as 2025 until it is open.
   */
  const pingMethod = (config: McpServerConfig.McpServerConfig) =>
    Effect.gen(function*() {
      const shared = pool.shared(config.name)
      const version = shared === undefined ? config.protocolVersion : (yield* shared.info).protocolVersion
      return Negotiation.isModern(version) ? "server/discover" : "ping"
    })

  /** What a probe of the server observes; recorded by the caller. */
  const observe = (config: McpServerConfig.McpServerConfig) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const unauthorized = yield* options.needsUser(config.name)
      const check: Effect.Effect<void, McpClientError> = config.healthUrl !== undefined
        ? probeHttp(config, config.healthUrl)
        : unauthorized && config.url !== undefined
        ? probeAlive(config, config.url)
        : Effect.flatMap(pingMethod(config), (method) =>
          telemetry.operation({ server: config.name, method }, (trace) =>
            pool.use(config, undefined, (session) => session.ping(trace.requestOptions(Attempt.untimed)))))
      const exit = yield* Effect.exit(check.pipe(
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => Transport.transportError({ server: config.name }, "Timeout", `no answer to the health probe within ${Duration.format(config.timeout)}`)
        }),
        McpOAuth.nonInteractive
      ))
      const responseTimeMs = (yield* Clock.currentTimeMillis) - start
      const error = Exit.isSuccess(exit) ? undefined : Cause.failureOption(exit.cause)
      const failure = error === undefined ? undefined : Option.match(error, {
        onNone: () => "the probe ended without an answer",
        onSome: (error) => McpRetry.isServerFailure(error) ? error.message : undefined
      })
      // the server answered, but will not serve this client until it is authorized
      const refusal = error !== undefined && Option.isSome(error) && error.value._tag === "AuthorizationError" ? error.value : undefined
      const detail = unauthorized || refusal?.step === "Interaction"
        ? TokenSource.notAuthorized
        : refusal !== undefined
        ? `authorization failed (${refusal.step}): ${refusal.detail}`
        : undefined
      yield* Telemetry.probed(config.name, responseTimeMs, failure === undefined)
      return failure === undefined
        ? { _tag: "Success", source: "probe", responseTimeMs, detail } satisfies McpHealth.Observation
        : { _tag: "Failure", source: "probe", responseTimeMs, error: failure } satisfies McpHealth.Observation
    })

  /** A probe asked for: its health is the one it returns. */
  const probe = (config: McpServerConfig.McpServerConfig) =>
    observe(config).pipe(
      Effect.flatMap((observation) => registry.record(config.name, observation)),
      Effect.zipRight(SubscriptionRef.get(health)),
      Effect.map((states) => states.get(config.name)!)
    )

  const checkKnown = (server: string): Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError> => {
    const config = byName.get(server)
    return config === undefined ? Effect.fail(new UnknownServerError({ server, known: probed })) : Effect.succeed(config)
  }

  // the loops' observations are published a turn of the event loop later, together
  yield* Effect.forEach(configs, (config) =>
    Effect.flatMap(observe(config), (observation) => registry.recordSoon(config.name, observation)).pipe(
      Effect.repeat(Schedule.fixed(options.healthInterval)),
      Effect.interruptible,
      Effect.forkScoped
    ), { discard: true })

  const status = Effect.gen(function*() {
    const states = yield* SubscriptionRef.get(health)
    const counts = pool.openCounts()
    const supported = yield* Effect.forEach(configs, (config) =>
      Effect.gen(function*() {
        const shared = pool.shared(config.name)
        const info = shared === undefined ? undefined : yield* shared.info
        const tools = shared === undefined ? undefined : pool.cachedTools(shared)?.map((tool: McpSchema.Tool) => tool.name)
        const tokens = options.tokenSources.get(config.name)
        const authorization = tokens === undefined ? undefined : yield* tokens.status
        return {
          server: config.name,
          transport: config.stdio === undefined ? "http" : "stdio",
          url: config.url === undefined ? undefined : Transport.displayUrl(config.url),
          command: config.stdio === undefined ? undefined : [config.stdio.command, ...config.stdio.args].join(" "),
          unsupported: undefined,
          health: states.get(config.name),
          tools,
          expectedTools: config.tools,
          missingTools: tools === undefined ? [] : config.tools.filter((tool) => !tools.includes(tool)),
          session: info === undefined ? undefined : {
            protocolVersion: info.protocolVersion,
            stateful: info.sessionId !== undefined,
            serverInfo: { name: info.serverInfo.name, version: info.serverInfo.version }
          },
          openSessions: counts.get(config.name) ?? 0,
          authorization
        } satisfies McpClient.ServerStatus
      }))
    const rest = options.unsupported.map((entry): McpClient.ServerStatus => ({
      server: entry.name,
      transport: undefined,
      url: undefined,
      command: undefined,
      unsupported: entry.reason,
      health: undefined,
      tools: undefined,
      expectedTools: [],
      missingTools: [],
      session: undefined,
      openSessions: 0,
      authorization: undefined
    }))
    return [...supported, ...rest]
  })

  const isHealthy = (states: ReadonlyMap<string, McpHealth.ServerHealth>, server: string) => states.get(server)?.status === "healthy"

  return {
    checkHealth: (server) => Effect.flatMap(checkKnown(server), probe),
    checkAllHealth: Effect.forEach(configs, probe, { concurrency: "unbounded" }).pipe(Effect.zipRight(SubscriptionRef.get(health))),
    isHealthy: (server) => Effect.zipRight(checkKnown(server), Effect.map(SubscriptionRef.get(health), (states) => isHealthy(states, server))),
    healthyServers: Effect.map(SubscriptionRef.get(health), (states) => probed.filter((server) => isHealthy(states, server))),
    status
  }
})
