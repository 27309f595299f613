/**
 * The clients, each able to run `workers` concurrent loops of `calls` sequential
 * `tools/call` requests, recording every call's latency.
 */
import { McpClient } from "@effect-mcp/client"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
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

/** A session opened by hand-written undici POSTs, and the next `tools/call` request's body. */
const openSession = async (url: string) => {
  const target = new URL(url)
  const agent = new Agent({ keepAliveTimeout: 60_000 })
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" }
  const post = async (body: string) => {
    const response = await agent.request({ origin: target.origin, path: target.pathname, method: "POST", headers, body })
    return { headers: response.headers, text: await response.body.text() }
  }
  const init = await post(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    })
  )
  const session = init.headers["mcp-session-id"]
  headers["mcp-protocol-version"] = "2025-06-18"
  if (typeof session === "string") headers["mcp-session-id"] = session
  await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))
  let id = 1
  const nextCall = () => JSON.stringify({ jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } })
  return { agent, headers, post, nextCall }
}

/** The `result` of a JSON or single-event SSE answer. */
const resultOf = (text: string): unknown => {
  const json = JSON.parse(text.startsWith("event:") || text.startsWith("data:") ? text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1) : text) as {
    result?: unknown
  }
  if (json.result === undefined) throw new Error(`no result: ${text}`)
  return json.result
}

/** Hand-written undici POSTs over one session: the limit. */
export const rawUndici: BenchClient = {
  name: "raw undici",
  connect: async (url) => {
    const session = await openSession(url)
    const call = async () => {
      resultOf((await session.post(session.nextCall())).text)
    }
    return { run: (workers, calls, latencies) => loops(workers, calls, latencies, call), close: () => session.agent.close() }
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

/** `workers` fibers of `calls` sequential `call`s each, on `runtime`. */
const effectLoops = <R>(runtime: ManagedRuntime.ManagedRuntime<R, never>, call: Effect.Effect<unknown, unknown, R>): Connected["run"] => {
  const timed = (latencies: Latencies) =>
    Effect.suspend(() => {
      const start = performance.now()
      return Effect.map(call, () => {
        latencies.push(performance.now() - start)
      })
    })
  return (workers, calls, latencies) =>
    runtime.runPromise(
      Effect.forEach(Array.from({ length: workers }), () => Effect.repeatN(timed(latencies), calls - 1), {
        concurrency: "unbounded",
        discard: true
      })
    )
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
    return { run: effectLoops(runtime, mcp.callTool("peer", "echo", { text: "hi" })), close: () => runtime.dispose() }
  }
}

const decodeCallToolResult = Schema.decodeUnknownEither(McpSchema.CallToolResult)

const decoded = (text: string) => Either.getOrThrow(decodeCallToolResult(resultOf(text)))

/**
 * The least any Effect client can do per call: the raw undici POST in one `Effect.async`, and
 * the result decoded with the schema effect-mcp uses. No MCP logic at all; a reference, not a
 * competitor.
 */
export const bareEffect: BenchClient = {
  name: "bare Effect",
  connect: async (url) => {
    const session = await openSession(url)
    const runtime = ManagedRuntime.make(Layer.empty)
    const call = Effect.async<unknown, unknown>((resume) => {
      session.post(session.nextCall()).then(({ text }) => decoded(text)).then(
        (result) => resume(Effect.succeed(result)),
        (error: unknown) => resume(Effect.fail(error))
      )
    })
    return { run: effectLoops(runtime, call), close: async () => { await runtime.dispose(); await session.agent.close() } }
  }
}

/**
 * The least any client built on `HttpClient` can do per call: one POST through effect-mcp's lean
 * `HttpClient` (`McpClient.layerUndici`), its text, and the decoded result. No MCP logic at all;
 * a reference, not a competitor.
 */
export const bareHttpClient: BenchClient = {
  name: "bare HttpClient",
  connect: async (url) => {
    const session = await openSession(url)
    await session.agent.close()
    const runtime = ManagedRuntime.make(McpClient.layerUndici)
    const http = await runtime.runPromise(HttpClient.HttpClient)
    const headers = Headers.fromInput(session.headers)
    const call = Effect.suspend(() =>
      http.execute(HttpClientRequest.post(url, { headers, body: HttpBody.text(session.nextCall(), "application/json") }))
    ).pipe(
      Effect.flatMap((response) => response.text),
      Effect.flatMap((text) => Effect.try(() => decoded(text)))
    )
    return { run: effectLoops(runtime, call), close: () => runtime.dispose() }
  }
}

/** Every client, in report order: the two bare references after the three compared clients. */
export const clients: ReadonlyArray<BenchClient> = [rawUndici, sdkClient, effectMcp, bareHttpClient, bareEffect]
