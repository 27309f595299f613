/** `McpClient` from `McpClient.layerNode`, driven from Effect, over Streamable HTTP or stdio. */
import { McpClient, type McpServerConfig } from "@effect-mcp/client"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { type Backend, StdioBackend } from "@effect-mcp/client/internal/stdioProcess"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Supervisor from "effect/Supervisor"
import { type BenchClient, type Connected, effectLoops } from "../loops.js"

/** Calls in flight at once, above the benchmark's 16, so that the permit never queues a call. */
const maxConcurrency = 256

const connect = async (
  server: McpServerConfig.Input,
  backend: Backend = "command",
  telemetry: Layer.Layer<never> = Layer.empty,
  onRun: () => void = () => undefined
): Promise<Connected> => {
  // the sse-stream peer sends an info log message with every answer: the other clients drop it,
  // as an application does that does not log a server's info messages
  const runtime = ManagedRuntime.make(
    McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }).pipe(
      Layer.orDie,
      Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Warning)),
      Layer.provide(Layer.succeed(StdioBackend, backend)),
      Layer.provideMerge(telemetry)
    )
  )
  const mcp = await runtime.runPromise(McpClient.McpClient)
  await runtime.runPromise(mcp.listTools(server.name))
  const run = effectLoops(runtime, mcp.callTool(server.name, "echo", { text: "hi" }))
  return {
    run: (workers, bound, latencies) => {
      onRun()
      return run(workers, bound, latencies)
    },
    close: () => runtime.dispose()
  }
}

/** effect-mcp against the MCP endpoint `url`. */
export const effectMcpHttp = (url: string) => connect({ name: "peer", url, maxConcurrency })

export const effectMcp: BenchClient = {
  name: "effect-mcp",
  http: effectMcpHttp,
  stdio: (server) => connect({ name: "peer", command: server.command, args: server.args, maxConcurrency })
}

/**
 * An experiment, over stdio only: the same client with its server processes started by Node's
 * `child_process.spawn` directly instead of `@effect/platform`'s `Command` (see the client's
 * `internal/stdioProcess.ts`), to measure what the `Command` streams cost.
 */
export const effectMcpSpawn: BenchClient = {
  name: "effect-mcp (spawn)",
  stdio: (server) => connect({ name: "peer", command: server.command, args: server.args, maxConcurrency }, "spawn")
}


/**
 * effect-mcp with `@effect/opentelemetry` installed, its spans batched to an in-memory exporter
 * (emptied before each run) and its metrics read by a reader that exports only when asked: what
 * tracing every call costs, against the `effect-mcp` row.
 */
export const effectMcpTraced: BenchClient = {
  name: "effect-mcp + tracer",
  http: (url) => {
    const exporter = new InMemorySpanExporter()
    const telemetry = NodeSdk.layer(() => ({
      resource: { serviceName: "effect-mcp-bench" },
      spanProcessor: new BatchSpanProcessor(exporter),
      metricReader: new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000
      })
    }))
    return connect({ name: "peer", url, maxConcurrency }, "command", Layer.discard(telemetry), () => exporter.reset())
  }
}

/**
 * effect-mcp over HTTP whose runtime tells `supervisor` of every step it runs (the runtime's
 * op supervision), for `profile.ts` to count the steps of a call.
 */
export const effectMcpSupervised = (url: string, supervisor: Supervisor.Supervisor<unknown>) =>
  connect({ name: "peer", url, maxConcurrency }, "command", Layer.merge(RuntimeFlags.enableOpSupervision, Supervisor.addSupervisor(supervisor)))
