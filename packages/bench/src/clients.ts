/**
 * The three clients, each able to run `workers` concurrent loops of `calls` sequential
 * `tools/call` requests, recording every call's latency.
 */
import { McpClient } from "@effect-mcp/client"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Agent } from "undici"

/** Latencies in milliseconds, one per call. */
export type Latencies = Array<number>

export interface Connected {
  /** Runs `workers` loops of `calls` calls each; resolves when all are done. */
  readonly run: (workers: number, calls: number, latencies: Latencies) => Promise<void>
  readonly close: () => Promise<void>
}

export interface BenchClient {
  readonly name: string
  readonly connect: (url: string) => Promise<Connected>
}

const loops = async (workers: number, calls: number, latencies: Latencies, call: () => Promise<void>) => {
  const worker = async () => {
    for (let i = 0; i < calls; i++) {
      const start = performance.now()
      await call()
      latencies.push(performance.now() - start)
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
}

/** Hand-written undici POSTs over one session: the limit. */
export const rawUndici: BenchClient = {
  name: "raw undici",
  connect: async (url) => {
    const target = new URL(url)
    const agent = new Agent({ keepAliveTimeout: 60_000 })
    const post = async (body: string, headers: Record<string, string>) => {
      const response = await agent.request({
        origin: target.origin,
        path: target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body
      })
      return { headers: response.headers, text: await response.body.text() }
    }
    const init = await post(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
      }),
      {}
    )
    const session = init.headers["mcp-session-id"]
    const headers: Record<string, string> = { "mcp-protocol-version": "2025-06-18" }
    if (typeof session === "string") headers["mcp-session-id"] = session
    await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), headers)
    let id = 1
    const call = async () => {
      const { text } = await post(
        JSON.stringify({ jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }),
        headers
      )
      const json = JSON.parse(text.startsWith("event:") || text.startsWith("data:") ? text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1) : text) as {
        result?: unknown
      }
      if (json.result === undefined) throw new Error(`no result: ${text}`)
    }
    return { run: (workers, calls, latencies) => loops(workers, calls, latencies, call), close: () => agent.close() }
  }
}

/** The official SDK client with its Streamable HTTP transport. */
export const sdkClient: BenchClient = {
  name: "SDK client",
  connect: async (url) => {
    const client = new Client({ name: "bench", version: "1.0.0" })
    const transport = new StreamableHTTPClientTransport(new URL(url))
    await client.connect(transport)
    const call = async () => {
      await client.callTool({ name: "echo", arguments: { text: "hi" } })
    }
    return {
      run: (workers, calls, latencies) => loops(workers, calls, latencies, call),
      close: async () => {
        await transport.terminateSession().catch(() => undefined)
        await client.close()
      }
    }
  }
}

/** `McpClient` from `McpClient.layerNode`, driven from Effect. */
export const effectMcp: BenchClient = {
  name: "effect-mcp",
  connect: async (url) => {
    const runtime = ManagedRuntime.make(
      McpClient.layerNode({ servers: [{ name: "peer", url, maxConcurrency: 256 }], healthInterval: "1 hour" })
        .pipe(Layer.orDie)
    )
    const mcp = await runtime.runPromise(McpClient.McpClient)
    await runtime.runPromise(mcp.listTools("peer"))
    const call = mcp.callTool("peer", "echo", { text: "hi" })
    const timed = (latencies: Latencies) =>
      Effect.suspend(() => {
        const start = performance.now()
        return Effect.map(call, () => {
          latencies.push(performance.now() - start)
        })
      })
    return {
      run: (workers, calls, latencies) =>
        runtime.runPromise(
          Effect.forEach(
            Array.from({ length: workers }),
            () => Effect.repeatN(timed(latencies), calls - 1),
            { concurrency: "unbounded", discard: true }
          )
        ),
      close: () => runtime.dispose()
    }
  }
}

/** Every client, in report order. */
export const clients: ReadonlyArray<BenchClient> = [rawUndici, sdkClient, effectMcp]
