/**
 * The official `@modelcontextprotocol/sdk` server on an ephemeral loopback port, owned by the
 * test's scope, with counters the tests read: live sessions, executions per tool, cancellations
 * that reached a tool, the headers of every request.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import {
  CallToolRequestSchema,
  EmptyResultSchema,
  ErrorCode,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  McpError
} from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** How the server answers: stateful with SSE answers, stateful with JSON answers, or stateless. */
export type SdkMode = "sse" | "json" | "stateless"

export interface SdkPeer {
  readonly url: string
  readonly mode: SdkMode
  /** Sessions the server currently holds. */
  readonly liveSessions: () => number
  /** Sessions ever created. */
  readonly createdSessions: () => number
  /** The server drops every session; requests carrying their ids now get 404. */
  readonly forgetSessions: () => void
  /** Times each tool ran. */
  readonly executions: (tool: string) => number
  /** Tool calls (name and arguments) that ran more than once. */
  readonly duplicates: () => ReadonlyArray<string>
  /** Request ids whose `notifications/cancelled` aborted a running tool. */
  readonly cancelled: ReadonlyArray<string | number>
  /** Headers of every HTTP request, in order. */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly headers: Http.IncomingHttpHeaders }>
  /** The next `times` POSTs of `method` (default `tools/call`) are answered with `status` instead. */
  readonly failNext: (fault: Fault) => void
  /** Drops every pending fault. */
  readonly clearFaults: () => void
  /** Stops listening and drops every connection and session, as if the process died. */
  readonly stop: () => Promise<void>
  /** Listens again on the same port. */
  readonly start: () => Promise<void>
  /** Adds a tool and announces `notifications/tools/list_changed` on every session. */
  readonly addTool: (name: string) => Promise<void>
  /** The `Authorization` header of each `tools/call`, in order. */
  readonly callAuthorizations: ReadonlyArray<string | undefined>
  /** How many POSTs carried each JSON-RPC method (faults included). */
  readonly posts: (method: string) => number
  /** Bytes of oversized answers written before the client cut them off. */
  readonly oversizedWritten: () => number
  /** TCP connections open now, and the most ever open at once. */
  readonly connections: { readonly open: () => number; readonly max: () => number }
  /** `gate` calls running now, and the most ever running at once. */
  readonly gate: { readonly running: () => number; readonly maxRunning: () => number; readonly release: () => void }
  /** The status `GET /health` answers (200 by default). */
  readonly setHealthStatus: (status: number) => void
  /** Every JSON-RPC request POSTed (faults included): its method, id and `params._meta`. */
  readonly received: ReadonlyArray<{ readonly method: string; readonly id: unknown; readonly meta: unknown }>
}

/**
 * What the next `times` POSTs of `method` get instead of a normal answer. Faults that answer
 * after the tool "ran" count an execution, as a server failing after the fact would.
 */
export interface Fault {
  readonly times: number
  /** The HTTP status answered (for the plain status fault). */
  readonly status?: number
  readonly retryAfter?: string
  /** Default `tools/call`; `*` for every method. */
  readonly method?: string
  /** Count the tool as executed before answering the status. */
  readonly afterRun?: boolean
  /** Run the tool, then cut the connection instead of answering. */
  readonly cut?: boolean
  /** Wait this long, then answer normally. */
  readonly delayMs?: number
  /** Never answer (the connection stays open until the peer stops). */
  readonly hang?: boolean
  /** Run the tool, then answer bytes that are not a valid answer. */
  readonly answer?: "invalid-json" | "wrong-shape" | "cut-sse"
  /** Run the tool, then stream an answer of this many bytes (no Content-Length) until cut off. */
  readonly oversizedBytes?: number
}

const PAGE_SIZE = 3

