import type * as McpSchema from "@effect/ai/McpSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Tracer from "effect/Tracer"
import type * as McpClient from "../McpClient.js"
import {
  type McpClientError,
  ProtocolError,
  type ServerUnavailableError,
  type TransportError,
  UnknownServerError,
  UnknownToolError
} from "../McpError.js"
import * as McpHealth from "../McpHealth.js"
import * as McpRetry from "../McpRetry.js"
import * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Abort from "./abort.js"
import * as Deadlines from "./deadlines.js"
import * as Defaults from "./defaults.js"
import * as HealthRegistry from "./healthRegistry.js"
import { NotSent } from "./sessionPool.js"
import * as SessionPool from "./sessionPool.js"
import { qualify } from "./toolNames.js"
import * as Transport from "./transport.js"

const unwrap = <E>(error: E | NotSent): Exclude<E, NotSent> | McpSessionFailure =>
  error instanceof NotSent ? error.error : error as Exclude<E, NotSent>

type McpSessionFailure = NotSent["error"]

/**
 * Only a transport failure says a server is unwell (no connection, a timeout, a cut, bytes that
 * are not MCP, HTTP 5xx, 408, 429); any other answer, even a JSON-RPC error or a 401, proves it
 * alive. Probes and calls are judged alike, so that a token-less probe of a server that demands
 * a token does not open the circuit for callers that have one.
 */
const healthFailure = (error: McpClientError): string | undefined => {
  if (error._tag !== "TransportError") return undefined
  if (error.reason === "Status" && error.status !== undefined && error.status < 500 && error.status !== 408 && error.status !== 429) {
    return undefined
  }
  return error.message
}

const TOKEN = /^[\x21-\x7e]+$/

