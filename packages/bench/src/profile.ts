/**
 * Runs one client alone against one peer, for `node --cpu-prof`:
 * `node --cpu-prof dist/profile.js [effect-mcp|raw|SDK client|AI SDK client|effect-mcp (spawn)] [calls] [concurrency] [minimal|chunked|sse-stream|sdk|stdio|stdio-min]`.
 * With `PROFILE_OUT=<file>` (instead of `--cpu-prof`) only the measured calls are profiled, after
 * the start-up and the warm-up, and the profile is written to that file.
 * With `PROFILE_COUNT=1` the measured calls are counted instead of timed: the bytes allocated per
 * call (V8's sampling heap profiler, objects already collected included) and, for effect-mcp over
 * HTTP, the steps of the Effect runtime per call (its op supervision).
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import * as Effect from "effect/Effect"
import * as Supervisor from "effect/Supervisor"
import { clients } from "./clients.js"
import { effectMcpSupervised } from "./clients/effectMcp.js"
import type { Connected } from "./loops.js"
import { httpPeerNames, minimalStdioPeer, startPeer, stdioPeer } from "./peers.js"

const [name = "effect-mcp", calls = "20000", concurrency = "16", peerArg = "minimal"] = process.argv.slice(2)
const client = clients.find((candidate) => candidate.name === name)
if (client === undefined) throw new Error(`unknown client ${name}`)
const stdio = peerArg === "stdio" ? stdioPeer : peerArg === "stdio-min" ? minimalStdioPeer : undefined
const counting = process.env["PROFILE_COUNT"] !== undefined
let steps = 0
let stepsCounted = false

/** Counts the runtime's steps while `stepsCounted`. */
class StepCounter extends Supervisor.AbstractSupervisor<void> {
  get value() {
    return Effect.void
  }
  override onEffect() {
    if (stepsCounted) steps++
  }
}
const stepCounter = new StepCounter()
let stop = () => Promise.resolve()
let connected: Connected
if (stdio !== undefined) {
  if (client.stdio === undefined) throw new Error(`${name} does not speak stdio`)
  connected = await client.stdio(stdio)
} else {
  const peerName = httpPeerNames.find((candidate) => candidate === peerArg)
  if (peerName === undefined) throw new Error(`unknown peer ${peerArg}`)
  if (client.http === undefined) throw new Error(`${name} does not speak HTTP`)
  const peer = await startPeer(peerName)
  stop = peer.stop
  connected = counting && name === "effect-mcp" ? await effectMcpSupervised(`${peer.origin}/mcp`, stepCounter) : await client.http(`${peer.origin}/mcp`)
}
const workers = Number(concurrency)
await connected.run(workers, { calls: 200, until: Number.POSITIVE_INFINITY }, [])
const profileOut = process.env["PROFILE_OUT"]
const inspector = profileOut === undefined && !counting ? undefined : new Session()
inspector?.connect()
if (profileOut !== undefined && inspector !== undefined) {
  await inspector.post("Profiler.enable")
  await inspector.post("Profiler.start")
}
interface SamplingNode {
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}
const allocated = (node: SamplingNode): number => node.children.reduce((sum, child) => sum + allocated(child), node.selfSize)
if (counting && inspector !== undefined) {
  await inspector.post("HeapProfiler.enable")
  await inspector.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  stepsCounted = true
}
const start = performance.now()
const made = await connected.run(workers, { calls: Number(calls) / workers, until: Number.POSITIVE_INFINITY }, [])
const seconds = (performance.now() - start) / 1000
if (counting && inspector !== undefined) {
  stepsCounted = false
  const { profile } = await inspector.post("HeapProfiler.stopSampling")
  const perCall = (n: number) => Math.round(n / made)
  console.log(`${name}: ${perCall(allocated(profile.head))} bytes allocated per call${steps > 0 ? `, ${(steps / made).toFixed(1)} runtime steps per call` : ""}`)
}
if (inspector !== undefined && profileOut !== undefined) {
  const { profile } = await inspector.post("Profiler.stop")
  writeFileSync(profileOut, JSON.stringify(profile))
}
inspector?.disconnect()
console.log(`${name}: ${Math.round(made / seconds)} calls/s at concurrency ${concurrency} on ${peerArg}`)
await connected.close()
await stop()
