/**
 * The same answers in every framing a server may choose (length announced, chunked, SSE events
 * split across chunks), through the lean undici client and through @effect/platform's, against a
 * real loopback peer: each client reads bodies by its own path, and both must agree.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Http from "node:http"
import { McpClient, McpSession } from "../src/index.js"
import type { TransportError } from "../src/McpError.js"
import { failureOf } from "./support/effects.js"
import { type RawHandler, rawPeer } from "./support/rawPeer.js"

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["the lean undici client", McpClient.layerUndici],
  ["@effect/platform's undici client", NodeHttpClient.layerUndici]
]

/** Writes `parts` as separate chunks of a chunked body, one per turn of the event loop, then ends it. */
const dribble = (res: Http.ServerResponse, parts: ReadonlyArray<string>, end = true) => {
  const next = (i: number) => {
    if (i === parts.length) {
      if (end) res.end()
      return
    }
    res.write(parts[i])
    setTimeout(() => next(i + 1), 1)
  }
  next(0)
}

/** Splits `text` into `count` parts of about the same length. */
const split = (text: string, count: number): Array<string> => {
  const size = Math.ceil(text.length / count)
  return Array.from({ length: count }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((part) => part !== "")
}

const chunkedJson = (res: Http.ServerResponse) => res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" })

const sseHead = (res: Http.ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream", "transfer-encoding": "chunked" })

const answerText = (id: string | number | undefined, text: string) =>
  JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } })

const sseEvent = (message: unknown) => `event: message\ndata: ${JSON.stringify(message)}\n\n`

const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p", progress: 1 } }

const transportFailure = (error: unknown): TransportError => {
  expect(error).toHaveProperty("_tag", "TransportError")
  return error as TransportError
}

