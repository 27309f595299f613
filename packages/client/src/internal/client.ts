import type * as McpSchema from "@effect/ai/McpSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as RcMap from "effect/RcMap"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as McpClient from "../McpClient.js"
import {
  type McpClientError,
  ProtocolError,
  ServerUnavailableError,
  type TransportError,
  UnknownServerError,
  UnknownToolError
} from "../McpError.js"
import * as McpHealth from "../McpHealth.js"
import * as McpRetry from "../McpRetry.js"
import * as McpServerConfig from "../McpServerConfig.js"
import * as McpSession from "../McpSession.js"
import * as HealthRegistry from "./healthRegistry.js"
import { qualify } from "./toolNames.js"
import * as Transport from "./transport.js"

class SessionKey extends Data.Class<{
  readonly server: string
  readonly auth: Redacted.Redacted<string> | undefined
}> {}

/** A failure to open a session: the call itself never left, so any transient cause may be retried. */
class NotSent extends Data.TaggedError("NotSent")<{ readonly error: TransportError | ProtocolError }> {}

const unwrap = <E>(error: E | NotSent): E | TransportError | ProtocolError => error instanceof NotSent ? error.error : error

/** Only transport failures say the server is unwell; any answer, even an error, says it is alive. */
const healthFailure = (error: McpClientError): string | undefined => {
  if (error._tag !== "TransportError") return undefined
  if (error.reason === "Status" && error.status !== undefined && error.status < 500 && error.status !== 408 && error.status !== 429) {
    return undefined
  }
  return error.message
}

const TOKEN = /^[\x21-\x7e]+$/

