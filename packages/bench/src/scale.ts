/**
 * The health loop at scale: `McpClient` configured with many servers (cheap `GET /health`
 * endpoints of the minimal peer), interval 1 s; the peer records when each server was probed.
 */
import { McpClient } from "@effect-mcp/client"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { round } from "./stats.js"

export interface ScaleResult {
  readonly servers: number
  readonly seconds: number
  readonly probesPerSecond: number
  /** Every server probed in every one-second window of the run. */
  readonly everyServerEveryInterval: boolean
  /** The longest time between two probes of one server. */
  readonly maxGapMs: number
  readonly meanIntervalMs: number
  /** Mean absolute deviation of the time between two probes of a server from the interval. */
  readonly driftPercent: number
  readonly heapMb: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const scale = async (origin: string, servers: number, seconds: number): Promise<ScaleResult> => {
  await fetch(`${origin}/probes`).then((response) => response.text())
  const runtime = ManagedRuntime.make(
    McpClient.layerNode({
      servers: Array.from({ length: servers }, (_, i) => ({ name: `s${i}`, url: `${origin}/s/${i}/mcp`, healthPath: `/s/${i}/health` })),
      healthInterval: "1 second"
    }).pipe(Layer.orDie)
  )
  await runtime.runPromise(McpClient.McpClient)
  await sleep(seconds * 1000)
  const heapMb = round(process.memoryUsage().heapUsed / 2 ** 20)
  await runtime.dispose()
  const probes = (await fetch(`${origin}/probes`).then((response) => response.json())) as Record<string, ReadonlyArray<number>>
  let total = 0
  let everyInterval = true
  let maxGap = 0
  const deviations: Array<number> = []
  const intervals: Array<number> = []
  const start = Math.min(...Object.values(probes).map((times) => times[0] ?? Number.POSITIVE_INFINITY))
  for (let i = 0; i < servers; i++) {
    const times = probes[String(i)] ?? []
    total += times.length
    // every whole one-second window of the run (the first and last may be cut short) holds a probe
    const windows = new Set(times.map((time) => Math.floor((time - start) / 1000)))
    for (let window = 1; window < seconds - 1; window++) if (!windows.has(window)) everyInterval = false
    for (let k = 1; k < times.length; k++) {
      const gap = times[k]! - times[k - 1]!
      intervals.push(gap)
      deviations.push(Math.abs(gap - 1000))
      maxGap = Math.max(maxGap, gap)
    }
  }
  const mean = (values: ReadonlyArray<number>) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)
  return {
    servers,
    seconds,
    probesPerSecond: round(total / seconds, 0),
    everyServerEveryInterval: everyInterval,
    maxGapMs: maxGap,
    meanIntervalMs: round(mean(intervals), 1),
    driftPercent: round((mean(deviations) / 1000) * 100, 1),
    heapMb
  }
}