for (const [name, client] of clients) {
  describe(`answers in every framing, through ${name}`, () => {
    const withPeer = <A, E>(
      handle: RawHandler,
      use: (session: McpSession.McpSession, notifications: ReadonlyArray<string>) => Effect.Effect<A, E>,
      maxMessageSize?: number
    ) =>
      Effect.gen(function*() {
        const peer = yield* rawPeer(handle)
        const notifications: Array<string> = []
        const session = yield* McpSession.make({
          server: "raw",
          url: peer.url,
          onNotification: (notification) => Effect.sync(() => notifications.push(notification.method)),
          ...(maxMessageSize === undefined ? {} : { maxMessageSize })
        })
        return yield* use(session, notifications)
      }).pipe(Effect.provide(client))

    it.scopedLive("a chunked JSON answer is read whole", () =>
      withPeer((request, res) => {
        chunkedJson(res)
        dribble(res, split(answerText(request.message?.id, "chunked hello"), 4))
      }, (session) =>
        Effect.gen(function*() {
          const result = yield* session.callTool("t", {})
          expect(result.content).toEqual([{ type: "text", text: "chunked hello" }])
        })))

    it.scopedLive("an informational answer before the answer is passed over, its headers with it", () =>
      withPeer((request, res) => {
        // headers that would make it a stream, were it taken for the answer
        res.writeEarlyHints({ link: "</style.css>; rel=preload", "content-type": "text/event-stream" })
        chunkedJson(res)
        dribble(res, [answerText(request.message?.id, "after 103")])
      }, (session) =>
        Effect.gen(function*() {
          const result = yield* session.callTool("t", {})
          expect(result.content).toEqual([{ type: "text", text: "after 103" }])
        })))

    it.scopedLive("an answer of 2 MiB written at once is read whole, its reader setting the pace", () => {
      const big = "z".repeat(2 * 1024 * 1024)
      return withPeer((request, res) => {
        chunkedJson(res)
        res.end(answerText(request.message?.id, big))
      }, (session) =>
        Effect.gen(function*() {
          const result = yield* session.callTool("t", {})
          expect(result.content).toEqual([{ type: "text", text: big }])
        }), 4 * 1024 * 1024)
    })

    it.scopedLive("a chunked SSE answer delivers the notification before it, then the answer", () =>
      withPeer((request, res) => {
        sseHead(res)
        const answer = sseEvent(JSON.parse(answerText(request.message?.id, "after the notification")))
        // the answer event itself is split across chunks too
        dribble(res, [sseEvent(progress), ...split(answer, 3)])
      }, (session, notifications) =>
        Effect.gen(function*() {
          const result = yield* session.callTool("t", {})
          expect(result.content).toEqual([{ type: "text", text: "after the notification" }])
          expect(notifications).toEqual(["notifications/progress"])
        })))

    it.scopedLive("a chunked answer larger than 64 KiB is read whole", () => {
      const big = "0123456789abcdef".repeat(16 * 1024)
      return withPeer((request, res) => {
        chunkedJson(res)
        dribble(res, split(answerText(request.message?.id, big), 40))
      }, (session) =>
        Effect.gen(function*() {
          const result = yield* session.callTool("t", {})
          expect(result.content).toEqual([{ type: "text", text: big }])
        }))
    })

    it.scopedLive("a chunked answer past the limit is refused without waiting for its end", () =>
      withPeer((request, res) => {
        chunkedJson(res)
        // never ended: only a client that counts as it reads can answer
        dribble(res, split(answerText(request.message?.id, "x".repeat(300 * 1024)), 30), false)
      }, (session) =>
        Effect.gen(function*() {
          const error = transportFailure(yield* failureOf(session.callTool("t", {})))
          expect(error.reason).toBe("Decode")
          expect(error.detail).toBe(`the answer is larger than the limit of ${128 * 1024} bytes`)
        }), 128 * 1024))

    it.scopedLive("a small chunked answer past a small limit is refused", () =>
      withPeer((request, res) => {
        chunkedJson(res)
        dribble(res, split(answerText(request.message?.id, "x".repeat(4096)), 4))
      }, (session) =>
        Effect.gen(function*() {
          const error = transportFailure(yield* failureOf(session.callTool("t", {})))
          expect(error.reason).toBe("Decode")
          expect(error.detail).toBe("the answer is larger than the limit of 1024 bytes")
        }), 1024))

    for (const [what, size] of [["small", 64], ["larger than 64 KiB", 100 * 1024]] as const) {
      it.scopedLive(`a ${what} chunked JSON body cut mid-way is Closed`, () =>
        withPeer((request, res) => {
          chunkedJson(res)
          const text = answerText(request.message?.id, "y".repeat(size))
          dribble(res, [text.slice(0, text.length - 10)], false)
          setTimeout(() => res.destroy(), 20)
        }, (session) =>
          Effect.gen(function*() {
            const error = transportFailure(yield* failureOf(session.callTool("t", {})))
            expect(error.reason).toBe("Closed")
            expect(error.malformed).toBeUndefined()
          })))
    }

    it.scopedLive("an SSE answer cut after a notification is Closed", () =>
      withPeer((_, res) => {
        sseHead(res)
        dribble(res, [sseEvent(progress), `event: message\ndata: {"jsonrpc":`], false)
        setTimeout(() => res.destroy(), 20)
      }, (session, notifications) =>
        Effect.gen(function*() {
          const error = transportFailure(yield* failureOf(session.callTool("t", {})))
          expect(error.reason).toBe("Closed")
          expect(notifications).toEqual(["notifications/progress"])
        })))

    it.scopedLive("an SSE stream left open after the answer does not hold the call, and is closed", () =>
      Effect.gen(function*() {
        const closed = yield* Deferred.make<void>()
        yield* withPeer((request, res) => {
          sseHead(res)
          res.on("close", () => Deferred.unsafeDone(closed, Effect.void))
          dribble(res, [sseEvent(progress), sseEvent(JSON.parse(answerText(request.message?.id, "open")))], false)
        }, (session) =>
          Effect.gen(function*() {
            const result = yield* session.callTool("t", {})
            expect(result.content).toEqual([{ type: "text", text: "open" }])
            yield* Deferred.await(closed)
          }))
      }))

    it.scopedLive("a call timed out while an SSE answer is pending closes the stream", () =>
      Effect.gen(function*() {
        const closed = yield* Deferred.make<void>()
        yield* withPeer((_, res) => {
          sseHead(res)
          res.on("close", () => Deferred.unsafeDone(closed, Effect.void))
          dribble(res, [sseEvent(progress)], false)
        }, (session) =>
          Effect.gen(function*() {
            const error = transportFailure(yield* failureOf(session.callTool("t", {}, { timeout: "200 millis" })))
            expect(error.reason).toBe("Timeout")
            yield* Deferred.await(closed)
          }))
      }))
  })
}
