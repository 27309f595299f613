/**
 * Cost of each layer of the call path, alone, against the minimal peer at concurrency 1:
 * platform HttpClient POST, McpSession.callTool, McpClient.callTool.
 */
import { McpClient, McpSession } from "@effect-mcp/client"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { startPeer } from "./peers.js"

const peer = await startPeer("minimal")
const url = `${peer.origin}/mcp`
const runtime = ManagedRuntime.make(Layer.mergeAll(McpClient.layerUndici, McpClient.layerNode({ servers: [{ name: "p", url }], healthInterval: "1 hour" }).pipe(Layer.orDie)))
const calls = Number(process.argv[2] ?? 3000)
const concurrency = Number(process.argv[3] ?? 1)
const time = async (name: string, effect: Effect.Effect<unknown, unknown, never>) => {
  await runtime.runPromise(Effect.forEach(Array.from({ length: concurrency }), () => Effect.repeatN(effect, 100), { concurrency: "unbounded" }))
  const start = performance.now()
  await runtime.runPromise(Effect.forEach(Array.from({ length: concurrency }), () => Effect.repeatN(effect, calls / concurrency - 1), { concurrency: "unbounded" }))
  console.log(`${name.padEnd(40)} ${Math.round(calls / ((performance.now() - start) / 1000))} calls/s`)
}
await runtime.runPromise(Effect.gen(function*() {
  const http = yield* HttpClient.HttpClient
  const session = yield* McpSession.make({ server: "p", url }).pipe(Effect.orDie)
  const info = yield* session.info
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } })
  const post = http.execute(HttpClientRequest.post(url, {
    headers: { "mcp-session-id": info.sessionId!, "mcp-protocol-version": info.protocolVersion, accept: "application/json" },
    body: HttpBody.text(body, "application/json")
  }))
  yield* Effect.promise(() => time("platform HttpClient + json", Effect.flatMap(post, (r) => r.json)))
  yield* Effect.promise(() => time("platform HttpClient + text (no tracer)", Effect.flatMap(post, (r) => r.text).pipe(Effect.withTracerEnabled(false))))
  yield* Effect.promise(() => time("McpSession.callTool", session.callTool("echo", { text: "hi" })))
  yield* Effect.promise(() => time("McpSession.callTool (no tracer)", session.callTool("echo", { text: "hi" }).pipe(Effect.withTracerEnabled(false))))
  yield* Effect.promise(() => time("McpSession.callTool (no tracer, untimed)", session.callTool("echo", { text: "hi" }, { timeout: Duration.infinity }).pipe(Effect.withTracerEnabled(false))))
  const mcp = yield* McpClient.McpClient
  yield* mcp.listTools("p").pipe(Effect.orDie)
  yield* Effect.promise(() => time("McpClient.callTool", mcp.callTool("p", "echo", { text: "hi" })))
}).pipe(Effect.scoped))
await runtime.dispose()
await peer.stop()
