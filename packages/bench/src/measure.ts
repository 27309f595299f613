/**
 * One peer, every client that speaks its transport, at concurrency 1 and 16: a warm-up, then
 * alternating rounds (forward, backward), each bounded in calls and in time; the median rate of
 * the rounds is reported, with ratios to the raw client, the SDK client and the AI SDK client
 * measured in the same rounds.
 */
import { clients } from "./clients.js"
import type { BenchClient, Connected, Latencies, StdioServer } from "./loops.js"
import { median, percentile, round } from "./stats.js"
import * as Warnings from "./warnings.js"

export interface Settings {
  readonly warmup: { readonly calls: number; readonly seconds: number }
  readonly rounds: number
  /** Calls per round, all workers together, and the longest a round may take. */
  readonly round: { readonly calls: { readonly 1: number; readonly 16: number }; readonly seconds: number }
}

export type PeerTarget =
  | { readonly name: string; readonly url: string }
  | { readonly name: string; readonly stdio: StdioServer }

export interface Row {
  readonly peer: string
  readonly client: string
  readonly concurrency: number
  /** Calls made in the measured rounds (fewer than asked when a round ran out of time). */
  readonly calls: number
  readonly callsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** This rate over the raw client's, the SDK client's, the AI SDK client's; null when that client has no row here. */
  readonly vsRaw: number | null
  readonly vsSdk: number | null
  readonly vsAiSdk: number | null
}

/** Two full collections, when `--expose-gc` gave us `gc`. */
export const gc = () => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) {
    collect()
    collect()
  }
}

const connect = (client: BenchClient, peer: PeerTarget): Promise<Connected> | undefined =>
  "url" in peer ? client.http?.(peer.url) : client.stdio?.(peer.stdio)

export const measure = async (peer: PeerTarget, settings: Settings): Promise<Array<Row>> => {
  const connected = new Map<string, Connected>()
  for (const client of clients) {
    Warnings.during(client.name, peer.name)
    const connecting = connect(client, peer)
    if (connecting !== undefined) connected.set(client.name, await connecting)
  }
  const present = clients.filter((client) => connected.has(client.name))
  const rows: Array<Row> = []
  for (const concurrency of [1, 16] as const) {
    const perWorker = Math.ceil(settings.round.calls[concurrency] / concurrency)
    const rates = new Map<string, Array<number>>(present.map((client) => [client.name, []]))
    const latencies = new Map<string, Latencies>(present.map((client) => [client.name, []]))
    // warnings are counted per concurrency too: some clients raise them only under load
    const phase = `${peer.name}, concurrency ${concurrency}`
    for (const client of present) {
      Warnings.during(client.name, phase)
      const bound = { calls: Math.ceil(settings.warmup.calls / concurrency), until: performance.now() + settings.warmup.seconds * 1000 }
      await connected.get(client.name)!.run(concurrency, bound, [])
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const client of round % 2 === 0 ? present : [...present].reverse()) {
        gc()
        Warnings.during(client.name, phase)
        const start = performance.now()
        const calls = await connected.get(client.name)!.run(
          concurrency,
          { calls: perWorker, until: start + settings.round.seconds * 1000 },
          latencies.get(client.name)!
        )
        rates.get(client.name)!.push(calls / ((performance.now() - start) / 1000))
      }
    }
    const rate = (name: string) => (rates.has(name) ? median(rates.get(name)!) : undefined)
    for (const client of present) {
      const samples = latencies.get(client.name)!
      const perSecond = rate(client.name)!
      const versus = (name: string) => {
        const other = rate(name)
        return other === undefined ? null : round(perSecond / other)
      }
      rows.push({
        peer: peer.name,
        client: client.name,
        concurrency,
        calls: samples.length,
        callsPerSecond: round(perSecond, 0),
        p50Ms: round(percentile(samples, 50), 3),
        p99Ms: round(percentile(samples, 99), 3),
        vsRaw: versus("raw"),
        vsSdk: versus("SDK client"),
        vsAiSdk: versus("AI SDK client")
      })
    }
  }
  Warnings.during("closing", peer.name)
  for (const each of connected.values()) await each.close()
  return rows
}
