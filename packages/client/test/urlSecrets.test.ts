import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { McpClient, McpToolkit } from "../src/index.js"
import * as Transport from "../src/internal/transport.js"
import { failureOf } from "./support/effects.js"
import { otel } from "./support/otel.js"
import { sdkPeer } from "./support/sdkPeer.js"

const secret = "SECRET-api-key-5f1e"

describe("a key in a server's URL", () => {
  it("shows of a URL only its origin and path", () => {
    expect(Transport.displayUrl(`https://user:${secret}@api.example.com:8443/mcp/v1?api_key=${secret}#${secret}`)).toBe(
      "https://api.example.com:8443/mcp/v1"
    )
    expect(Transport.displayUrl("not a url")).not.toContain("not a url")
  })

  it.scopedLive("reaches no span, metric, error message or model output when the server cannot be reached", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const context = yield* Layer.build(McpClient.layerNode({
        servers: [
          { name: "keyed", url: `${peer.url}?api_key=${secret}`, retry: { times: 1 } },
          // nothing listens on port 1: the connection is refused
          { name: "nowhere", url: `http://127.0.0.1:1/mcp?api_key=${secret}`, retry: { times: 1 } }
        ],
        healthInterval: "1 hour"
      }))
      const mcp = Context.get(context, McpClient.McpClient)
      const built = yield* Effect.provide(McpToolkit.make({ servers: ["keyed"] }), context)
      yield* Effect.promise(() => peer.stop())

      // the first call may find its pooled connection closed; the next one is refused
      const outputs = [
        yield* built.withHandler.handle("keyed__echo", { text: "x" }),
        yield* built.withHandler.handle("keyed__echo", { text: "x" })
      ]
      expect(outputs.map((output) => output.isFailure)).toEqual([true, true])
      expect(outputs[1]!.result).toMatchObject({ isError: true, error: expect.stringContaining(`cannot connect to ${peer.url}`) })
      const refused = yield* failureOf(mcp.callTool("nowhere", "echo", { text: "x" }))
      expect(refused).toMatchObject({ _tag: "TransportError", reason: "Connect" })
      expect(refused.message).toContain("http://127.0.0.1:1/mcp")

      const spans = telemetry.spans()
      expect(spans.some((span) => span.attributes["mcp.server"] === "nowhere" && span.status.code === 2)).toBe(true)
      const exported = yield* telemetry.metrics
      for (
        const seen of [
          outputs.map((output) => [output.result, output.encodedResult]),
          refused.message,
          spans.map((span) => [span.name, span.attributes, span.events, span.status]),
          exported
        ]
      ) {
        expect(JSON.stringify(seen)).not.toContain(secret)
      }
    }).pipe(Effect.provide(telemetry.layer))
  })

  it.scopedLive("reaches no health record when the health probe fails with a status", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      peer.setHealthStatus(503)
      const context = yield* Layer.build(McpClient.layerNode({
        // user info in the URL is kept in the health URL made from it
        servers: [{ name: "probed", url: peer.url.replace("http://", `http://probe:${secret}@`), healthPath: "/health" }],
        healthInterval: "1 hour"
      }))
      const mcp = Context.get(context, McpClient.McpClient)
      const health = yield* mcp.checkHealth("probed")
      expect(health.status).toBe("unhealthy")
      expect(health.error).toContain("HTTP 503")
      expect(health.error).toContain(`GET ${new URL("/health", peer.url).toString()}`)
      expect(JSON.stringify([health, (yield* mcp.status).map((status) => status.health)])).not.toContain(secret)
    }))
})
