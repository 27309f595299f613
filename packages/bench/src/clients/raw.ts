/**
 * Hand-written clients, the limit: undici POSTs of `tools/call` over one session, and for stdio
 * newline-delimited JSON written to a child process. Also the session the bare references reuse.
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { Agent } from "undici"
import { type BenchClient, type Connected, loops, type StdioServer } from "../loops.js"

const initialize = (id: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
  })

const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })

const echoCall = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } })

/** A session opened by hand-written undici POSTs, and the next `tools/call` request's body. */
export const openSession = async (url: string) => {
  const target = new URL(url)
  const agent = new Agent({ keepAliveTimeout: 60_000 })
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" }
  const post = async (body: string) => {
    const response = await agent.request({ origin: target.origin, path: target.pathname, method: "POST", headers, body })
    return { headers: response.headers, text: await response.body.text() }
  }
  const init = await post(initialize(0))
  const session = init.headers["mcp-session-id"]
  headers["mcp-protocol-version"] = "2025-06-18"
  if (typeof session === "string") headers["mcp-session-id"] = session
  await post(initialized)
  let id = 1
  const nextCall = () => echoCall(id++)
  return { agent, headers, post, nextCall }
}

const resultOfMessage = (json: string): unknown => (JSON.parse(json) as { result?: unknown }).result

/**
 * The `result` of a JSON answer, or of the answer event of an SSE body (which may follow
 * notifications: the first `data:` line holding a result wins). No general SSE parser: the peers
 * write each event's data on one line.
 */
export const resultOf = (text: string): unknown => {
  if (text.startsWith("{")) {
    const result = resultOfMessage(text)
    if (result !== undefined) return result
  } else {
    for (const line of text.split("\n")) {
      if (!line.startsWith("data:")) continue
      const result = resultOfMessage(line.slice(5))
      if (result !== undefined) return result
    }
  }
  throw new Error(`no result: ${text}`)
}

const rawHttp = async (url: string): Promise<Connected> => {
  const session = await openSession(url)
  const call = async () => resultOf((await session.post(session.nextCall())).text)
  return { run: (workers, bound, latencies) => loops(workers, bound, latencies, call), close: () => session.agent.close() }
}

/** One child process, requests written as JSON lines, answers matched to callers by id. */
const rawStdio = async (server: StdioServer): Promise<Connected> => {
  const child = spawn(server.command, [...server.args], { stdio: ["pipe", "pipe", "inherit"] })
  const pending = new Map<number, (result: unknown) => void>()
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as { id?: number; result?: unknown }
    if (message.id === undefined) return
    pending.get(message.id)?.(message.result)
    pending.delete(message.id)
  })
  let id = 0
  const request = (body: (id: number) => string) =>
    new Promise<unknown>((resolve) => {
      const next = id++
      pending.set(next, resolve)
      child.stdin.write(`${body(next)}\n`)
    })
  await request(initialize)
  child.stdin.write(`${initialized}\n`)
  const call = async () => {
    if ((await request(echoCall)) === undefined) throw new Error("no result")
  }
  return {
    run: (workers, bound, latencies) => loops(workers, bound, latencies, call),
    // closing stdin ends the server; SIGKILL only if it has not gone a second later
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const kill = setTimeout(() => child.kill("SIGKILL"), 1_000)
        child.once("exit", () => {
          clearTimeout(kill)
          resolve()
        })
        child.stdin.end()
      })
  }
}

/** Hand-written undici POSTs over one session, or JSON lines over a child's stdio: the limit. */
export const rawClient: BenchClient = { name: "raw", http: rawHttp, stdio: rawStdio }
