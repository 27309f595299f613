/**
 * The metrics of `McpTelemetry`: the operation and session durations exported through
 * `@effect/opentelemetry`, durations under the TestClock, bounded labels, the in-flight count.
 */
import { describe, expect, it } from "@effect/vitest"
import type { HistogramMetricData, SumMetricData } from "@opentelemetry/sdk-metrics"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as TestClock from "effect/TestClock"
import { McpClient, McpTelemetry } from "../src/index.js"
import * as Telemetry from "../src/internal/telemetry.js"
import { failureOf } from "./support/effects.js"
import { dataPoints, otel } from "./support/otel.js"
import { sdkPeer } from "./support/sdkPeer.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

describe("McpTelemetry metrics with @effect/opentelemetry", () => {
  it.scopedLive("the operation duration is a histogram in seconds with the conventions' buckets, labelled without credentials", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "measured", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("measured", "echo", { text: "1" }, { auth: "secret-token-value" })
      yield* mcp.callTool("measured", "echo", { text: "2" }, { auth: "secret-token-value" })
      yield* failureOf(mcp.callTool("measured", "fail", {}))
      const exported = yield* telemetry.metrics
      const [duration] = dataPoints(exported, McpTelemetry.names.operationDuration) as Array<HistogramMetricData>
      expect(duration!.descriptor.unit).toBe("s")
      const points = duration!.dataPoints.filter((p) => p.attributes["mcp.server"] === "measured")
      const echo = points.find((p) => p.attributes["gen_ai.tool.name"] === "echo")!
      expect(echo.attributes).toEqual({
        "mcp.server": "measured",
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "echo",
        "gen_ai.operation.name": "execute_tool",
        "server.address": "127.0.0.1",
        "server.port": new URL(peer.url).port,
        "network.transport": "tcp",
        "network.protocol.name": "http",
        unit: "s"
      })
      expect(echo.value.count).toBe(2)
      expect(echo.value.buckets.boundaries).toEqual(McpTelemetry.durationBoundaries)
      const fail = points.find((p) => p.attributes["gen_ai.tool.name"] === "fail")!
      expect(fail.attributes["error.type"]).toBe("tool_error")
      expect(JSON.stringify(exported)).not.toContain("secret-token-value")
      expect(JSON.stringify(telemetry.spans().map((span) => [span.attributes, span.events]))).not.toContain("secret-token-value")
      // sessions, in flight
      const inFlight = (dataPoints(exported, McpTelemetry.names.inFlight) as Array<SumMetricData>)
        .flatMap((metric) => metric.dataPoints)
        .find((p) => p.attributes["mcp.server"] === "measured")
      expect(inFlight?.value).toBe(0)
      const summary = (yield* McpTelemetry.operations).find((entry) => entry.server === "measured")!
      expect(summary.count).toBe(3)
      expect(summary.failures).toBe(1)
      expect(summary.p50).toBeGreaterThan(0)
      expect(summary.p99).toBeGreaterThanOrEqual(summary.p50!)
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("a session's duration is recorded when it closes", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const before = yield* Metric.value(
        McpTelemetry.sessionDuration.pipe(Metric.taggedWithLabels([MetricLabel.make("mcp.server", "closing"), MetricLabel.make("network.transport", "tcp"), MetricLabel.make("unit", "s")]))
      )
      expect(before.count).toBe(0)
      yield* Effect.scoped(Effect.gen(function*() {
        const mcp = yield* client({ servers: [{ name: "closing", url: peer.url }], healthInterval: "1 hour" })
        yield* mcp.callTool("closing", "echo", { text: "x" })
      }))
      const after = yield* Metric.value(
        McpTelemetry.sessionDuration.pipe(Metric.taggedWithLabels([MetricLabel.make("mcp.server", "closing"), MetricLabel.make("network.transport", "tcp"), MetricLabel.make("unit", "s")]))
      )
      // the shared session opened by the first health probe, and the call's, are the same one
      expect(after.count).toBe(1)
    }))
})

/** The operation duration of `tools/call` to a server configured without a URL (labels in the order recorded). */
const toolCallDuration = (server: string, tool: string, errorType?: string) =>
  Metric.value(McpTelemetry.operationDuration.pipe(Metric.taggedWithLabels([
    MetricLabel.make("mcp.server", server),
    MetricLabel.make("mcp.method.name", "tools/call"),
    MetricLabel.make("unit", "s"),
    MetricLabel.make("network.transport", "pipe"),
    MetricLabel.make("gen_ai.tool.name", tool),
    MetricLabel.make("gen_ai.operation.name", "execute_tool"),
    ...(errorType === undefined ? [] : [MetricLabel.make("error.type", errorType)])
  ])))

