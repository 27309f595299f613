import { describe, expect, it } from "@effect/vitest"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { createTraceState, SpanKind } from "@opentelemetry/api"
import type { HistogramMetricData, SumMetricData } from "@opentelemetry/sdk-metrics"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { McpClient, McpSession, McpTelemetry } from "../src/index.js"
import * as Telemetry from "../src/internal/telemetry.js"
import * as TraceContext from "../src/internal/traceContext.js"
import { eventuallyValue, failureOf } from "./support/effects.js"
import { dataPoints, otel } from "./support/otel.js"
import * as Peers from "./support/childPeers.js"
import { sdkPeer } from "./support/sdkPeer.js"
import { server2026Http } from "./support/server2026Peer.js"

const fastRetry = { base: "5 millis", max: "20 millis" } as const
const stdioFixture = fileURLToPath(new URL("./fixtures/stdioServer.mjs", import.meta.url))

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`
const clientSpans = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((span) => span.kind === SpanKind.CLIENT && span.name === name)
const metaOf = (u: unknown): Record<string, unknown> => typeof u === "object" && u !== null ? { ...u } : {}

describe("McpTelemetry: span names and attributes", () => {
  it("names a span after its method and target, the tool or the prompt", () => {
    expect(Telemetry.spanName({ server: "s", method: "tools/call", tool: "search_restaurants_by_district" })).toBe(
      "tools/call search_restaurants_by_district"
    )
    expect(Telemetry.spanName({ server: "s", method: "prompts/get", prompt: "summary" })).toBe("prompts/get summary")
    expect(Telemetry.spanName({ server: "s", method: "resources/read", uri: "file:///a" })).toBe("resources/read")
    expect(Telemetry.spanName({ server: "s", method: "ping" })).toBe("ping")
  })

  it("gives the conventions' attributes, and of the URL only its host and port", () => {
    const endpoint = Telemetry.endpointAttributes({ url: "https://user:secret@api.example.com/mcp?key=k3y" })
    expect(endpoint).toEqual({ "server.address": "api.example.com", "server.port": 443, "network.transport": "tcp", "network.protocol.name": "http" })
    expect(Telemetry.endpointAttributes({ url: "http://[::1]:8001/mcp" })).toMatchObject({ "server.address": "::1", "server.port": 8001 })
    expect(Telemetry.endpointAttributes({ url: undefined })).toEqual({ "network.transport": "pipe" })
    expect(Telemetry.spanAttributes({ server: "s", method: "tools/call", tool: "t" }, endpoint)).toEqual({
      "mcp.method.name": "tools/call",
      "mcp.server": "s",
      "gen_ai.tool.name": "t",
      "gen_ai.operation.name": "execute_tool",
      ...endpoint
    })
    expect(Telemetry.spanAttributes({ server: "s", method: "prompts/get", prompt: "p" }, {})).toEqual({
      "mcp.method.name": "prompts/get",
      "mcp.server": "s",
      "gen_ai.prompt.name": "p"
    })
    expect(Telemetry.spanAttributes({ server: "s", method: "resources/read", uri: "file:///a" }, {})["mcp.resource.uri"]).toBe("file:///a")
  })

  it("tells the error type: tool_error for an isError result, else the tag", () => {
    expect(Telemetry.errorType({ _tag: "ToolCallError" })).toBe("tool_error")
    expect(Telemetry.errorType({ _tag: "TransportError" })).toBe("TransportError")
    expect(Telemetry.errorType(new Error("x"))).toBe("_OTHER")
  })

  it("merges trace context into params._meta, keeping what is there", () => {
    const meta = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }
    expect(TraceContext.withMeta(undefined, meta)).toEqual({ _meta: meta })
    expect(TraceContext.withMeta({ name: "t", _meta: { progressToken: 3 } }, meta)).toEqual({ name: "t", _meta: { progressToken: 3, ...meta } })
    expect(TraceContext.withMeta([1], meta)).toEqual([1])
  })

  it("writes a W3C traceparent only for W3C ids", () => {
    const span = { _tag: "ExternalSpan", traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: false, context: Context.empty() } as const
    expect(TraceContext.traceMeta(span)).toEqual({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" })
    expect(TraceContext.traceMeta({ ...span, traceId: "native" })).toBeUndefined()
    expect(TraceContext.traceMeta({ ...span, spanId: "0000000000000000" })).toBeUndefined()
  })

  it("estimates quantiles from cumulative buckets", () => {
    const buckets: ReadonlyArray<readonly [number, number]> = [[0.01, 0], [0.02, 50], [0.05, 100], [Infinity, 100]]
    expect(McpTelemetry.quantile(buckets, 100, 0.04, 0.5)).toBeCloseTo(0.02)
    expect(McpTelemetry.quantile(buckets, 100, 0.04, 0.99)).toBeCloseTo(0.02 + 0.02 * (49 / 50))
    expect(McpTelemetry.quantile(buckets, 0, 0, 0.5)).toBeUndefined()
    expect(McpTelemetry.quantile([[0.01, 0], [Infinity, 4]], 4, 500, 0.5)).toBeCloseTo(0.01 + (500 - 0.01) * 0.5)
  })
})

describe("McpTelemetry with @effect/opentelemetry", () => {
  it.scopedLive("a call is a client span with the conventions' attributes, its attempt a child, its trace context at the server", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "traced", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("traced", "echo", { text: "hello" })
      const [call] = clientSpans(telemetry.spans(), "tools/call echo")
      expect(call).toBeDefined()
      const sent = peer.received.filter((request) => request.method === "tools/call")
      expect(sent).toHaveLength(1)
      expect(metaOf(sent[0]!.meta).traceparent).toBe(traceparentOf(call!))
      const port = Number(new URL(peer.url).port)
      expect(call!.attributes).toMatchObject({
        "mcp.method.name": "tools/call",
        "mcp.server": "traced",
        "gen_ai.tool.name": "echo",
        "gen_ai.operation.name": "execute_tool",
        "mcp.protocol.version": "2025-11-25",
        "jsonrpc.request.id": String(sent[0]!.id),
        "server.address": "127.0.0.1",
        "server.port": port,
        "network.transport": "tcp",
        "network.protocol.name": "http"
      })
      expect(typeof call!.attributes["mcp.session.id"]).toBe("string")
      expect(call!.attributes["error.type"]).toBeUndefined()
      const attempts = telemetry.spans().filter((span) => span.name === "mcp.attempt" && parentOf(span) === call!.spanContext().spanId)
      expect(attempts.map((span) => span.attributes["mcp.attempt.number"])).toEqual([1])
      // the call lists the server's tools before it calls one, in the call's trace
      const listed = peer.received.filter((request) => request.method === "tools/list")
      expect(listed.length).toBeGreaterThan(1)
      for (const list of listed) expect(metaOf(list.meta).traceparent).toBe(traceparentOf(call!))
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("a list carries the trace context on every page, and the health probe's ping carries its own", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "lists", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.listTools("lists")
      yield* mcp.checkHealth("lists")
      const [list] = clientSpans(telemetry.spans(), "tools/list")
      const pages = peer.received.filter((request) => request.method === "tools/list")
      expect(pages.length).toBeGreaterThan(1)
      for (const page of pages) expect(metaOf(page.meta).traceparent).toBe(traceparentOf(list!))
      expect(list!.attributes["jsonrpc.request.id"]).toBe(String(pages.at(-1)!.id))
      const pings = clientSpans(telemetry.spans(), "ping")
      const sentPings = peer.received.filter((request) => request.method === "ping")
      expect(sentPings.map((request) => metaOf(request.meta).traceparent)).toContain(traceparentOf(pings.at(-1)!))
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("the health probe of an open 2026-07-28 session is a server/discover span, named as sent", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const server = yield* server2026Http()
      const mcp = yield* client({ servers: [{ name: "modern", url: server.url }], healthInterval: "1 hour" })
      yield* mcp.listTools("modern")
      yield* mcp.checkHealth("modern")
      const [probe] = clientSpans(telemetry.spans(), "server/discover")
      expect(probe!.attributes["mcp.protocol.version"]).toBe("2026-07-28")
      const discovers = (yield* server.received).filter((record) => record.kind === "request" && record.method === "server/discover")
      expect(discovers.map((record) => record.meta?.traceparent)).toContain(traceparentOf(probe!))
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("a health probe that cannot open a session is a failed span and a measured operation", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      // nothing listens on port 1: the connection is refused
      const mcp = yield* client({ servers: [{ name: "down", url: "http://127.0.0.1:1/mcp" }], healthInterval: "1 hour" })
      expect((yield* mcp.checkHealth("down")).status).toBe("unhealthy")
      const probes = clientSpans(telemetry.spans(), "ping").filter((span) => span.attributes["mcp.server"] === "down")
      expect(probes.length).toBeGreaterThan(0)
      expect(probes.every((span) => span.status.code === 2 && span.attributes["error.type"] === "TransportError")).toBe(true)
      const exported = yield* telemetry.metrics
      expect(JSON.stringify(exported)).toContain("mcp.client.operation.duration")
      expect(JSON.stringify(exported)).toContain('"mcp.method.name":"ping"')
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("an external parent's trace and tracestate reach the server", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "joined", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("joined", "add", { a: 1, b: 2 }).pipe(
        OtelTracer.withSpanContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1, traceState: createTraceState("vendor=opaque") })
      )
      const [call] = clientSpans(telemetry.spans(), "tools/call add")
      expect(call!.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c")
      expect(parentOf(call!)).toBe("b7ad6b7169203331")
      const meta = metaOf(peer.received.find((request) => request.method === "tools/call")!.meta)
      expect(meta).toEqual({ traceparent: traceparentOf(call!), tracestate: "vendor=opaque" })
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("over stdio too, the server's handler sees the trace context in _meta", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      expect(existsSync(stdioFixture)).toBe(true)
      const mcp = yield* client({ servers: [{ name: "piped", command: process.execPath, args: [stdioFixture] }], healthInterval: "1 hour" })
      const result = yield* mcp.callTool("piped", "meta", {})
      const [call] = clientSpans(telemetry.spans(), "tools/call meta")
      const first = result.content[0]
      const seen: unknown = JSON.parse(first?.type === "text" ? first.text : "null")
      expect(metaOf(seen).traceparent).toBe(traceparentOf(call!))
      expect(call!.attributes["network.transport"]).toBe("pipe")
      expect(call!.attributes["server.address"]).toBeUndefined()
      expect(call!.attributes["mcp.session.id"]).toBeUndefined()
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("prompts and resources of server-everything: their spans, targets and attributes", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const server = yield* Peers.everything("everything-traced", "http")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      yield* mcp.getPrompt("everything-traced", "args-prompt", { city: "Lisbon" })
      yield* mcp.readResource("everything-traced", "demo://resource/dynamic/text/7")
      yield* mcp.listPrompts("everything-traced")
      const [prompt] = clientSpans(telemetry.spans(), "prompts/get args-prompt")
      expect(prompt!.attributes).toMatchObject({ "mcp.method.name": "prompts/get", "gen_ai.prompt.name": "args-prompt", "network.transport": "tcp" })
      expect(typeof prompt!.attributes["jsonrpc.request.id"]).toBe("string")
      const [read] = clientSpans(telemetry.spans(), "resources/read")
      expect(read!.attributes["mcp.resource.uri"]).toBe("demo://resource/dynamic/text/7")
      expect(clientSpans(telemetry.spans(), "prompts/list")).toHaveLength(1)
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("without a tracer, no trace context is sent", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "untraced", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("untraced", "echo", { text: "plain" })
      const sent = peer.received.filter((request) => request.method === "tools/call")
      expect(sent).toHaveLength(1)
      expect(sent[0]!.meta).toBeUndefined()
    }))

  it.scopedLive("failures: tool_error for an isError result, the tag otherwise; retries are attempts under the call", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "failing", url: peer.url, retry: fastRetry }], healthInterval: "1 hour" })
      yield* failureOf(mcp.callTool("failing", "fail", {}))
      const [failed] = clientSpans(telemetry.spans(), "tools/call fail")
      expect(failed!.attributes["error.type"]).toBe("tool_error")
      expect(failed!.status.code).toBe(2)
      yield* failureOf(mcp.callTool("failing", "invalid", {}))
      const [invalid] = clientSpans(telemetry.spans(), "tools/call invalid")
      expect(invalid!.attributes["error.type"]).toBe("ProtocolError")
      // the JSON-RPC error's code, as a string
      expect(invalid!.attributes["rpc.response.status_code"]).toBe("-32602")
      expect(failed!.attributes["rpc.response.status_code"]).toBeUndefined()

      peer.failNext({ times: 2, status: 503 })
      yield* mcp.callTool("failing", "echo", { text: "again" })
      const [retried] = clientSpans(telemetry.spans(), "tools/call echo")
      expect(retried!.attributes["error.type"]).toBeUndefined()
      const attempts = telemetry.spans().filter((span) => span.name === "mcp.attempt" && parentOf(span) === retried!.spanContext().spanId)
      expect(attempts.map((span) => [span.attributes["mcp.attempt.number"], span.attributes["error.type"]])).toEqual([
        [1, "TransportError"],
        [2, "TransportError"],
        [3, undefined]
      ])
      // each retry is also an event of the call's span (the retry's log line)
      expect(retried!.events.filter((event) => event.name.includes("retrying"))).toHaveLength(2)
      const sent = peer.received.filter((request) => request.method === "tools/call" && metaOf(request.meta).traceparent === traceparentOf(retried!))
      expect(sent).toHaveLength(3)
      expect(retried!.attributes["jsonrpc.request.id"]).toBe(String(sent[2]!.id))

      const exported = yield* telemetry.metrics
      const retries = dataPoints(exported, McpTelemetry.names.retries) as Array<SumMetricData>
      const point = retries.flatMap((metric) => metric.dataPoints).find((p) => p.attributes["mcp.server"] === "failing")
      expect(point?.value).toBe(2)
      expect(point?.attributes["mcp.method.name"]).toBe("tools/call")
      const durations = (dataPoints(exported, McpTelemetry.names.operationDuration) as Array<HistogramMetricData>).flatMap((metric) => metric.dataPoints)
      const invalidPoint = durations.find((p) => p.attributes["mcp.server"] === "failing" && p.attributes["gen_ai.tool.name"] === "invalid")
      expect(invalidPoint?.attributes).toMatchObject({ "error.type": "ProtocolError", "rpc.response.status_code": "-32602" })
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("a call refused by an open circuit is recorded: its span, the rejections and the circuit state", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({
        servers: [{ name: "tripped", url: peer.url, retry: { times: 1 } }],
        healthInterval: "1 hour",
        failureThreshold: 1,
        circuitResetAfter: "1 hour"
      })
      yield* mcp.listTools("tripped")
      peer.failNext({ times: 1, status: 503 })
      expect((yield* failureOf(mcp.callTool("tripped", "add", { a: 1, b: 1 })))._tag).toBe("TransportError")
      expect((yield* failureOf(mcp.callTool("tripped", "add", { a: 1, b: 1 })))._tag).toBe("ServerUnavailableError")
      const [, refused] = clientSpans(telemetry.spans(), "tools/call add")
      expect(refused!.attributes["error.type"]).toBe("ServerUnavailableError")
      const exported = yield* telemetry.metrics
      const rejections = (dataPoints(exported, McpTelemetry.names.circuitRejections) as Array<SumMetricData>)
        .flatMap((metric) => metric.dataPoints)
        .find((p) => p.attributes["mcp.server"] === "tripped")
      expect(rejections?.value).toBe(1)
      const gauge = Metric.value(McpTelemetry.circuitState.pipe(Metric.tagged("mcp.server", "tripped")))
      yield* eventuallyValue(gauge, (state) => state.value === McpTelemetry.circuitStateValue.open)
      // a successful probe closes the circuit, and the gauge follows
      yield* mcp.checkHealth("tripped")
      yield* eventuallyValue(gauge, (state) => state.value === McpTelemetry.circuitStateValue.closed)
    }).pipe(Effect.provide(telemetry.layer))
  })
})

describe("McpSession.RequestOptions: meta and onSend", () => {
  it.scopedLive("meta is merged into params._meta (with a progress token too); onSend hears each request's id and the session", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const session = yield* McpSession.make({ server: "direct", url: peer.url })
      const heard: Array<readonly [string | number, string, string | undefined]> = []
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      const options: McpSession.RequestOptions = {
        meta: { traceparent },
        onSend: (id, info) => heard.push([id, info.protocolVersion, info.sessionId])
      }
      yield* session.callTool("echo", { text: "x" }, options)
      yield* session.callTool("echo", { text: "y" }, { ...options, onProgress: () => Effect.void })
      yield* session.ping(options)
      // negotiation's probe and the handshake carry no request options
      const sent = peer.received.filter((request) => request.method !== "server/discover" && request.method !== "initialize")
      expect(sent.map((request) => request.method)).toEqual(["tools/call", "tools/call", "ping"])
      expect(sent.map((request) => metaOf(request.meta).traceparent)).toEqual([traceparent, traceparent, traceparent])
      expect(metaOf(sent[1]!.meta).progressToken).toBe(sent[1]!.id)
      const info = yield* session.info
      expect(heard).toEqual(sent.map((request) => [request.id, info.protocolVersion, info.sessionId]))
      expect(info.sessionId).toBeDefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("over 2026-07-28, meta joins the revision's own _meta fields and onSend hears each request", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const session = yield* McpSession.make({ server: "modern", url: server.url })
      const heard: Array<readonly [string | number, string]> = []
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
      yield* session.callTool("echo", { text: "x" }, { meta: { traceparent }, onSend: (id, info) => heard.push([id, info.protocolVersion]) })
      const calls = (yield* server.received).filter((record) => record.kind === "request" && record.method === "tools/call")
      expect(calls.map((record) => record.meta?.traceparent)).toEqual([traceparent])
      expect(calls[0]!.meta?.["io.modelcontextprotocol/protocolVersion"]).toBe("2026-07-28")
      expect(heard).toEqual([[calls[0]!.id, "2026-07-28"]])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
