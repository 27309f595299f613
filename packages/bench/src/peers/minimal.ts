/**
 * The minimal MCP responder: sessions, and as little work per request as the protocol allows, so
 * that the client under test is the bottleneck. Also serves `/s/<n>/health` for the scale run,
 * counting probes per server. Prints its port on stdout.
 *
 * Its first argument is the framing of answers, since a server may use any of them:
 * - `length`: JSON with `Content-Length`;
 * - `chunked`: the same JSON, `Transfer-Encoding: chunked` and no length;
 * - `sse`: an SSE stream, chunked, where a `notifications/message` event is written first and
 *   the answer event after it, on the next turn of the event loop, so that they reach the client
 *   as separate chunks (as a server that reports while it works sends them).
 */
import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const sessions = new Set<string>()
const probes = new Map<number, Array<number>>()

const tool = {
  name: "echo",
  description: "Echoes its text",
  inputSchema: { type: "object", properties: { text: { type: "string" } } },
  annotations: { readOnlyHint: true }
}

const framing = process.argv[2] ?? "length"
if (framing !== "length" && framing !== "chunked" && framing !== "sse") throw new Error(`unknown framing ${framing}`)

const notification = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } })

/** Writes the answer in the peer's framing; `working` marks a tools/call, reported on before its SSE answer. */
const answer = (res: Http.ServerResponse, id: unknown, result: unknown, headers: Http.OutgoingHttpHeaders = {}, working = false) => {
  const body = JSON.stringify({ jsonrpc: "2.0", id, result })
  switch (framing) {
    case "length":
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers })
      res.end(body)
      return
    case "chunked":
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked", ...headers })
      res.end(body)
      return
    case "sse":
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers })
      if (!working) {
        res.end(`event: message\ndata: ${body}\n\n`)
        return
      }
      res.write(`event: message\ndata: ${notification}\n\n`)
      setImmediate(() => res.end(`event: message\ndata: ${body}\n\n`))
  }
}

const server = Http.createServer((req, res) => {
  const url = req.url ?? "/"
  if (req.method === "GET") {
    const match = /^\/s\/(\d+)\/health$/.exec(url)
    if (match !== null) {
      const n = Number(match[1])
      const times = probes.get(n) ?? []
      times.push(Date.now())
      probes.set(n, times)
      res.writeHead(200, { "content-length": 2 }).end("ok")
      return
    }
    if (url === "/probes") {
      const body = JSON.stringify(Object.fromEntries(probes))
      probes.clear()
      res.writeHead(200, { "content-type": "application/json" }).end(body)
      return
    }
    res.writeHead(405).end()
    return
  }
  if (req.method === "DELETE") {
    const id = req.headers["mcp-session-id"]
    if (typeof id === "string") sessions.delete(id)
    res.writeHead(200).end()
    return
  }
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: unknown; method: string; params?: { arguments?: { text?: string } } }
    const session = req.headers["mcp-session-id"]
    if (message.method === "initialize") {
      const id = randomUUID()
      sessions.add(id)
      answer(res, message.id, {
        protocolVersion: "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "minimal", version: "1.0.0" }
      }, { "mcp-session-id": id })
      return
    }
    if (typeof session !== "string" || !sessions.has(session)) {
      res.writeHead(404).end()
      return
    }
    if (message.id === undefined) {
      res.writeHead(202).end()
      return
    }
    switch (message.method) {
      case "tools/call":
        answer(res, message.id, { content: [{ type: "text", text: message.params?.arguments?.text ?? "" }] }, {}, true)
        return
      case "tools/list":
        answer(res, message.id, { tools: [tool] })
        return
      default:
        answer(res, message.id, {})
    }
  })
})

server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
