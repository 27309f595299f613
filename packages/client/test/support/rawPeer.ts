/**
 * A `node:http` server on an ephemeral loopback port that answers `initialize` correctly and
 * every later request however the test says: the misbehaving server of the decode tests. It is a
 * 2025 server: a 2026-07-28 probe (`server/discover`) is refused with 400, as the SDK refuses it.
 */
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface RawRequest {
  readonly method: string
  readonly headers: Http.IncomingHttpHeaders
  /** The JSON-RPC message, when the body was one. */
  readonly message: { readonly id?: string | number; readonly method?: string } | undefined
}

export type RawHandler = (request: RawRequest, res: Http.ServerResponse) => void

export interface RawPeerOptions {
  /** The protocol version the server answers `initialize` with. */
  readonly protocolVersion?: string
  /** Extra members of the initialize result. */
  readonly initializeExtra?: Record<string, unknown>
  readonly sessionId?: string
  /** `DELETE` is never answered. */
  readonly hangOnDelete?: boolean
  /** `initialize` is never answered; a function is asked with the count of `initialize` requests so far. */
  readonly hangOnInitialize?: boolean | ((initializations: number) => boolean)
}

/** Writes one JSON-RPC success answer as `application/json`. */
export const answerJson = (res: Http.ServerResponse, id: string | number | undefined, result: unknown): void => {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, result }))
}

/** Starts a server whose non-initialize requests go to `handle`; it stops when the scope closes. */
export const rawPeer = (handle: RawHandler, options: RawPeerOptions = {}) =>
  Effect.gen(function*() {
    const requests: Array<RawRequest> = []
    let initializations = 0
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let message: RawRequest["message"]
        try {
          message = text === "" ? undefined : JSON.parse(text)
        } catch {
          message = undefined
        }
        requests.push({ method: req.method ?? "", headers: req.headers, message })
        // a 2025 server knows no `server/discover` and takes nothing before `initialize`: it
        // answers a 2026-07-28 client's probe as the official SDK's server does, and the client
        // falls back to `initialize`
        if (message?.method === "server/discover") {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({
            jsonrpc: "2.0",
            id: null,
            error: { code: -32000, message: "Bad Request: Server not initialized" }
          }))
          return
        }
        if (message?.method === "initialize") {
          initializations++
          const hang = options.hangOnInitialize
          if (hang === true || (typeof hang === "function" && hang(initializations))) return
          const headers: Http.OutgoingHttpHeaders = { "content-type": "application/json" }
          if (options.sessionId !== undefined) headers["mcp-session-id"] = options.sessionId
          res.writeHead(200, headers).end(JSON.stringify({
            jsonrpc: "2.0",
            id: message.id,
            result: {
              protocolVersion: options.protocolVersion ?? "2025-06-18",
              capabilities: { tools: {} },
              serverInfo: { name: "raw-peer", version: "0.0.1" },
              ...options.initializeExtra
            }
          }))
          return
        }
        if (req.method === "DELETE" && options.hangOnDelete === true) return
        if (message?.method === "notifications/initialized" || req.method === "DELETE") {
          res.writeHead(202).end()
          return
        }
        handle({ method: req.method ?? "", headers: req.headers, message }, res)
      })
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/mcp`, port, requests: requests as ReadonlyArray<RawRequest> }
  })
