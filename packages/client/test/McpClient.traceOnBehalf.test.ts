/**
 * Trace context on the requests made on a request's behalf: the tool listing a call needs first
 * (every page of it, to a 2026-07-28 server; `McpTelemetry.test.ts` checks a 2025 one), and the
 * `resources/subscribe` and
 * `resources/unsubscribe` of a subscription, which are client spans of their own.
 */
import { describe, expect, it } from "@effect/vitest"
import { SpanKind } from "@opentelemetry/api"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Fiber from "effect/Fiber"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { McpClient } from "../src/index.js"
import * as Peers from "./support/childPeers.js"
import { eventuallyValue } from "./support/effects.js"
import { otel } from "./support/otel.js"
import { server2026Http } from "./support/server2026Peer.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`
const clientSpans = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((span) => span.kind === SpanKind.CLIENT && span.name === name)
const traceparentIn = (meta: unknown): unknown => typeof meta === "object" && meta !== null && "traceparent" in meta ? meta.traceparent : undefined

describe("trace context on requests made on a call's behalf", () => {
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
  it.scopedLive("resources/subscribe and resources/unsubscribe are client spans whose trace context reaches the server", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const server = yield* Peers.features("features", "http")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const stats = Effect.map(mcp.callTool("features", "stats", {}), (result) => {
        const first = result.content[0]
        return JSON.parse(first !== undefined && first.type === "text" ? first.text : "{}") as {
          readonly active: number
          readonly subscriptionTraces: ReadonlyArray<readonly [string, string | undefined]>
        }
      })
      const stream = yield* Effect.forkScoped(Stream.runDrain(mcp.subscribeResource("features", "mem://one")))
      yield* eventuallyValue(stats, (seen) => seen.active === 1)
      yield* Fiber.interrupt(stream)
      const { subscriptionTraces } = yield* stats
      const [subscribe] = clientSpans(telemetry.spans(), "resources/subscribe")
      const [unsubscribe] = clientSpans(telemetry.spans(), "resources/unsubscribe")
      expect(subscribe!.attributes["mcp.resource.uri"]).toBe("mem://one")
      expect(unsubscribe!.attributes["mcp.resource.uri"]).toBe("mem://one")
      expect(subscriptionTraces).toEqual([["subscribe", traceparentOf(subscribe!)], ["unsubscribe", traceparentOf(unsubscribe!)]])
    }).pipe(Effect.provide(telemetry.layer))
  })
})
