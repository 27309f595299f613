/**
 * Trace context on the requests made on a request's behalf: the tool listing a call needs first
 * (every page of it, to a 2025 and a 2026-07-28 server), and the `resources/subscribe` and
 * `resources/unsubscribe` of a subscription, which are client spans of their own.
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanKind } from "@opentelemetry/api"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Fiber from "effect/Fiber"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { McpClient, McpServerConfig, type McpSession } from "../src/index.js"
import * as Attempt from "../src/internal/attempt.js"
import * as Subscriptions from "../src/internal/subscriptions.js"
import * as Telemetry from "../src/internal/telemetry.js"
import { eventually } from "./support/effects.js"
import { otel } from "./support/otel.js"
import { sdkPeer } from "./support/sdkPeer.js"
import { server2026Http } from "./support/server2026Peer.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`
const clientSpans = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((span) => span.kind === SpanKind.CLIENT && span.name === name)
const traceparentIn = (meta: unknown): unknown => typeof meta === "object" && meta !== null && "traceparent" in meta ? meta.traceparent : undefined

describe("trace context on requests made on a call's behalf", () => {
  it.scopedLive("every tools/list page a call needed carries the call's trace context (2025 server)", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* client({ servers: [{ name: "traced", url: peer.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("traced", "echo", { text: "hello" })
      const [call] = clientSpans(telemetry.spans(), "tools/call echo")
      const pages = peer.received.filter((request) => request.method === "tools/list")
      expect(pages.length).toBeGreaterThan(1)
      for (const page of pages) expect(traceparentIn(page.meta)).toBe(traceparentOf(call!))
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("every tools/list page a call needed carries the call's trace context (2026-07-28 server)", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const server = yield* server2026Http(["--page-size", "2"])
      const mcp = yield* client({ servers: [{ name: "traced", url: server.url }], healthInterval: "1 hour" })
      yield* mcp.callTool("traced", "regional", { region: "eu" })
      const [call] = clientSpans(telemetry.spans(), "tools/call regional")
      const pages = (yield* server.received).filter((record) => record.kind === "request" && record.method === "tools/list")
      expect(pages.length).toBeGreaterThan(1)
      for (const page of pages) expect(traceparentIn(page.meta)).toBe(traceparentOf(call!))
    }).pipe(Effect.provide(telemetry.layer))
  })
})

describe("subscriptions are traced requests", () => {
  it.scopedLive("resources/subscribe and resources/unsubscribe are client spans, their trace context given to the session", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const config = yield* McpServerConfig.make({ name: "files", url: "http://127.0.0.1:1/mcp" })
      const given: Array<readonly [string, unknown]> = []
      const unused = () => Effect.dieMessage("not used by subscriptions")
      const session: McpSession.McpSession = {
        server: "files",
        info: unused(),
        listTools: unused,
        callTool: unused,
        ping: unused,
        listResources: unused,
        listResourceTemplates: unused,
        readResource: unused,
        subscribeResource: (_uri, options) => Effect.sync(() => void given.push(["subscribe", traceparentIn(options?.meta)])),
        unsubscribeResource: (_uri, options) => Effect.sync(() => void given.push(["unsubscribe", traceparentIn(options?.meta)])),
        listPrompts: unused,
        getPrompt: unused,
        complete: unused,
        setLoggingLevel: unused,
        close: Effect.void
      }
      const lost = yield* Deferred.make<void>()
      const subscriptions = Subscriptions.make({
        servers: { lookup: () => Effect.succeed(config) },
        attempts: {
          run: (_config, _tool, _timeout, _state, _onCallersFiber, use) => use(),
          withRetries: (_config, _subject, _policy, _state, attempt) => attempt
        } satisfies Attempt.Attempts,
        pool: {
          hold: () => Effect.succeed(session),
          lost: () => lost,
          isEnded: () => false,
          watchResource: () => Effect.void
        },
        telemetry: Telemetry.make([config])
      })
      const stream = yield* Effect.fork(Stream.runDrain(subscriptions.subscribe("files", "file:///a")))
      yield* eventually(() => given.length === 1, "the subscription")
      yield* Fiber.interrupt(stream)
      const [subscribe] = clientSpans(telemetry.spans(), "resources/subscribe")
      const [unsubscribe] = clientSpans(telemetry.spans(), "resources/unsubscribe")
      expect(given).toEqual([["subscribe", traceparentOf(subscribe!)], ["unsubscribe", traceparentOf(unsubscribe!)]])
    }).pipe(Effect.provide(telemetry.layer))
  })
})