/** Lets the client's deadline, which also covers opening the session, be the only timer. */
const untimed: McpSession.RequestOptions = { timeout: Duration.infinity }

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** `listTools` and `availableTools` are rare: they keep a fiber of their own. */
const neverOnCallersFiber = () => false

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
    failureThreshold: options.failureThreshold ?? Defaults.failureThreshold,
    resetAfter: Duration.decode(options.circuitResetAfter ?? Defaults.circuitResetAfter)
  }
  const healthInterval = Duration.decode(options.healthInterval ?? Defaults.healthInterval)

  const registry = yield* HealthRegistry.make(probed, circuit)
  const health = registry.states
  const bulkheads = new Map(configs.map((config) => [config.name, Effect.unsafeMakeSemaphore(config.maxConcurrency)]))
  const pool = yield* SessionPool.make(configs, {
    idleTimeToLive: options.sessionIdleTimeToLive ?? Defaults.sessionIdleTimeToLive,
    clientInfo: options.clientInfo
  })
  const deadlines = yield* Deadlines.make
  const abortable = Abort.isHonoured(http)

  const closedError = (server: string, tool?: string) =>
    Transport.transportError({ server, tool }, "Closed", "the MCP client is closed")

  /**
   * One attempt: circuit admission, the concurrency limit, the deadline (which covers waiting for
   * a turn and opening the session too), and its outcome fed to health. `markSent` is called by
   * the attempt just before the request leaves; a deadline reached before that is `NotSent`.
   * `onCallersFiber` says, when the attempt starts, that its session is open: with a free permit
   * and an `HttpClient` that honours `Abort`s, it then runs without a fiber of its own.
   */
  const guarded = <A, E extends McpClientError | NotSent>(
    config: McpServerConfig.McpServerConfig,
    tool: string | undefined,
    timeout: Duration.Duration,
    onCallersFiber: () => boolean,
    attempt: (markSent: () => void) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | TransportError | NotSent | ServerUnavailableError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(registry.admit(config.name), (admission): Effect.Effect<A, E | TransportError | NotSent | ServerUnavailableError> => {
        if (admission === "reject") return registry.unavailable(config.name)
        let sent = false
        const markSent = () => (sent = true)
        const onTimeout = () => {
          const error = Transport.transportError({ server: config.name, tool }, "Timeout", `no answer within ${Duration.format(timeout)}`)
          return sent ? error : new NotSent({ error })
        }
        const bulkhead = bulkheads.get(config.name)!
        const run = Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const at = now + Duration.toMillis(timeout)
          const forked = () => deadlines.onOwnFiber(bulkhead.withPermits(1)(attempt(markSent)), at, onTimeout)
          if (!abortable || !onCallersFiber()) return forked()
          return Effect.flatMap(
            bulkhead.withPermitsIfAvailable(1)(deadlines.onCallersFiber(attempt(markSent), at, onTimeout)),
            (result) => Option.isSome(result) ? Effect.succeed(result.value) : forked()
          )
        })
        return restore(run).pipe(
          Effect.onExit((exit) => {
            if (Exit.isSuccess(exit)) return registry.record(config.name, { _tag: "Success", source: "call" })
            const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
            if (failure === undefined) return admission === "trial" ? registry.abandonTrial(config.name) : Effect.void
            const error = healthFailure(unwrap(failure))
            return registry.record(config.name, error === undefined ? { _tag: "Success", source: "call" } : { _tag: "Failure", source: "call", error })
          })
        )
      })
    )

  const withRetries = <A, E extends McpClientError | NotSent>(
    config: McpServerConfig.McpServerConfig,
    tool: string | undefined,
    policy: McpRetry.Policy,
    safeToRepeat: () => boolean,
    attempt: Effect.Effect<A, E>
  ): Effect.Effect<A, Exclude<E, NotSent> | McpSessionFailure> => {
    if (policy.times <= 1) return Effect.mapError(attempt, unwrap)
    const schedule = () => McpRetry.schedule<E>(policy, {
      retryAfter: (error) => {
        const cause = unwrap(error)
        return cause._tag === "TransportError" ? cause.retryAfter : undefined
      },
      while: (error) =>
        error instanceof NotSent ? McpRetry.isTransient(error.error) : McpRetry.shouldRetry(error as McpClientError, safeToRepeat()),
      onRetry: (retry, delay, error) =>
        Effect.logWarning(`MCP call failed; retrying in ${Duration.format(delay)}`).pipe(
          Effect.annotateLogs({
            server: config.name,
            tool: tool ?? "(tools/list)",
            attempt: `${retry}/${policy.times}`,
            delay: Duration.format(delay),
            cause: unwrap(error).message
          })
        )
    })
    // the retry machinery is set up only once an attempt has failed: that first failure is
    // replayed into it, without a request, so that the schedule sees every failure
    return attempt.pipe(
      Effect.catchAll((first) => {
        let replayed = false
        return Effect.retry(Effect.suspend(() => replayed ? attempt : (replayed = true, Effect.fail(first))), schedule())
      }),
      Effect.mapError(unwrap)
    )
  }

  const lookup = (server: string, tool?: string): Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError | TransportError> => {
    if (deadlines.isClosed()) return Effect.fail(closedError(server, tool))
    const config = byName.get(server)
    if (config !== undefined) return Effect.succeed(config)
    const entry = unsupportedByName.get(server)
    return entry === undefined
      ? Effect.fail(new UnknownServerError({ server, known }))
      : Effect.fail(Transport.transportError({ server, tool }, "Connect", `cannot be used: ${entry.reason}`))
  }

  const toolsOf = (session: McpSession.McpSession) => {
    const cached = pool.cachedTools(session)
    return cached === undefined ? pool.fetchTools(session, untimed) : Effect.succeed(cached)
  }

  /** The tool's definition, from the session's list, listed once more before giving up on it. */
  const definition = (session: McpSession.McpSession, tool: string) => {
    const found = pool.cachedTools(session)?.find((candidate) => candidate.name === tool)
    if (found !== undefined) return Effect.succeed(found)
    return pool.fetchTools(session, untimed).pipe(
      Effect.mapError((error) => new NotSent({ error })),
      Effect.flatMap((tools) => {
        const fresh = tools.find((candidate) => candidate.name === tool)
        return fresh !== undefined
          ? Effect.succeed(fresh)
          : Effect.fail(new UnknownToolError({ server: session.server, tool, available: tools.map((t) => t.name) }))
      })
    )
  }

  const invalidInput = (server: string, tool: string, message: string) =>
    Effect.fail(ProtocolError.fromAnswer({ server, tool, code: -32602, message }))

  const checkInput = (config: McpServerConfig.McpServerConfig, tool: string, args: unknown, callOptions: McpClient.CallOptions) => {
    const server = config.name
    if (config.stdio !== undefined && (callOptions.auth !== undefined || Object.keys(callOptions.headers ?? {}).length > 0)) {
      return invalidInput(server, tool, `${server} is a stdio server: a bearer token or HTTP headers cannot be forwarded to a child process`)
    }
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      return invalidInput(server, tool, `arguments must be a JSON object, got ${Array.isArray(args) ? "an array" : args === null ? "null" : typeof args}`)
    }
    const raw = callOptions.auth
    const auth = raw === undefined ? undefined : typeof raw === "string" ? Redacted.make(raw) : raw
    if (auth !== undefined && !TOKEN.test(Redacted.value(auth))) {
      return invalidInput(server, tool, "the bearer token is empty or has characters not allowed in an HTTP header")
    }
    for (const [name, value] of Object.entries(callOptions.headers ?? {})) {
      if (!Transport.isHeaderName(name) || typeof value !== "string" || !Transport.isHeaderValue(value)) {
        return invalidInput(server, tool, `the header ${JSON.stringify(name)} is not a valid HTTP header name and value`)
      }
    }
    return Effect.succeed(auth)
  }

  const callTool = (server: string, tool: string, args: unknown, callOptions: McpClient.CallOptions = {}) =>
    Effect.gen(function*() {
      const config = yield* lookup(server, tool)
      const auth = yield* checkInput(config, tool, args, callOptions)
      const timeout = callOptions.timeout === undefined ? config.timeout : Duration.decode(callOptions.timeout)
      const policy = callOptions.retry === false ? { ...config.retry, times: 1 } : McpRetry.policy(callOptions.retry, config.retry)
      const requestOptions: McpSession.RequestOptions = { timeout: Duration.infinity, headers: callOptions.headers }
      let safeToRepeat = callOptions.idempotent === true
      // a tool list still to be fetched is fetched by requests of this fiber: the `Abort` reaches them
      const onCallersFiber = () => pool.ready(config, auth) !== undefined
      const attempt = guarded(config, tool, timeout, onCallersFiber, (markSent) =>
        pool.use(config, auth, (session) =>
          Effect.flatMap(definition(session, tool), (found) => {
            if (callOptions.idempotent === undefined) {
              safeToRepeat = found.annotations?.readOnlyHint === true || found.annotations?.idempotentHint === true
            }
            markSent()
            return session.callTool(tool, args as Readonly<Record<string, unknown>>, requestOptions)
          })))
      return yield* withRetries(config, tool, policy, () => safeToRepeat, attempt)
    }).pipe((call) =>
      // Effect's built-in tracer exports nothing, and a span costs about as much as a call on
      // loopback: spans are made only for a tracer that sends them somewhere
      Effect.tracerWith((tracer) =>
        tracer === builtInTracer
          ? call
          : Effect.withSpan(call, "McpClient.callTool", { attributes: { "mcp.server": server, "mcp.tool": tool }, captureStackTrace: false })
      )
    )

  const listTools = (server: string) =>
    Effect.flatMap(lookup(server), (config) =>
      withRetries(config, undefined, config.retry, () => true, guarded(config, undefined, config.timeout, neverOnCallersFiber, () => pool.use(config, undefined, toolsOf))))

  const probeHttp = (config: McpServerConfig.McpServerConfig, url: string) =>
    http.execute(HttpClientRequest.get(url, { headers: config.headers })).pipe(
      Effect.mapError((error) => Transport.fromHttpClientError({ server: config.name }, error)),
      Effect.flatMap((response) =>
        Transport.isSuccess(response)
          ? Transport.discard(response)
          : Effect.flatMap(Transport.statusError({ server: config.name }, response, `GET ${url}`), Effect.fail)
      )
    )

  const probe = (config: McpServerConfig.McpServerConfig) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const check = config.healthUrl === undefined
        ? pool.use(config, undefined, (session) => session.ping(untimed)).pipe(Effect.mapError(unwrap))
        : probeHttp(config, config.healthUrl)
      const exit = yield* Effect.exit(check.pipe(
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => Transport.transportError({ server: config.name }, "Timeout", `no answer to the health probe within ${Duration.format(config.timeout)}`)
        })
      ))
      const responseTimeMs = (yield* Clock.currentTimeMillis) - start
      const failure = Exit.isSuccess(exit)
        ? undefined
        : Option.match(Cause.failureOption(exit.cause), { onNone: () => "the probe ended without an answer", onSome: healthFailure })
      yield* registry.record(
        config.name,
        failure === undefined ? { _tag: "Success", source: "probe", responseTimeMs } : { _tag: "Failure", source: "probe", responseTimeMs, error: failure }
      )
      return (yield* SubscriptionRef.get(health)).get(config.name)!
    })

  const checkKnown = (server: string): Effect.Effect<McpServerConfig.McpServerConfig, UnknownServerError> => {
    const config = byName.get(server)
    return config === undefined ? Effect.fail(new UnknownServerError({ server, known: probed })) : Effect.succeed(config)
  }

  const checkAllHealth = Effect.forEach(configs, probe, { concurrency: "unbounded" }).pipe(Effect.zipRight(SubscriptionRef.get(health)))

  // one loop per server, all started together: a slow probe then delays only its own server
  yield* Effect.forEach(configs, (config) =>
    probe(config).pipe(
      Effect.repeat(Schedule.fixed(healthInterval)),
      Effect.interruptible,
      Effect.forkScoped
    ), { discard: true })

  const availableTools = Effect.gen(function*() {
    if (deadlines.isClosed()) return []
    const listed = yield* Effect.forEach(configs, (config) =>
      guarded(config, undefined, config.timeout, neverOnCallersFiber, () => pool.use(config, undefined, toolsOf)).pipe(
        Effect.map((tools) => tools.map((tool) => ({ server: config.name, tool }))),
        Effect.catchAll((error) => Effect.as(Effect.logDebug("left out of availableTools", unwrap(error).message), []))
      ), { concurrency: "unbounded" })
    const flat = listed.flat()
    const names = qualify(flat.map(({ server, tool }) => ({ server, tool: tool.name })))
    return flat.map(({ server, tool }, i): McpClient.QualifiedTool => ({ server, name: tool.name, qualifiedName: names[i]!, tool }))
  })

  const status = Effect.gen(function*() {
    const states = yield* SubscriptionRef.get(health)
    const counts = pool.openCounts()
    const supported = yield* Effect.forEach(configs, (config) =>
      Effect.gen(function*() {
        const shared = pool.shared(config.name)
        const info = shared === undefined ? undefined : yield* shared.info
        const tools = shared === undefined ? undefined : pool.cachedTools(shared)?.map((tool: McpSchema.Tool) => tool.name)
        return {
          server: config.name,
          transport: config.stdio === undefined ? "http" : "stdio",
          url: config.url,
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
          openSessions: counts.get(config.name) ?? 0
        } satisfies McpClient.ServerStatus
      }))
    const rest = unsupported.map((entry): McpClient.ServerStatus => ({
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
      openSessions: 0
    }))
    return [...supported, ...rest]
  })

  const service: McpClient.Service = {
    callTool,
    listTools,
    availableTools,
    checkHealth: (server) => Effect.flatMap(checkKnown(server), probe),
    checkAllHealth,
    health,
    isHealthy: (server) =>
      Effect.zipRight(checkKnown(server), Effect.map(SubscriptionRef.get(health), (states) => states.get(server)?.status === "healthy")),
    healthyServers: Effect.map(SubscriptionRef.get(health), (states) => probed.filter((name) => states.get(name)?.status === "healthy")),
    status
  }
  return service
})
