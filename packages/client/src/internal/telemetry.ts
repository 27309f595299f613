/**
 * The client's spans and metrics (see `McpTelemetry`): the span of each request, named and
 * attributed after the OpenTelemetry MCP conventions, with a child span per attempt, whose W3C
 * trace context the request carries (`traceContext.ts`); and the metrics every request records.
 *
 * Spans are made only for a tracer that is not Effect's built-in one (which exports nothing, and
 * whose span costs about as much as a call on loopback): without one, a request records its
 * metrics (a clock read, two counter updates, one histogram update on labels kept from one call
 * to the next) and nothing else.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import * as Tracer from "effect/Tracer"
import type * as McpHealth from "../McpHealth.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as McpTelemetry from "../McpTelemetry.js"
import * as TraceContext from "./traceContext.js"

const names = McpTelemetry.names

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether spans made with `tracer` go anywhere. @internal */
export const isExporting = (tracer: Tracer.Tracer): boolean => tracer !== builtInTracer

/** One request of the client, as its span and metrics describe it. @internal */
export interface Operation {
  readonly server: string
  readonly method: string
  /** The tool called (`tools/call`). */
  readonly tool?: string | undefined
  /** The prompt asked for (`prompts/get`). */
  readonly prompt?: string | undefined
  /** The resource read (`resources/read`). */
  readonly uri?: string | undefined
}

/** `{mcp.method.name} {target}`, the target being the tool or prompt when there is one. @internal */
export const spanName = (operation: Operation): string => {
  const target = operation.tool ?? operation.prompt
  return target === undefined ? operation.method : `${operation.method} ${target}`
}

/** `network.transport` of a session over HTTP or stdio. @internal */
export const networkTransport = (transport: "http" | "stdio"): "tcp" | "pipe" => transport === "http" ? "tcp" : "pipe"

/**
 * Where the server is, as span attributes: host and port of an HTTP server (never the rest of
 * its URL, which may hold a key), or the pipe of a stdio one.
 *
 * @internal
 */
export const endpointAttributes = (config: Pick<McpServerConfig.McpServerConfig, "url">): Readonly<Record<string, string | number>> => {
  if (config.url === undefined) return { [names.networkTransport]: networkTransport("stdio") }
  const transport = { [names.networkTransport]: networkTransport("http"), [names.networkProtocol]: "http" }
  if (!URL.canParse(config.url)) return transport
  const url = new URL(config.url)
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80
  return {
    [names.serverAddress]: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    [names.serverPort]: port,
    ...transport
  }
}

/** The attributes of a request's span known before it is sent. @internal */
export const spanAttributes = (operation: Operation, endpoint: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const attributes: Record<string, unknown> = { [names.method]: operation.method, [names.server]: operation.server, ...endpoint }
  if (operation.tool !== undefined) {
    attributes[names.toolName] = operation.tool
    attributes[names.operationName] = "execute_tool"
  }
  if (operation.prompt !== undefined) attributes[names.promptName] = operation.prompt
  if (operation.uri !== undefined) attributes[names.resourceUri] = operation.uri
  return attributes
}

/**
 * The `error.type` of a failure: `tool_error` for a result with `isError: true`, the tag of a
 * tagged error, else `_OTHER`.
 *
 * @internal
 */
export const errorType = (error: unknown): string => {
  if (Predicate.isTagged(error, "ToolCallError")) return "tool_error"
  return Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? error._tag : "_OTHER"
}

/** The `error.type` of a request's end, `undefined` for a success. @internal */
export const exitErrorType = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return errorType(failure.value)
  return Cause.isInterruptedOnly(exit.cause) ? "cancelled" : "_OTHER"
}

/**
 * What a traced request gives its session requests and its attempts.
 *
 * @internal
 */
