/**
 * What effect-mcp measures, as Effect `Metric`s, and the names of its spans' attributes.
 *
 * Every request the client makes is a span of kind `client` named `{mcp.method.name} {target}`
 * (`tools/call search_restaurants_by_district`, `prompts/get summary`, `resources/read`), after
 * the OpenTelemetry semantic conventions for MCP, with one child span per attempt; its trace
 * context travels to the server in `params._meta` (`traceparent`, `tracestate`). Spans are made
 * only when a tracer that exports them is installed (such as `@effect/opentelemetry`'s): with
 * Effect's built-in tracer, a call costs what it did without telemetry.
 *
 * The metrics below are recorded whatever the tracer, in Effect's metric registry: read them
 * with `Metric.value` or `Metric.snapshot` (see `operations`), or export them with
 * `@effect/opentelemetry`. No attribute, label or event holds a credential: tokens, secrets and
 * header values never reach them, nor the URL beyond its host and port.
 *
 * @example
 * ```ts
 * // Spans and metrics to an OTLP collector (http://localhost:4318), with @effect/opentelemetry
 * import { McpClient } from "@effect-mcp/client"
 * import { NodeSdk } from "@effect/opentelemetry"
 * import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
 * import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
 * import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
 * import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
 * import { Effect, Layer } from "effect"
 *
 * const Telemetry = NodeSdk.layer(() => ({
 *   resource: { serviceName: "my-agent" },
 *   spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
 *   metricReader: new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })
 * }))
 *
 * const program = Effect.gen(function*() {
 *   const mcp = yield* McpClient.McpClient
 *   return yield* mcp.callTool("restaurant-search", "search_restaurants_by_district", { district: "Central" })
 * })
 *
 * program.pipe(
 *   Effect.provide(McpClient.layerNode({ servers: [{ name: "restaurant-search", url: "http://127.0.0.1:8001/mcp" }] })),
 *   Effect.provide(Telemetry),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricState from "effect/MetricState"

/**
 * The bucket boundaries, in seconds, the MCP semantic conventions advise for its durations.
 *
 * @since 0.1.0
 * @category constants
 */
export const durationBoundaries: ReadonlyArray<number> = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

const boundaries = MetricBoundaries.fromIterable(durationBoundaries)

/**
 * The names of the metrics and of the attributes (span attributes and metric labels) effect-mcp
 * records. Those of the conventions keep their names; `mcp.server` (the configured name of the
 * server) and the metrics below `retries` are effect-mcp's own.
 *
 * @since 0.1.0
 * @category constants
 */
export const names = {
  operationDuration: "mcp.client.operation.duration",
  sessionDuration: "mcp.client.session.duration",
  retries: "mcp.client.retries",
  circuitRejections: "mcp.client.circuit.rejections",
  circuitState: "mcp.client.circuit.state",
  inFlight: "mcp.client.operation.in_flight",
  probeDuration: "mcp.client.probe.duration",
  server: "mcp.server",
  method: "mcp.method.name",
  toolName: "gen_ai.tool.name",
  promptName: "gen_ai.prompt.name",
  operationName: "gen_ai.operation.name",
  protocolVersion: "mcp.protocol.version",
  sessionId: "mcp.session.id",
  requestId: "jsonrpc.request.id",
  resourceUri: "mcp.resource.uri",
  serverAddress: "server.address",
  serverPort: "server.port",
  networkTransport: "network.transport",
  networkProtocol: "network.protocol.name",
  errorType: "error.type",
  responseCode: "rpc.response.status_code",
  attempt: "mcp.attempt.number",
  probeStatus: "mcp.probe.status"
} as const

/**
 * How long each request took, from the caller's point of view (attempts, retries and waiting for
 * the session included), in seconds. Labels: `mcp.server`, `mcp.method.name`, `server.address`
 * and `server.port` (HTTP), `network.transport`, `network.protocol.name` (HTTP),
 * `gen_ai.tool.name` (with `gen_ai.operation.name` = `execute_tool`) or `gen_ai.prompt.name` when
 * there is one — `_OTHER` until the server answered for that name, so that names callers make up
 * never grow the metric —, `error.type` when it failed (`tool_error` for a result with
 * `isError: true`, else the error's tag, `cancelled` when the caller gave up),
 * `rpc.response.status_code` when it was answered with a JSON-RPC error (its code), and `unit`
 * (`s`, which `@effect/opentelemetry` exports as the unit).
 *
 * @since 0.1.0
 * @category metrics
 */
export const operationDuration: Metric.Metric.Histogram<number> = Metric.histogram(
  names.operationDuration,
  boundaries,
  "The duration of the MCP request as observed on the client, from the time it was asked until its outcome."
)

