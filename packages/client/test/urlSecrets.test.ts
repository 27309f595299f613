import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Either from "effect/Either"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { McpClient, McpHttpClient, McpOAuth, McpToolkit } from "../src/index.js"
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
      expect(JSON.stringify([health, yield* mcp.status])).not.toContain(secret)
    }))

  it.scopedLive("reaches no authorization error when the resource metadata URL a challenge names has one in its query", () =>
    Effect.gen(function*() {
      // answers every request, the metadata included, with a body that is not JSON
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const created = Http.createServer((_request, response) => response.writeHead(200).end("not json"))
          created.listen(0, "127.0.0.1", () => resume(Effect.succeed(created)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const settings = Either.getOrThrow(McpOAuth.makeSettings({}))
      const source = yield* McpOAuth.makeTokenSource({ server: "keyed", url: `${origin}/mcp`, settings })
      const error = yield* Effect.flip(source.challenged({
        status: 401,
        wwwAuthenticate: `Bearer resource_metadata="${origin}/meta?key=${secret}"`,
        used: undefined
      }))
      expect(error).toMatchObject({ _tag: "AuthorizationError", step: "Discovery" })
      expect(error.message).toContain(`${origin}/meta`)
      expect(error.message).not.toContain(secret)
    }).pipe(Effect.provide(Layer.mergeAll(McpOAuth.layerMemory, McpHttpClient.layerUndici))))
})
