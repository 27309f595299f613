/**
 * The health loop at scale: `McpClient` configured with many servers (cheap `GET /health`
 * endpoints of the minimal peer), interval 1 s; the peer records when each server was probed.
 *
 * "Every interval" is each server's own: a server's probes follow a fixed schedule from its first
 * one, and its k-th interval is the second centred on `first + k s`. Servers' schedules start at
 * different times (opening 1 000 connections takes about a second, which spreads them over the
 * interval), so one-second windows common to all servers would count a probe a few milliseconds
 * late at a window's edge as a missed interval, and one on time in the next window as a double.
 */
import { McpClient } from "@effect-mcp/client"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { round } from "./stats.js"

export interface ScaleResult {
  readonly servers: number
  readonly seconds: number
  readonly probesPerSecond: number
  /** Every server probed in every interval of its own schedule during the run. */
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
  const gaps: Array<number> = []
  const end = Math.max(...Object.values(probes).map((times) => times[times.length - 1] ?? Number.NEGATIVE_INFINITY))
  for (let i = 0; i < servers; i++) {
    const times = probes[String(i)] ?? []
    total += times.length
    const first = times[0]
    if (first === undefined) {
      everyInterval = false
      continue
    }
    // every whole interval of this server's schedule before the run's last probe holds a probe
    const intervals = new Set(times.map((time) => Math.round((time - first) / 1000)))
    for (let k = 1; first + (k + 0.5) * 1000 <= end; k++) if (!intervals.has(k)) everyInterval = false
    for (let k = 1; k < times.length; k++) {
      const gap = times[k]! - times[k - 1]!
      gaps.push(gap)
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
    meanIntervalMs: round(mean(gaps), 1),
    driftPercent: round((mean(deviations) / 1000) * 100, 1),
    heapMb
  }
}