/**
 * How long each session stayed open, in seconds, recorded when it closes. Labels: `mcp.server`,
 * `network.transport` (`tcp` for HTTP, `pipe` for stdio), `unit`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const sessionDuration: Metric.Metric.Histogram<number> = Metric.histogram(
  names.sessionDuration,
  boundaries,
  "The duration of the MCP session as observed on the MCP client."
)

/**
 * Attempts made again after a failure. Labels: `mcp.server`, `mcp.method.name`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const retries: Metric.Metric.Counter<number> = Metric.counter(names.retries, {
  description: "MCP requests attempted again after a failure.",
  incremental: true
})

/**
 * Requests refused at once because the server's circuit was open. Label: `mcp.server`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const circuitRejections: Metric.Metric.Counter<number> = Metric.counter(names.circuitRejections, {
  description: "MCP requests refused because the circuit of their server was open.",
  incremental: true
})

/**
 * The circuit of each server: 0 closed, 1 half-open, 2 open. Label: `mcp.server`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const circuitState: Metric.Metric.Gauge<number> = Metric.gauge(names.circuitState, {
  description: "The circuit breaker of the MCP server: 0 closed, 1 half-open, 2 open."
})

/**
 * The value `circuitState` records for each state of a circuit.
 *
 * @since 0.1.0
 * @category constants
 */
export const circuitStateValue: Readonly<Record<"closed" | "half-open" | "open", number>> = {
  closed: 0,
  "half-open": 1,
  open: 2
}

/**
 * Requests in flight (an up-down counter). Label: `mcp.server`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Counter<number> = Metric.counter(names.inFlight, {
  description: "MCP requests in flight.",
  incremental: false
})

/**
 * How long each health probe took, in seconds. Labels: `mcp.server`, `mcp.probe.status`
 * (`healthy` or `unhealthy`), `unit`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const probeDuration: Metric.Metric.Histogram<number> = Metric.histogram(
  names.probeDuration,
  boundaries,
  "The duration of the health probe of an MCP server."
)

/**
 * The requests made of one server so far, from `operationDuration`: how many, how many failed,
 * their total time and their median and 99th percentile (estimated from the buckets), in
 * seconds. `undefined` quantiles when there was no request.
 *
 * @since 0.1.0
 * @category models
 */
export interface OperationSummary {
  readonly server: string
  readonly count: number
  readonly failures: number
  readonly sum: number
  readonly p50: number | undefined
  readonly p99: number | undefined
}

/**
 * The quantile `q` (between 0 and 1) of a histogram, from its cumulative buckets (upper bound,
 * count up to it), by linear interpolation within the bucket it falls in; the last bucket is
 * bounded by `max`. `undefined` for an empty histogram.
 *
 * @since 0.1.0
 * @category utils
 */
export const quantile = (
  buckets: ReadonlyArray<readonly [number, number]>,
  count: number,
  max: number,
  q: number
): number | undefined => {
  if (count === 0) return undefined
  const rank = q * count
  let lower = 0
  let below = 0
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank && cumulative > below) {
      const upper = Math.min(bound, max)
      return lower + (Math.max(upper, lower) - lower) * ((rank - below) / (cumulative - below))
    }
    lower = bound
    below = cumulative
  }
  return Math.max(lower, max)
}

/**
 * One summary per server of the requests recorded so far in `operationDuration` whose method
 * `include` accepts (by default every method but the health probes' `ping`), for dashboards
 * such as `effect-mcp watch`: sample it twice to get requests per second.
 *
 * @since 0.1.0
 * @category getters
 */
export const summarize = (
  include: (method: string) => boolean = (method) => method !== "ping"
): Effect.Effect<ReadonlyArray<OperationSummary>> => Effect.map(Metric.snapshot, (pairs) => {
  const byServer = new Map<string, { count: number; failures: number; sum: number; max: number; buckets: Map<number, number> }>()
  for (const pair of pairs) {
    if (pair.metricKey.name !== names.operationDuration || !MetricState.isHistogramState(pair.metricState)) continue
    const state = pair.metricState
    const label = (name: string) => pair.metricKey.tags.find((tag) => tag.key === name)?.value
    const server = label(names.server)
    const method = label(names.method)
    if (server === undefined || method === undefined || !include(method) || state.count === 0) continue
    const entry = byServer.get(server) ?? { count: 0, failures: 0, sum: 0, max: 0, buckets: new Map<number, number>() }
    entry.count += state.count
    entry.sum += state.sum
    entry.max = Math.max(entry.max, state.max)
    if (label(names.errorType) !== undefined) entry.failures += state.count
    for (const [bound, cumulative] of state.buckets) entry.buckets.set(bound, (entry.buckets.get(bound) ?? 0) + cumulative)
    byServer.set(server, entry)
  }
  return [...byServer].map(([server, entry]): OperationSummary => {
    const buckets = [...entry.buckets].sort(([a], [b]) => a - b)
    return {
      server,
      count: entry.count,
      failures: entry.failures,
      sum: entry.sum,
      p50: quantile(buckets, entry.count, entry.max, 0.5),
      p99: quantile(buckets, entry.count, entry.max, 0.99)
    }
  })
})

/**
 * `summarize()`: the requests of the application (every method but `ping`), per server.
 *
 * @example
 * ```ts
 * import { McpTelemetry } from "@effect-mcp/client"
 * import { Effect } from "effect"
 *
 * const report = Effect.map(McpTelemetry.operations, (servers) =>
 *   servers.map((s) => `${s.server}: ${s.count} calls, p50 ${s.p50}s, p99 ${s.p99}s`))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const operations: Effect.Effect<ReadonlyArray<OperationSummary>> = summarize()