/** @internal */
export const make = Effect.fnUntraced(function*(options: McpClient.McpClientOptions) {
  const http = yield* HttpClient.HttpClient
  const source = options.source ?? "options"
  const configs = yield* McpServerConfig.makeAll(options.servers, source)
  const unsupported = options.unsupported ?? []
  const byName = new Map(configs.map((config) => [config.name, config]))
  const unsupportedByName = new Map(unsupported.map((entry) => [entry.name, entry]))
  const probed = configs.map((config) => config.name)
  const known = [...probed, ...unsupported.map((entry) => entry.name)]
  const circuit: McpHealth.CircuitOptions = {
    failureThreshold: options.failureThreshold ?? 5,
    resetAfter: Duration.decode(options.circuitResetAfter ?? Duration.seconds(30))
  }
  const healthInterval = Duration.decode(options.healthInterval ?? Duration.seconds(30))

  const registry = yield* HealthRegistry.make(probed, circuit)
  const health = registry.states
  const bulkheads = new Map(configs.map((config) => [config.name, Effect.unsafeMakeSemaphore(config.maxConcurrency)]))
  const toolCache = new Map<string, ReadonlyArray<McpSchema.Tool>>()
  const sharedSessions = new Map<string, McpSession.McpSession>()
  const openSessions = new Set<McpSession.McpSession>()

  const sessions = yield* RcMap.make({
    lookup: (key: SessionKey) =>
      Effect.gen(function*() {
        const config = byName.get(key.server)!
        const shared = key.auth === undefined
        const session = yield* McpSession.make({
          server: config.name,
          url: config.url,
          headers: config.headers,
          auth: key.auth,
          timeout: config.timeout,
          clientInfo: options.clientInfo,
          listen: shared,
          onNotification: (notification) =>
            notification.method === "notifications/tools/list_changed"
              ? Effect.sync(() => toolCache.delete(config.name))
              : Effect.void
        })
        openSessions.add(session)
        if (shared) sharedSessions.set(config.name, session)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            openSessions.delete(session)
            if (sharedSessions.get(config.name) === session) sharedSessions.delete(config.name)
          })
        )
        return session
      }),
    idleTimeToLive: options.sessionIdleTimeToLive ?? Duration.minutes(5)
  })
  // RcMap releases its entries one after another; delete them all at once, before it does.
  yield* Effect.addFinalizer(() => Effect.forEach(openSessions, (session) => session.close, { concurrency: "unbounded", discard: true }))
  const inFlight = yield* FiberSet.make<unknown, unknown>()

  const withSession = <A, E>(
    server: string,
    auth: Redacted.Redacted<string> | undefined,
    use: (session: McpSession.McpSession) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | NotSent> => {
    const key = new SessionKey({ server, auth })
    return Effect.scoped(
      RcMap.get(sessions, key).pipe(
        // RcMap keeps a failed acquisition until it idles out; the next call must try afresh
        Effect.tapError(() => RcMap.invalidate(sessions, key)),
        Effect.mapError((error) => new NotSent({ error })),
        Effect.flatMap(use)
      )
    )
  }

  /** One attempt: circuit admission, the concurrency limit, and the outcome fed to health. */
  const guarded = <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    attempt: Effect.Effect<A, E | NotSent>
  ): Effect.Effect<A, E | NotSent | ServerUnavailableError> =>
    Effect.gen(function*() {
      const admission = yield* registry.admit(config.name)
      if (admission === "reject") return yield* registry.unavailable(config.name)
      return yield* bulkheads.get(config.name)!.withPermits(1)(attempt).pipe(
        Effect.onExit((exit) => {
          if (Exit.isSuccess(exit)) return registry.record(config.name, { _tag: "Success", source: "call" })
          const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
          if (failure === undefined) return admission === "trial" ? registry.abandonTrial(config.name) : Effect.void
          const error = healthFailure(unwrap(failure))
          return registry.record(config.name, error === undefined ? { _tag: "Success", source: "call" } : { _tag: "Failure", source: "call", error })
        })
      )
    })

  const withRetries = <A, E extends McpClientError>(
    config: McpServerConfig.McpServerConfig,
    tool: string | undefined,
    policy: McpRetry.Policy,
    safeToRepeat: boolean,
    attempt: Effect.Effect<A, E | NotSent>
  ): Effect.Effect<A, E | TransportError | ProtocolError | ServerUnavailableError> =>
    guarded(config, attempt).pipe(
      Effect.retry({
        schedule: McpRetry.schedule<E | NotSent | ServerUnavailableError>(policy, {
          retryAfter: (error) => {
            const cause = unwrap(error)
            return cause._tag === "TransportError" ? cause.retryAfter : undefined
          },
          onRetry: (retry, delay, error) =>
            Effect.logWarning(`MCP call failed; retrying in ${Duration.format(delay)}`).pipe(
              Effect.annotateLogs({
                server: config.name,
                tool: tool ?? "(tools/list)",
                attempt: `${retry}/${policy.times}`,
                delay: Duration.format(delay),
                cause: unwrap(error).message
              })
            ),
          while: (error) =>
            error instanceof NotSent ? McpRetry.isTransient(error.error) : McpRetry.shouldRetry(error, safeToRepeat)
        })
      }),
      Effect.mapError(unwrap)
    )

  const lookup = (server: string): Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError | TransportError> => {
    const config = byName.get(server)
    if (config !== undefined) return Effect.succeed(config)
    const entry = unsupportedByName.get(server)
    return entry === undefined
      ? Effect.fail(new UnknownServerError({ server, known }))
      : Effect.fail(Transport.transportError({ server }, "Connect", `cannot be used: ${entry.reason}`))
  }

  const fetchTools = (config: McpServerConfig.McpServerConfig, auth: Redacted.Redacted<string> | undefined, policy: McpRetry.Policy) =>
    withRetries(config, undefined, policy, true, withSession(config.name, auth, (session) => session.listTools())).pipe(
      Effect.tap((tools) => Effect.sync(() => toolCache.set(config.name, tools)))
    )

  const listTools = (server: string) =>
    Effect.flatMap(lookup(server), (config) => {
      const cached = toolCache.get(server)
      return cached === undefined ? fetchTools(config, undefined, config.retry) : Effect.succeed(cached)
    })

  /** The tool's definition: from the cache, else listed once more; `undefined` when listing fails. */
  const findTool = (config: McpServerConfig.McpServerConfig, tool: string, auth: Redacted.Redacted<string> | undefined) =>
    Effect.gen(function*() {
      const cached = toolCache.get(config.name)?.find((candidate) => candidate.name === tool)
      if (cached !== undefined) return cached
      const tools = yield* fetchTools(config, auth, config.retry).pipe(
        Effect.catchIf((error) => error._tag !== "ServerUnavailableError", (error) =>
          Effect.as(Effect.logDebug("could not list tools before a call", error.message), undefined))
      )
      if (tools === undefined) return undefined
      const found = tools.find((candidate) => candidate.name === tool)
      if (found !== undefined) return found
      return yield* new UnknownToolError({ server: config.name, tool, available: tools.map((t) => t.name) })
    })

  const invalidInput = (server: string, tool: string, message: string) =>
    Effect.fail(ProtocolError.fromAnswer({ server, tool, code: -32602, message }))

  const callTool = (server: string, tool: string, args: unknown, callOptions: McpClient.CallOptions = {}) =>
    Effect.gen(function*() {
      const config = yield* lookup(server)
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        return yield* invalidInput(server, tool, `arguments must be a JSON object, got ${Array.isArray(args) ? "an array" : args === null ? "null" : typeof args}`)
      }
      const raw = callOptions.auth
      const auth = raw === undefined ? undefined : typeof raw === "string" ? Redacted.make(raw) : raw
      if (auth !== undefined && !TOKEN.test(Redacted.value(auth))) {
        return yield* invalidInput(server, tool, "the bearer token is empty or has characters not allowed in an HTTP header")
      }
      const definition = yield* findTool(config, tool, auth)
      const hints = definition?.annotations
      const safeToRepeat = callOptions.idempotent ?? (hints?.readOnlyHint === true || hints?.idempotentHint === true)
      const policy = callOptions.retry === false ? { ...config.retry, times: 1 } : McpRetry.policy(callOptions.retry, config.retry)
      const requestOptions = { timeout: callOptions.timeout ?? config.timeout, headers: callOptions.headers }
      return yield* withRetries(
        config,
        tool,
        policy,
        safeToRepeat,
        withSession(server, auth, (session) => session.callTool(tool, args as Readonly<Record<string, unknown>>, requestOptions))
      )
    }).pipe(
      Effect.withSpan("McpClient.callTool", { attributes: { "mcp.server": server, "mcp.tool": tool } }),
      interruptOnClose
    )

  /** Runs `effect` as a child of the client's scope, so closing the client interrupts it. */
  function interruptOnClose<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(FiberSet.run(inFlight, Effect.interruptible(effect)), (fiber) =>
        restore(Fiber.join(fiber)).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber))))
    )
  }

  const probe = (config: McpServerConfig.McpServerConfig) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const check = config.healthUrl === undefined
        ? withSession(config.name, undefined, (session) => session.ping({ timeout: config.timeout })).pipe(Effect.mapError(unwrap))
        : probeHttp(config, config.healthUrl)
      const exit = yield* Effect.exit(check.pipe(
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => Transport.transportError({ server: config.name }, "Timeout", `no answer to the health probe within ${Duration.format(config.timeout)}`)
        })
      ))
      const responseTimeMs = (yield* Clock.currentTimeMillis) - start
      yield* registry.record(
        config.name,
        Exit.isSuccess(exit)
          ? { _tag: "Success", source: "probe", responseTimeMs }
          : {
            _tag: "Failure",
            source: "probe",
            responseTimeMs,
            error: Option.match(Cause.failureOption(exit.cause), {
              onNone: () => "the probe ended without an answer",
              onSome: (error) => error.message
            })
          }
      )
      return (yield* SubscriptionRef.get(health)).get(config.name)!
    })

  const probeHttp = (config: McpServerConfig.McpServerConfig, url: string) =>
    http.execute(HttpClientRequest.get(url, { headers: config.headers })).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError({ server: config.name }, error)),
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300
          ? Effect.ignore(Stream.runDrain(response.stream))
          : Effect.flatMap(Transport.statusError({ server: config.name }, response, `GET ${url}`), Effect.fail)
      )
    )

  const checkHealth = (server: string) => Effect.flatMap(checkKnown(server), probe)

  const checkAllHealth = Effect.forEach(configs, probe, { concurrency: "unbounded" }).pipe(
    Effect.flatMap(() => SubscriptionRef.get(health))
  )

  yield* checkAllHealth.pipe(
    Effect.repeat(Schedule.fixed(healthInterval)),
    Effect.interruptible,
    Effect.forkScoped
  )

  const availableTools = Effect.gen(function*() {
    const now = yield* DateTime.now
    const states = yield* SubscriptionRef.get(health)
    const listed = yield* Effect.forEach(configs, (config) => {
      const state = states.get(config.name)!
      if (McpHealth.admit(state, now)[0] === "reject") return Effect.succeed([])
      const cached = toolCache.get(config.name)
      return (cached === undefined ? fetchTools(config, undefined, { ...config.retry, times: 1 }) : Effect.succeed(cached)).pipe(
        Effect.map((tools) => tools.map((tool) => ({ server: config.name, tool }))),
        Effect.catchAll((error) => Effect.as(Effect.logDebug("left out of availableTools", error.message), []))
      )
    }, { concurrency: "unbounded" })
    const flat = listed.flat()
    const names = qualify(flat.map(({ server, tool }) => ({ server, tool: tool.name })))
    return flat.map(({ server, tool }, i): McpClient.QualifiedTool => ({ server, name: tool.name, qualifiedName: names[i]!, tool }))
  })

  const status = Effect.gen(function*() {
    const states = yield* SubscriptionRef.get(health)
    const counts = new Map<string, number>()
    for (const session of openSessions) counts.set(session.server, (counts.get(session.server) ?? 0) + 1)
    const supported = yield* Effect.forEach(configs, (config) =>
      Effect.gen(function*() {
        const shared = sharedSessions.get(config.name)
        const info = shared === undefined ? undefined : yield* shared.info
        const tools = toolCache.get(config.name)?.map((tool) => tool.name)
        return {
          server: config.name,
          url: config.url,
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
          openSessions: counts.get(config.name) ?? 0
        } satisfies McpClient.ServerStatus
      }))
    const rest = unsupported.map((entry): McpClient.ServerStatus => ({
      server: entry.name,
      url: undefined,
      unsupported: entry.reason,
      health: undefined,
      tools: undefined,
      expectedTools: [],
      missingTools: [],
      session: undefined,
      openSessions: 0
    }))
    return [...supported, ...rest]
  })

  const service: McpClient.Service = {
    callTool,
    listTools: (server) => interruptOnClose(listTools(server)),
    availableTools: interruptOnClose(availableTools),
    checkHealth,
    checkAllHealth,
    health,
    isHealthy: (server) =>
      Effect.zipRight(checkKnown(server), Effect.map(SubscriptionRef.get(health), (states) => states.get(server)?.status === "healthy")),
    healthyServers: Effect.map(SubscriptionRef.get(health), (states) => probed.filter((name) => states.get(name)?.status === "healthy")),
    status
  }

  function checkKnown(server: string): Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError> {
    const config = byName.get(server)
    return config === undefined ? Effect.fail(new UnknownServerError({ server, known: probed })) : Effect.succeed(config)
  }

  return service
})
