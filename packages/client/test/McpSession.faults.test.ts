import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { McpHttpClient, McpSession } from "../src/index.js"
import type { TransportError } from "../src/McpError.js"
import { failureOf } from "./support/effects.js"
import { answerJson, type RawHandler, rawPeer, type RawPeerOptions } from "./support/rawPeer.js"

// the platform's client, and the lean one, whose small JSON answers take a way of their own
const httpClients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["McpHttpClient.layerUndici", McpHttpClient.layerUndici]
]

describe.each(httpClients)("McpSession with a misbehaving server, over %s", (_name, httpClient) => {
  const withPeer = <A, E>(
    handle: RawHandler,
    use: (session: McpSession.McpSession) => Effect.Effect<A, E>,
    options?: RawPeerOptions & { readonly maxMessageSize?: number }
  ) =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(handle, options)
      const session = yield* McpSession.make({
        server: "raw",
        url: peer.url,
        ...(options?.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize })
      })
      return yield* use(session)
    }).pipe(Effect.provide(httpClient))

  const transportFailure = (error: unknown): TransportError => {
    expect(error).toHaveProperty("_tag", "TransportError")
    return error as TransportError
  }

  it.scopedLive("invalid JSON is a Decode error that quotes the bytes", () =>
    withPeer((_, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end("{not json")
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.listTools()))
        expect(error.reason).toBe("Decode")
        expect(error.message).toBe(`MCP server "raw": Decode: the answer is not valid JSON: {not json`)
      })))

  it.scopedLive("valid JSON of the wrong shape is a Decode error naming the result and the field", () =>
    withPeer((request, res) => answerJson(res, request.message?.id, { tools: "nope" }), (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.listTools()))
        expect(error.reason).toBe("Decode")
        expect(error.detail).toContain("the tools/list result has the wrong shape")
        expect(error.detail).toContain("tools")
      })))

  it.scopedLive("JSON that is not a JSON-RPC message is a Decode error", () =>
    withPeer((_, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(`"hello"`)
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.ping()))
        expect(error.reason).toBe("Decode")
        expect(error.detail).toBe(`expected a JSON-RPC message object, got the string "hello"`)
      })))

  it.scopedLive("an SSE stream that ends before the answer is Closed", () =>
    withPeer((_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.end(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n`)
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.callTool("t", {})))
        expect(error.reason).toBe("Closed")
        expect(error.message).toMatch(/^MCP server "raw", tool "t": Closed: the SSE stream ended before the answer/)
      })))

  it.scopedLive("an SSE event that is not JSON is a Decode error", () =>
    withPeer((_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(`data: <html>\n\n`)
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.ping()))
        expect(error.reason).toBe("Decode")
        expect(error.detail).toContain("<html>")
      })))

  it.scopedLive("an oversized JSON answer or SSE event is refused at the limit", () =>
    Effect.gen(function*() {
      const big = "x".repeat(4096)
      const json = yield* withPeer(
        (request, res) => answerJson(res, request.message?.id, { big }),
        (session) => failureOf(session.ping()),
        { maxMessageSize: 1024 }
      )
      expect(transportFailure(json).detail).toBe("the answer is larger than the limit of 1024 bytes")
      const chunked = yield* withPeer((request, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write(JSON.stringify({ jsonrpc: "2.0", id: request.message?.id, result: { big } }))
        res.end()
      }, (session) => failureOf(session.ping()), { maxMessageSize: 1024 })
      expect(transportFailure(chunked).detail).toBe("the answer is larger than the limit of 1024 bytes")
      const sse = yield* withPeer((request, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(`data: ${JSON.stringify({ jsonrpc: "2.0", id: request.message?.id, result: { big } })}\n\n`)
      }, (session) => failureOf(session.ping()), { maxMessageSize: 1024 })
      expect(transportFailure(sse).detail).toBe("an SSE event is larger than the limit of 1024")
    }))

  it.scopedLive("an HTTP error status is a Status error with the body excerpt and Retry-After", () =>
    withPeer((_, res) => {
      res.writeHead(503, { "retry-after": "7", "content-type": "text/plain" }).end("overloaded, come back later")
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.callTool("t", {})))
        expect(error.reason).toBe("Status")
        expect(error.status).toBe(503)
        expect(error.retryAfter).toEqual(Duration.seconds(7))
        expect(error.detail).toBe(`"tools/call" was answered with HTTP 503: overloaded, come back later`)
      })))

  it.scopedLive("a request accepted without an answer is a Decode error", () =>
    withPeer((_, res) => {
      res.writeHead(202).end()
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.ping()))
        expect(error.reason).toBe("Decode")
        expect(error.detail).toMatch(/accepted request \d+ with HTTP 202 but sent no answer/)
      })))

  it.scopedLive("a connection cut in the middle of the answer is Closed", () =>
    withPeer((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" })
      res.write(`{"jsonrpc":"2.0",`)
      setTimeout(() => res.destroy(), 10)
    }, (session) =>
      Effect.gen(function*() {
        const error = transportFailure(yield* failureOf(session.ping()))
        expect(error.reason).toBe("Closed")
      })))

  it.scopedLive("a server that picks an unsupported protocol version is refused, and its session deleted", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => undefined, { protocolVersion: "2024-11-05", sessionId: "s-orphan" })
      const error = transportFailure(yield* failureOf(Effect.scoped(McpSession.make({ server: "raw", url: peer.url }))))
      expect(error.reason).toBe("Decode")
      expect(error.detail).toBe(
        "the server chose protocol version 2024-11-05; this client speaks 2025-11-25, 2025-06-18, 2025-03-26"
      )
      const deleted = peer.requests.filter((request) => request.method === "DELETE")
      expect(deleted.map((request) => request.headers["mcp-session-id"])).toEqual(["s-orphan"])
    }).pipe(Effect.provide(httpClient)))

  it.scopedLive("a refused connection is a Connect error", () =>
    Effect.gen(function*() {
      const peer = yield* Effect.scoped(rawPeer(() => undefined))
      const error = transportFailure(yield* failureOf(McpSession.make({ server: "gone", url: peer.url })))
      expect(error.reason).toBe("Connect")
      expect(error.detail).toContain("ECONNREFUSED")
    }).pipe(Effect.provide(httpClient)))

  it.scopedLive("closing the scope finishes even when the server never answers DELETE", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => undefined, { sessionId: "s-1", hangOnDelete: true })
      yield* Effect.scoped(McpSession.make({ server: "raw", url: peer.url, closeTimeout: "100 millis" }))
    }).pipe(Effect.provide(httpClient)))

  it.scopedLive("unknown fields, missing optional fields and non-object structuredContent are accepted", () =>
    withPeer((request, res) => {
      if (request.message?.method === "tools/list") {
        return answerJson(res, request.message.id, {
          tools: [{ name: "t", inputSchema: { type: "object" }, outputSchema: {}, icons: [], _meta: { x: 1 } }],
          _meta: { y: 2 },
          futureField: true
        })
      }
      answerJson(res, request.message?.id, {
        content: [{ type: "text", text: "ok", _meta: {} }],
        structuredContent: "a plain string",
        extra: 1
      })
    }, (session) =>
      Effect.gen(function*() {
        const tools = yield* session.listTools()
        expect(tools.map((tool) => tool.name)).toEqual(["t"])
        const result = yield* session.callTool("t", {})
        expect(result.structuredContent).toBe("a plain string")
        expect(result.content).toEqual([{ type: "text", text: "ok" }])
      }), { initializeExtra: { instructions: "be kind", somethingNew: { a: 1 } } }))
})