const baseTools = [
  {
    name: "echo",
    description: "Echoes the text back",
    inputSchema: { type: "object" as const, properties: { text: { type: "string" } }, required: ["text"] },
    annotations: { readOnlyHint: true }
  },
  {
    name: "add",
    description: "Adds two numbers",
    inputSchema: { type: "object" as const, properties: { a: { type: "number" }, b: { type: "number" } } }
  },
  { name: "fail", description: "Reports an error result", inputSchema: { type: "object" as const } },
  { name: "invalid", description: "Answers a JSON-RPC error", inputSchema: { type: "object" as const } },
  { name: "slow", description: "Runs until cancelled", inputSchema: { type: "object" as const } },
  { name: "gate", description: "Runs until the test opens the gate", inputSchema: { type: "object" as const } },
  {
    name: "reconnect",
    description: "Closes its SSE answer stream, then answers on the resumed one",
    inputSchema: { type: "object" as const }
  },
  {
    name: "chatty",
    description: "Notifies, pings and asks the client for roots before answering",
    inputSchema: { type: "object" as const }
  },
  ...Array.from({ length: 4 }, (_, i) => ({
    name: `filler_${i}`,
    description: `Filler tool ${i}`,
    inputSchema: { type: "object" as const }
  }))
]

/** Listed only to callers whose token is `admin`. */
const adminTool = { name: "admin_only", description: "Only for admins", inputSchema: { type: "object" as const } }

/** Names of every tool the SDK peer offers, in listing order. */
export const sdkToolNames: ReadonlyArray<string> = baseTools.map((tool) => tool.name)

const readJson = (req: Http.IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      try {
        resolve(text === "" ? undefined : JSON.parse(text))
      } catch (error) {
        reject(error)
      }
    })
    req.on("error", reject)
  })

const isInitialize = (body: unknown): boolean =>
  typeof body === "object" && body !== null && "method" in body && body.method === "initialize"