export interface Trace {
  /** Adds the trace context (`meta`) and the hook that tells the span the request's id. */
  readonly requestOptions: (base: McpSession.RequestOptions) => McpSession.RequestOptions
  /** One attempt, as a child span of the request's. */
  readonly attempt: <A, E, R>(attempt: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** The trace of a request without a span: its requests and attempts go as they are. */
const untraced: Trace = { requestOptions: (base) => base, attempt: (attempt) => attempt }

const makeTrace = (span: Tracer.Span): Trace => {
  const meta = TraceContext.traceMeta(span)
  let attemptSpan: Tracer.Span | undefined
  let attempts = 0
  const onSend = (id: string | number, info: McpSession.Info) => {
    const requestId = String(id)
    span.attribute(names.requestId, requestId)
    span.attribute(names.protocolVersion, info.protocolVersion)
    if (info.sessionId !== undefined) span.attribute(names.sessionId, info.sessionId)
    attemptSpan?.attribute(names.requestId, requestId)
  }
  return {
    requestOptions: (base) => meta === undefined ? { ...base, onSend } : { ...base, meta, onSend },
    attempt: (attempt) =>
      Effect.suspend(() => {
        const number = ++attempts
        return Effect.useSpan("mcp.attempt", { kind: "internal", attributes: { [names.attempt]: number }, captureStackTrace: false }, (child) => {
          attemptSpan = child
          return attempt.pipe(
            Effect.onExit((exit) =>
              Effect.sync(() => {
                const type = exitErrorType(exit)
                if (type !== undefined) child.attribute(names.errorType, type)
              })
            ),
            Effect.withParentSpan(child)
          )
        })
      })
  }
}

/**
 * Labels kept from one request to the next, as Effect finds a metric's state faster by their
 * identity. Only a cache: emptied when full, since its keys hold names servers chose.
 */
const labelCache = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const labelCacheSize = 4096

const labels = (key: string, make: () => ReadonlyArray<MetricLabel.MetricLabel>): ReadonlyArray<MetricLabel.MetricLabel> => {
  let found = labelCache.get(key)
  if (found === undefined) {
    if (labelCache.size >= labelCacheSize) labelCache.clear()
    found = make()
    labelCache.set(key, found)
  }
  return found
}

const secondsUnit = MetricLabel.make("unit", "s")

const serverLabels = (server: string) => labels(`s\u0000${server}`, () => [MetricLabel.make(names.server, server)])

/** The value of a metric label for names a caller gave that no server answered for. */
const otherName = "_OTHER"

/** How many tool or prompt names of one server may become label values. */
const namesPerServer = 1000

const answerErrors: ReadonlySet<string> = new Set(["ProtocolError", "HeaderMismatchError", "MissingCapabilityError", "UnsupportedVersionError"])

/**
 * `rpc.response.status_code` of a request's end: the code of the JSON-RPC error it was answered
 * with, as a string; `undefined` otherwise, a request the client refused before sending included.
 *
 * @internal
 */
export const responseCode = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return undefined
  const error = failure.value
  return Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" && answerErrors.has(error._tag) &&
      Predicate.hasProperty(error, "code") && typeof error.code === "number" &&
      !(Predicate.hasProperty(error, "refusedLocally") && error.refusedLocally === true)
    ? String(error.code)
    : undefined
}

/** What a client keeps for the metrics of one configured server. */
interface Measured {
  readonly server: string
  readonly endpoint: Readonly<Record<string, string | number>>
  readonly endpointLabels: ReadonlyArray<MetricLabel.MetricLabel>
  /** `{method}\0{name}` of the tools and prompts the server answered for. */
  readonly answeredNames: Set<string>
}

const measuredServer = (config: Pick<McpServerConfig.McpServerConfig, "name" | "url">): Measured => {
  const endpoint = endpointAttributes(config)
  return {
    server: config.name,
    endpoint,
    endpointLabels: Object.entries(endpoint).map(([key, value]) => MetricLabel.make(key, String(value))),
    answeredNames: new Set()
  }
}

/**
 * The tool or prompt as a label value: the caller's name once the server answered for it, else
 * `_OTHER`, so that names callers make up never grow the metrics. A result answers for its name;
 * so does a JSON-RPC error to a tool call, which is only sent for a tool the server listed.
 */
const nameLabel = (measured: Measured, operation: Operation, type: string | undefined, code: string | undefined): string | undefined => {
  const name = operation.tool ?? operation.prompt
  if (name === undefined) return undefined
  const key = `${operation.method}\u0000${name}`
  if (measured.answeredNames.has(key)) return name
  const answered = type === undefined || type === "tool_error" || (operation.tool !== undefined && code !== undefined)
  if (answered && measured.answeredNames.size < namesPerServer) {
    measured.answeredNames.add(key)
    return name
  }
  return otherName
}

const operationLabels = (measured: Measured, operation: Operation, type: string | undefined, code: string | undefined) => {
  const name = nameLabel(measured, operation, type, code)
  return labels(`o\u0000${measured.server}\u0000${operation.method}\u0000${name ?? ""}\u0000${type ?? ""}\u0000${code ?? ""}`, () => {
    const made = [
      MetricLabel.make(names.server, measured.server),
      MetricLabel.make(names.method, operation.method),
      secondsUnit,
      ...measured.endpointLabels
    ]
    if (operation.tool !== undefined) {
      made.push(MetricLabel.make(names.toolName, name ?? otherName), MetricLabel.make(names.operationName, "execute_tool"))
    }
    if (operation.prompt !== undefined) made.push(MetricLabel.make(names.promptName, name ?? otherName))
    if (type !== undefined) made.push(MetricLabel.make(names.errorType, type))
    if (code !== undefined) made.push(MetricLabel.make(names.responseCode, code))
    return made
  })
}

/**
 * The request's metrics: in flight while it runs, then its duration and, when its server's
 * circuit refused it, the rejection. Told the end to `span` too.
 */
const measure = <A, E, R>(
  measured: Measured,
  operation: Operation,
  self: Effect.Effect<A, E, R>,
  span: Tracer.Span | undefined,
  clock: Clock.Clock
): Effect.Effect<A, E, R> => {
  const server = serverLabels(operation.server)
  // counted in and out in one uninterruptible region: an interruption between them would leave
  // the request in flight for ever (`Effect.acquireUseRelease`, with the same guarantee, costs a
  // dozen runtime steps more, a visible share of a loopback call)
  return Effect.uninterruptibleMask((restore) => {
    McpTelemetry.inFlight.unsafeUpdate(1, server)
    const start = clock.unsafeCurrentTimeNanos()
    const done = (exit: Exit.Exit<A, E>) => {
      McpTelemetry.inFlight.unsafeUpdate(-1, server)
      const type = exitErrorType(exit)
      const code = responseCode(exit)
      McpTelemetry.operationDuration.unsafeUpdate(Number(clock.unsafeCurrentTimeNanos() - start) / 1e9, operationLabels(measured, operation, type, code))
      if (type === "ServerUnavailableError") McpTelemetry.circuitRejections.unsafeUpdate(1, server)
      if (type !== undefined) span?.attribute(names.errorType, type)
      if (code !== undefined) span?.attribute(names.responseCode, code)
      return exit
    }
    return Effect.matchCauseEffect(restore(self), {
      onSuccess: (value) => done(Exit.succeed(value)),
      onFailure: (cause) => done(Exit.failCause(cause))
    })
  })
}

/** The telemetry of a client's requests. @internal */
export interface Telemetry {
  /**
   * `run` as the request `operation`: measured, and a span of kind client when a tracer that
   * exports is installed; `run` applies the `Trace` it is given (which changes nothing without
   * a span) to its session requests and attempts.
   */
  readonly operation: <A, E, R>(operation: Operation, run: (trace: Trace) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (configs: ReadonlyArray<Pick<McpServerConfig.McpServerConfig, "name" | "url">>): Telemetry => {
  const servers = new Map(configs.map((config) => [config.name, measuredServer(config)]))
  return {
    operation: (operation, run) => {
      const measured = servers.get(operation.server)
      // a server that is not configured gets no metrics: its name is whatever the caller passed
      if (measured === undefined) return Effect.suspend(() => run(untraced))
      // the tracer and the clock in one runtime step
      return Effect.withFiberRuntime((fiber) => {
        const services = fiber.currentDefaultServices
        const clock = Context.get(services, Clock.Clock)
        if (!isExporting(Context.get(services, Tracer.Tracer))) return measure(measured, operation, run(untraced), undefined, clock)
        return Effect.useSpan(
          spanName(operation),
          { kind: "client", attributes: spanAttributes(operation, measured.endpoint), captureStackTrace: false },
          (span) => Effect.withParentSpan(measure(measured, operation, run(makeTrace(span)), span, clock), span)
        )
      })
    }
  }
}

/** Counts a retry of a request. @internal */
export const retried = (server: string, method: string): Effect.Effect<void> =>
  Effect.sync(() =>
    McpTelemetry.retries.unsafeUpdate(1, labels(`r\u0000${server}\u0000${method}`, () => [MetricLabel.make(names.server, server), MetricLabel.make(names.method, method)]))
  )

/** Records a health probe's duration. @internal */
export const probed = (server: string, millis: number, healthy: boolean): Effect.Effect<void> =>
  Effect.sync(() =>
    McpTelemetry.probeDuration.unsafeUpdate(
      millis / 1000,
      labels(`p\u0000${server}\u0000${healthy}`, () => [
        MetricLabel.make(names.server, server),
        MetricLabel.make(names.probeStatus, healthy ? "healthy" : "unhealthy"),
        secondsUnit
      ])
    )
  )

/** Records the session's duration when the current scope (the session's) closes. @internal */
export const sessionTimed = (server: string, transport: "http" | "stdio"): Effect.Effect<void, never, Scope.Scope> =>
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    return Effect.addFinalizer(() =>
      Effect.sync(() =>
        McpTelemetry.sessionDuration.unsafeUpdate(
          Number(clock.unsafeCurrentTimeNanos() - start) / 1e9,
          labels(`d\u0000${server}\u0000${transport}`, () => [
            MetricLabel.make(names.server, server),
            MetricLabel.make(names.networkTransport, networkTransport(transport)),
            secondsUnit
          ])
        )
      )
    )
  })

/** Keeps `McpTelemetry.circuitState` of every server current until the scope closes. @internal */
export const trackCircuits = (
  states: SubscriptionRef.SubscriptionRef<ReadonlyMap<string, McpHealth.ServerHealth>>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.suspend(() => {
    // a change holds the probes of one turn of the event loop, or one call's outcome: only
    // circuits that moved are set again (with 1 000 servers probed each second, setting every
    // gauge at every change cost a million metric updates a second)
    const set = new Map<string, McpHealth.ServerHealth["circuit"]>()
    return Stream.runForEach(states.changes, (map) =>
      Effect.sync(() => {
        for (const [server, health] of map) {
          if (set.get(server) === health.circuit) continue
          set.set(server, health.circuit)
          McpTelemetry.circuitState.unsafeUpdate(McpTelemetry.circuitStateValue[health.circuit], serverLabels(server))
        }
      }))
  }).pipe(
    Effect.interruptible,
    Effect.forkScoped,
    Effect.asVoid
  )
