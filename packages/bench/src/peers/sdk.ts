/**
 * The official SDK server (stateful, SSE answers), with the same `echo` tool as the minimal
 * responder: the realistic peer. Prints its port on stdout.
 */
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { makeServer } from "./echoServer.js"

const transports = new Map<string, StreamableHTTPServerTransport>()

const http = Http.createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8")
    const body: unknown = text === "" ? undefined : JSON.parse(text)
    const id = req.headers["mcp-session-id"]
    const existing = typeof id === "string" ? transports.get(id) : undefined
    if (existing !== undefined) {
      void existing.handleRequest(req, res, body)
      return
    }
    if (typeof id === "string") {
      res.writeHead(404).end()
      return
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        transports.set(sessionId, transport)
      },
      onsessionclosed: (sessionId) => {
        transports.delete(sessionId)
      }
    })
    void makeServer().connect(transport).then(() => transport.handleRequest(req, res, body))
  })
})

http.keepAliveTimeout = 60_000
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(http.address() as AddressInfo).port}\n`)
})