/** Starts the SDK server in `mode`; it stops when the scope closes. */
export const sdkPeer = (
  mode: SdkMode,
  options: {
    readonly resumable?: boolean
    /** Requests without `Authorization` get 401. */
    readonly requireAuth?: boolean
    /** Keep every request's headers in `requests` (default true; a soak turns it off). */
    readonly record?: boolean
  } = {}
) =>
  Effect.gen(function*() {
    const tools = [...baseTools]
    const sessions = new Map<string, StreamableHTTPServerTransport>()
    const executions = new Map<string, number>()
    const runs = new Map<string, number>()
    const countRun = (name: string, args: unknown) => {
      executions.set(name, (executions.get(name) ?? 0) + 1)
      const key = `${name} ${JSON.stringify(args ?? {})}`
      runs.set(key, (runs.get(key) ?? 0) + 1)
    }
    const cancelled: Array<string | number> = []
    const requests: Array<{ method: string; headers: Http.IncomingHttpHeaders }> = []
    const openTransports = new Set<StreamableHTTPServerTransport>()
    let created = 0
    let gateRunning = 0
    let gateMax = 0
    const gateWaiters: Array<() => void> = []
    let healthStatus = 200
    let openSockets = 0
    let maxSockets = 0
    const faults: Array<Fault & { remaining: number }> = []
    const servers = new Set<Server>()
    const callAuthorizations: Array<string | undefined> = []

    const makeServer = () => {
      const server = new Server({ name: "sdk-peer", version: "1.0.0" }, { capabilities: { tools: { listChanged: true }, logging: {} } })
      server.setRequestHandler(ListToolsRequestSchema, (request, extra) => {
        const visible = extra.requestInfo?.headers.authorization === "Bearer admin" ? [...tools, adminTool] : tools
        const start = request.params?.cursor === undefined ? 0 : Number(request.params.cursor)
        const page = visible.slice(start, start + PAGE_SIZE)
        const next = start + PAGE_SIZE
        return next < visible.length ? { tools: page, nextCursor: String(next) } : { tools: page }
      })
      server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
        const name = request.params.name
        const authorization = extra.requestInfo?.headers.authorization
        if (options.record !== false) callAuthorizations.push(Array.isArray(authorization) ? authorization[0] : authorization)
        countRun(name, request.params.arguments)
        const args = request.params.arguments ?? {}
        switch (name) {
          case "echo":
            return {
              content: [{ type: "text" as const, text: String(args.text) }],
              structuredContent: { echo: args.text }
            }
          case "add":
            return { content: [{ type: "text" as const, text: String(Number(args.a) + Number(args.b)) }] }
          case "fail":
            return { content: [{ type: "text" as const, text: "it failed on purpose" }], isError: true }
          case "invalid":
            throw new McpError(ErrorCode.InvalidParams, "the arguments are invalid on purpose")
          case "slow":
            return await new Promise((resolve) => {
              const timer = setTimeout(() => resolve({ content: [{ type: "text" as const, text: "slow done" }] }), 20_000)
              extra.signal.addEventListener("abort", () => {
                clearTimeout(timer)
                cancelled.push(extra.requestId)
                resolve({ content: [] })
              })
            })
          case "gate":
            gateRunning++
            gateMax = Math.max(gateMax, gateRunning)
            await new Promise<void>((resolve) => gateWaiters.push(resolve))
            gateRunning--
            return { content: [{ type: "text" as const, text: "through the gate" }] }
          case "reconnect":
            extra.closeSSEStream?.()
            await new Promise((resolve) => setTimeout(resolve, 100))
            return { content: [{ type: "text" as const, text: "answered after the reconnection" }] }
          case "chatty":
            await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: "working" } })
            await extra.sendRequest({ method: "ping" }, EmptyResultSchema)
            return await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema).then(
              () => ({ content: [{ type: "text" as const, text: "roots/list was answered" }] }),
              (error: unknown) => ({
                content: [{ type: "text" as const, text: `chatty done; roots/list: ${String(error)}` }]
              })
            )
          default:
            return { content: [{ type: "text" as const, text: `${name} done` }] }
        }
      })
      servers.add(server)
      server.onclose = () => servers.delete(server)
      return server
    }

    const handleStateful = async (req: Http.IncomingMessage, res: Http.ServerResponse, body: unknown) => {
      const sessionId = req.headers["mcp-session-id"]
      if (typeof sessionId === "string") {
        const transport = sessions.get(sessionId)
        if (transport === undefined) {
          res.writeHead(404, { "content-type": "application/json" }).end(
            JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null })
          )
          return
        }
        await transport.handleRequest(req, res, body)
        return
      }
      if (req.method !== "POST" || !isInitialize(body)) {
        res.writeHead(400).end("a session id is required")
        return
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: mode === "json",
        ...(options.resumable === true ? { eventStore: new InMemoryEventStore(), retryInterval: 20 } : {}),
        onsessioninitialized: (id) => {
          created++
          sessions.set(id, transport)
        },
        onsessionclosed: (id) => {
          sessions.delete(id)
        }
      })
      openTransports.add(transport)
      await makeServer().connect(transport)
      await transport.handleRequest(req, res, body)
    }

    const handleStateless = async (req: Http.IncomingMessage, res: Http.ServerResponse, body: unknown) => {
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
      const server = makeServer()
      res.on("close", () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, body)
    }

    const posted = new Map<string, number>()
    const received: Array<{ readonly method: string; readonly id: unknown; readonly meta: unknown }> = []
    const hanging = new Set<Http.ServerResponse>()
    let oversizedWritten = 0
    const injected = async (req: Http.IncomingMessage, res: Http.ServerResponse, body: unknown): Promise<boolean> => {
      const message = typeof body === "object" && body !== null ? body as { method?: unknown; id?: unknown; params?: { name?: string; arguments?: unknown; _meta?: unknown } } : {}
      const method = message.method
      if (typeof method === "string") posted.set(method, (posted.get(method) ?? 0) + 1)
      if (typeof method === "string" && message.id !== undefined) received.push({ method, id: message.id, meta: message.params?._meta })
      const fault = faults.find((f) => req.method === "POST" && (f.method === "*" || method === (f.method ?? "tools/call")) && f.remaining > 0)
      if (fault === undefined) return false
      fault.remaining--
      const ran = () => {
        const name = message.params?.name
        if (typeof name === "string") countRun(name, message.params?.arguments)
      }
      if (fault.delayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
        return false
      }
      if (fault.hang === true) {
        hanging.add(res)
        return true
      }
      if (fault.cut === true) {
        ran()
        res.socket?.destroy()
        return true
      }
      if (fault.oversizedBytes !== undefined) {
        ran()
        res.writeHead(200, { "content-type": "application/json" })
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        const pump = () => {
          while (oversizedWritten < fault.oversizedBytes! && !res.destroyed) {
            oversizedWritten += chunk.length
            if (!res.write(chunk)) return res.once("drain", pump)
          }
          if (!res.destroyed) res.end()
        }
        pump()
        return true
      }
      const json = { "content-type": "application/json" }
      switch (fault.answer) {
        case "invalid-json":
          ran()
          res.writeHead(200, json).end("{not json")
          return true
        case "wrong-shape":
          ran()
          res.writeHead(200, json).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { content: "nope" } }))
          return true
        case "cut-sse":
          ran()
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\ndata: {"jsonrpc":`)
          setTimeout(() => res.socket?.destroy(), 5)
          return true
        case undefined:
          break
      }
      if (fault.afterRun === true) ran()
      const status = fault.status ?? 500
      const headers: Http.OutgoingHttpHeaders = { "content-type": "text/plain" }
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter
      res.writeHead(status, headers).end(`injected ${status}`)
      return true
    }

    const http = Http.createServer((req, res) => {
      if (options.record !== false) requests.push({ method: req.method ?? "", headers: req.headers })
      if (options.requireAuth === true && req.headers.authorization === undefined) {
        res.writeHead(401, { "content-type": "text/plain" }).end("a bearer token is required")
        return
      }
      if (req.url === "/health") {
        res.writeHead(healthStatus, { "content-type": "text/plain" }).end(healthStatus === 200 ? "ok" : "down")
        return
      }
      const body = req.method === "POST" ? readJson(req) : Promise.resolve(undefined)
      body
        .then(async (json) => {
          if (await injected(req, res, json)) return
          return mode === "stateless" ? handleStateless(req, res, json) : handleStateful(req, res, json)
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(500).end()
        })
    })

    http.on("connection", (socket) => {
      openSockets++
      maxSockets = Math.max(maxSockets, openSockets)
      socket.once("close", () => openSockets--)
    })

    const stop = async () => {
      for (const res of hanging) res.socket?.destroy()
      hanging.clear()
      sessions.clear()
      for (const transport of openTransports) await transport.close().catch(() => undefined)
      openTransports.clear()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
    let port = 0
    const start = () =>
      new Promise<void>((resolve) => {
        http.listen(port, "127.0.0.1", () => {
          port = (http.address() as AddressInfo).port
          resolve()
        })
      })
    yield* Effect.acquireRelease(Effect.promise(start), () => Effect.promise(() => http.listening ? stop() : Promise.resolve()))

    const peer: SdkPeer = {
      url: `http://127.0.0.1:${port}/mcp`,
      mode,
      liveSessions: () => sessions.size,
      createdSessions: () => created,
      forgetSessions: () => sessions.clear(),
      executions: (tool) => executions.get(tool) ?? 0,
      duplicates: () => [...runs].filter(([, n]) => n > 1).map(([key]) => key),
      cancelled,
      requests,
      failNext: (fault) => faults.push({ ...fault, remaining: fault.times }),
      clearFaults: () => faults.splice(0),
      stop,
      start,
      addTool: async (name) => {
        tools.push({ name, description: `Added later: ${name}`, inputSchema: { type: "object" as const } })
        for (const server of servers) await server.sendToolListChanged().catch(() => undefined)
      },
      callAuthorizations,
      posts: (method) => posted.get(method) ?? 0,
      received,
      oversizedWritten: () => oversizedWritten,
      connections: { open: () => openSockets, max: () => maxSockets },
      gate: { running: () => gateRunning, maxRunning: () => gateMax, release: () => gateWaiters.shift()?.() },
      setHealthStatus: (status) => {
        healthStatus = status
      }
    }
    return peer
  })
