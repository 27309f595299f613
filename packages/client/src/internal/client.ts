/**
 * The client service, wired from its parts: the servers' health (`healthRegistry.ts`), their
 * sessions (`sessionPool.ts`), the deadlines of attempts (`deadlines.ts`), the attempts and
 * their retries (`attempt.ts`), what every request learns of its server (`servers.ts`), the
 * requests made of them (`calls.ts` for tool calls, `serverFeatures.ts` for the rest) and the
 * probes (`probes.ts`).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import type * as McpClient from "../McpClient.js"
import * as McpElicitation from "../McpElicitation.js"
import type * as McpHealth from "../McpHealth.js"
import * as McpRoots from "../McpRoots.js"
import * as McpSampling from "../McpSampling.js"
import * as McpOAuth from "../McpOAuth.js"
import * as McpServerConfig from "../McpServerConfig.js"
import * as Abort from "./abort.js"
import * as Attempt from "./attempt.js"
import * as Calls from "./calls.js"
import * as Deadlines from "./deadlines.js"
import * as Defaults from "./defaults.js"
import * as HealthRegistry from "./healthRegistry.js"
import * as OAuthStore from "./oauth/store.js"
import * as Probes from "./probes.js"
import * as ServerFeatures from "./serverFeatures.js"
import * as Servers from "./servers.js"
import * as ServerLog from "./serverLog.js"
import * as SessionPool from "./sessionPool.js"
import * as Telemetry from "./telemetry.js"

/** @internal */
export const make = Effect.fnUntraced(function*(options: McpClient.McpClientOptions) {
  const http = yield* HttpClient.HttpClient
  const configs = yield* McpServerConfig.makeAll(options.servers, options.source ?? "options")
  const unsupported = options.unsupported ?? []
  const circuit: McpHealth.CircuitOptions = {
    failureThreshold: options.failureThreshold ?? Defaults.failureThreshold,
    resetAfter: Duration.decode(options.circuitResetAfter ?? Defaults.circuitResetAfter)
  }

  // what servers may ask of the application: each is answered only if the application provides it
  const handlers = {
    sampling: Option.getOrUndefined(yield* Effect.serviceOption(McpSampling.McpSampling)),
    elicitation: Option.getOrUndefined(yield* Effect.serviceOption(McpElicitation.McpElicitation)),
    roots: Option.getOrUndefined(yield* Effect.serviceOption(McpRoots.McpRoots))
  }

  // the scope closes in reverse: health loops stop, then attempts in flight are cut short, then
  // every session is deleted
  const registry = yield* HealthRegistry.make(configs.map((config) => config.name), circuit)
  // a message published with no subscriber is dropped at once: the stream costs nothing unused
  const serverLogs = yield* PubSub.sliding<ServerLog.Message>(Defaults.serverLogBuffer)
  // runs after the sessions are closed: the streams of server logs end with the client
  yield* Effect.addFinalizer(() => PubSub.shutdown(serverLogs))
  // tokens live in the application's store, else in memory for the client's lifetime
  const tokenStore = Option.getOrUndefined(yield* Effect.serviceOption(McpOAuth.TokenStore)) ?? (yield* OAuthStore.makeMemory)
  const tokenSources = new Map<string, McpOAuth.TokenSource>()
  for (const config of configs) {
    if (config.oauth === undefined || config.url === undefined) continue
    const source = yield* McpOAuth.makeTokenSource({ server: config.name, url: config.url, settings: config.oauth }).pipe(
      Effect.provideService(McpOAuth.TokenStore, tokenStore)
    )
    tokenSources.set(config.name, source)
  }
  const pool = yield* SessionPool.make(configs, {
    tokenSources,
    idleTimeToLive: options.sessionIdleTimeToLive ?? Defaults.sessionIdleTimeToLive,
    clientInfo: options.clientInfo,
    handlers,
    onServerLog: (message) => PubSub.publish(serverLogs, message)
  })
  const deadlines = yield* Deadlines.make
  const attempts = Attempt.make({ configs, registry, deadlines, abortable: Abort.isHonoured(http) })
  const servers = Servers.make({ configs, unsupported, deadlines })
  const needsUser = Servers.needsUser(tokenSources)
  const telemetry = Telemetry.make(configs)
  yield* Telemetry.trackCircuits(registry.states)
  const calls = Calls.make({ pool, deadlines, attempts, servers, telemetry })
  const probes = yield* Probes.make({
    configs,
    needsUser,
    tokenSources,
    unsupported,
    registry,
    pool,
    telemetry,
    healthInterval: Duration.decode(options.healthInterval ?? Defaults.healthInterval)
  })

  const features = ServerFeatures.make({ configs, pool, deadlines, attempts, servers, needsUser, telemetry })

  const service: McpClient.Service = { ...calls, ...features, ...probes, health: registry.states, serverLogs: Stream.fromPubSub(serverLogs) }
  return service
})
