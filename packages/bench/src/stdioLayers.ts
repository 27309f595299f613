/**
 * Where the time of a stdio call goes, layer by layer, in one process with alternating rounds:
 * `node dist/stdioLayers.js [stdio|stdio-min] [rounds] [seconds per round]`. For each process
 * backend (`command`: `@effect/platform`'s `Command`, the library's; `spawn`: Node's
 * `child_process` directly, an experiment) it measures the channel alone (one request in an
 * `Effect.async`, the JSON answer settled by id: the least an Effect client over that backend
 * does), an `McpSession` (`callTool` without a deadline: ids, the result decoded) and an `McpClient`
 * (`callTool`: lookup, circuit, permit, retries, health), beside raw JSON lines and the SDK client.
 */
import { McpSession } from "@effect-mcp/client"
import * as StdioChannel from "@effect-mcp/client/internal/stdioChannel"
import { StdioBackend } from "@effect-mcp/client/internal/stdioProcess"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import { effectMcp, effectMcpSpawn } from "./clients/effectMcp.js"
import { rawClient } from "./clients/raw.js"
import { sdkClient } from "./clients/sdk.js"
import { type Connected, effectLoops, type StdioServer } from "./loops.js"
import { minimalStdioPeer, stdioPeer } from "./peers.js"
import { median, round } from "./stats.js"

const [peerArg = "stdio-min", roundsArg = "5", secondsArg = "1.5"] = process.argv.slice(2)
const peer: StdioServer = peerArg === "stdio" ? stdioPeer : minimalStdioPeer
const rounds = Number(roundsArg)
const seconds = Number(secondsArg)

type Backend = "command" | "spawn"

/** A runtime whose stdio processes are started by `backend`. */
const runtimeFor = (backend: Backend) => ManagedRuntime.make(Layer.succeed(StdioBackend, backend))

/** The channel alone: `tools/call` written by hand, its answer settled by id. */
const channel = async (backend: Backend): Promise<Connected> => {
  const runtime = runtimeFor(backend)
  const scope = await runtime.runPromise(Scope.make())
  const open = await runtime.runPromise(
    StdioChannel.make(
      {
        server: "peer",
        command: peer.command,
        args: peer.args,
        env: {},
        cwd: undefined,
        maxMessageSize: 16 * 2 ** 20,
        closeTimeout: Duration.seconds(1),
        onExit: undefined
      },
      { onMessage: () => Effect.void, reinitialize: () => Effect.void }
    ).pipe(Scope.extend(scope))
  )
  const target = { server: "peer" }
  let id = 0
  const body = (next: number, method: string, params: unknown) => JSON.stringify({ jsonrpc: "2.0", id: next, method, params })
  const send = (method: string, params: unknown) =>
    Effect.suspend(() => {
      const next = id++
      return open.request({ id: next, method, body: body(next, method, params), target })
    })
  await runtime.runPromise(
    send("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "layers", version: "1" } })
  )
  await runtime.runPromise(open.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), "initialized"))
  return {
    run: effectLoops(runtime, send("tools/call", { name: "echo", arguments: { text: "hi" } })),
    close: () => runtime.runPromise(Scope.close(scope, Exit.void)).then(() => runtime.dispose())
  }
}

/** An `McpSession` alone. */
const session = async (backend: Backend): Promise<Connected> => {
  const runtime = runtimeFor(backend)
  const scope = await runtime.runPromise(Scope.make())
  const opened = await runtime.runPromise(
    McpSession.make({ server: "peer", command: peer.command, args: [...peer.args] }).pipe(Scope.extend(scope))
  )
  return {
    // no deadline of its own (`McpClient` keeps the deadlines itself, without a timer per call)
    run: effectLoops(runtime, opened.callTool("echo", { text: "hi" }, { timeout: Duration.infinity })),
    close: () => runtime.runPromise(Scope.close(scope, Exit.void)).then(() => runtime.dispose())
  }
}

const candidates: ReadonlyArray<readonly [string, () => Promise<Connected>]> = [
  ["raw", () => rawClient.stdio!(peer)],
  ["SDK client", () => sdkClient.stdio!(peer)],
  ["channel (command)", () => channel("command")],
  ["channel (spawn)", () => channel("spawn")],
  ["McpSession (command)", () => session("command")],
  ["McpSession (spawn)", () => session("spawn")],
  ["McpClient (command)", () => effectMcp.stdio!(peer)],
  ["McpClient (spawn)", () => effectMcpSpawn.stdio!(peer)]
]

const connected: Array<readonly [string, Connected]> = []
for (const [name, connect] of candidates) connected.push([name, await connect()])
console.log(`${peerArg}: ${rounds} alternating rounds of ${seconds} s, median calls/s`)
for (const concurrency of [1, 16]) {
  const rates = new Map<string, Array<number>>(connected.map(([name]) => [name, []]))
  for (const [, each] of connected) await each.run(concurrency, { calls: 2_000, until: performance.now() + 500 }, [])
  for (let i = 0; i < rounds; i++) {
    for (const [name, each] of i % 2 === 0 ? connected : [...connected].reverse()) {
      const start = performance.now()
      const calls = await each.run(concurrency, { calls: 1e9, until: start + seconds * 1000 }, [])
      rates.get(name)!.push(calls / ((performance.now() - start) / 1000))
    }
  }
  const rate = (name: string) => median(rates.get(name)!)
  for (const [name] of connected) {
    const perSecond = rate(name)
    console.log(
      `c=${String(concurrency).padStart(2)} ${name.padEnd(22)} ${String(round(perSecond, 0)).padStart(7)}/s  ` +
        `${String(round(1e6 / perSecond, 1)).padStart(6)} µs/call  vs raw ${round(perSecond / rate("raw")).toFixed(2)}  vs SDK ${
          round(perSecond / rate("SDK client")).toFixed(2)
        }`
    )
  }
}
for (const [, each] of connected) await each.close()