describe("McpTelemetry under the TestClock", () => {
  it.scoped("durations are measured with the Clock", () =>
    Effect.gen(function*() {
      const telemetry = Telemetry.make([{ name: "clocked", url: undefined }])
      const fiber = yield* Effect.fork(telemetry.operation({ server: "clocked", method: "tools/call", tool: "wait" }, () => Effect.sleep("1500 millis")))
      yield* TestClock.adjust("1500 millis")
      yield* fiber.await
      const state = yield* toolCallDuration("clocked", "wait")
      expect(state.count).toBe(1)
      expect(state.sum).toBe(1.5)
      // 1.5 s falls in the bucket (1, 2]
      expect(state.buckets.find(([bound]) => bound === 1)![1]).toBe(0)
      expect(state.buckets.find(([bound]) => bound === 2)![1]).toBe(1)
    }))
})

describe("McpTelemetry: what the metrics hold", () => {
  it.scopedLive("tool names no server answered for share the label _OTHER", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "guessed", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("guessed", "echo", { text: "known" })
      const guesses = Array.from({ length: 1000 }, (_, i) => `made_up_${i}`)
      const failures = yield* Effect.forEach(guesses, (tool) => failureOf(mcp.callTool("guessed", tool, {})), { concurrency: 16 })
      expect(new Set(failures.map((error) => error._tag))).toEqual(new Set(["UnknownToolError"]))
      const toolLabels = new Set(
        (yield* Metric.snapshot)
          .filter((pair) => pair.metricKey.name === McpTelemetry.names.operationDuration && pair.metricKey.tags.some((tag) => tag.key === "mcp.server" && tag.value === "guessed"))
          .flatMap((pair) => pair.metricKey.tags.filter((tag) => tag.key === "gen_ai.tool.name").map((tag) => tag.value))
      )
      expect(toolLabels).toEqual(new Set(["echo", "_OTHER"]))
    }))

  it.scopedLive("a call the client refuses before sending names no tool and carries no response code", () =>
    Effect.gen(function*() {
      const mcp = yield* client({ servers: [{ name: "refusing", url: "http://127.0.0.1:1/mcp" }], healthInterval: "1 hour" })
      // a token with a space cannot be an HTTP header value: refused with -32602, nothing sent
      const refused = yield* Effect.forEach(["invented_a", "invented_b"], (tool) => failureOf(mcp.callTool("refusing", tool, {}, { auth: "has space" })))
      expect(refused.map((error) => [error._tag, "code" in error ? error.code : undefined])).toEqual([["ProtocolError", -32602], ["ProtocolError", -32602]])
      const tags = (yield* Metric.snapshot)
        .filter((pair) => pair.metricKey.name === McpTelemetry.names.operationDuration && pair.metricKey.tags.some((tag) => tag.key === "mcp.server" && tag.value === "refusing"))
        .flatMap((pair) => pair.metricKey.tags.filter((tag) => tag.key === "gen_ai.tool.name" || tag.key === "rpc.response.status_code").map((tag) => `${tag.key}=${tag.value}`))
      expect(new Set(tags)).toEqual(new Set(["gen_ai.tool.name=_OTHER"]))
    }))

  it.scopedLive("a request for a capability the server did not announce is refused locally, with no response code", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "toolsonly", url: peer.url }], healthInterval: "1 hour" })
      // the SDK peer announces tools and logging, no prompts
      const refused = yield* failureOf(mcp.getPrompt("toolsonly", "greet", {}))
      expect(refused).toMatchObject({ _tag: "ProtocolError", code: -32601, refusedLocally: true })
      const codes = (yield* Metric.snapshot)
        .filter((pair) => pair.metricKey.name === McpTelemetry.names.operationDuration && pair.metricKey.tags.some((tag) => tag.key === "mcp.server" && tag.value === "toolsonly"))
        .flatMap((pair) => pair.metricKey.tags.filter((tag) => tag.key === "rpc.response.status_code"))
      expect(codes).toEqual([])
    }))

  it.scoped("an interrupted request leaves nothing in flight", () =>
    Effect.gen(function*() {
      const telemetry = Telemetry.make([{ name: "interrupted", url: undefined }])
      const inFlight = Metric.value(McpTelemetry.inFlight.pipe(Metric.tagged("mcp.server", "interrupted")))
      const started = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(Array.from({ length: 50 }), () =>
        Effect.fork(telemetry.operation({ server: "interrupted", method: "tools/call", tool: "slow" }, () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never))))
      yield* Deferred.await(started)
      expect((yield* inFlight).count).toBeGreaterThan(0)
      yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
      expect((yield* inFlight).count).toBe(0)
      const cancelled = yield* toolCallDuration("interrupted", "_OTHER", "cancelled")
      expect(cancelled.count).toBe(50)
    }))
})
