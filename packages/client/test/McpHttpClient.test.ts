/**
 * The lean client as a plain `HttpClient`: a body it streams (too large to read before handing
 * the response over, or an SSE stream) reads the same through `stream`, `text` and
 * `arrayBuffer`, and a reader that stops early gives the request up.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { McpHttpClient } from "../src/index.js"

/** 200 KiB, more than the lean client reads before handing a response over, with every byte value. */
const large = Buffer.from(Array.from({ length: 200 * 1024 }, (_, i) => (i * 7) % 256))

/** A loopback server: `/large` writes `large` in 1 KiB chunks; `/open` writes one event and never ends. */
const server = (closed: Deferred.Deferred<void>) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const http = Http.createServer((req, res) => {
        if (req.url === "/large") {
          res.writeHead(200, { "content-type": "application/octet-stream" })
          for (let at = 0; at < large.length; at += 1024) res.write(large.subarray(at, at + 1024))
          res.end()
          return
        }
        res.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        res.writeHead(200, { "content-type": "text/event-stream" }).write("data: first\n\n")
      })
      http.listen(0, "127.0.0.1", () => resume(Effect.succeed(http)))
    }),
    (http) => Effect.sync(() => http.close())
  ).pipe(Effect.map((http) => `http://127.0.0.1:${(http.address() as AddressInfo).port}`))

describe("McpHttpClient.layerUndici", () => {
  it.scoped("reads a streamed body whole through its stream, its text and its bytes", () =>
    Effect.gen(function*() {
      const origin = yield* server(yield* Deferred.make<void>())
      const http = yield* HttpClient.HttpClient
      const streamed = yield* http.get(`${origin}/large`).pipe(
        Effect.flatMap((response) => Stream.runCollect(response.stream))
      )
      expect(Buffer.concat(Chunk.toReadonlyArray(streamed)).equals(large)).toBe(true)
      const bytes = yield* http.get(`${origin}/large`).pipe(Effect.flatMap((response) => response.arrayBuffer))
      expect(Buffer.from(bytes).equals(large)).toBe(true)
      const text = yield* http.get(`${origin}/large`).pipe(Effect.flatMap((response) => response.text))
      expect(text).toBe(large.toString("utf8"))
    }).pipe(Effect.provide(McpHttpClient.layerUndici)))

  it.scoped("gives a body up when its stream is left before the end", () =>
    Effect.gen(function*() {
      const closed = yield* Deferred.make<void>()
      const origin = yield* server(closed)
      const http = yield* HttpClient.HttpClient
      const first = yield* http.get(`${origin}/open`).pipe(
        Effect.flatMap((response) => Stream.runHead(response.stream))
      )
      expect(first._tag === "Some" ? Buffer.from(first.value).toString("utf8") : undefined).toBe("data: first\n\n")
      // the server sees its answer closed: the request was given up, not left open
      yield* Deferred.await(closed)
    }).pipe(Effect.provide(McpHttpClient.layerUndici)))
})
