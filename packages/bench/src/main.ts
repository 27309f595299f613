/**
 * The side-by-side benchmark: raw undici (the limit), the official SDK client, and effect-mcp,
 * with two bare references (the least an Effect client, and a client built on `HttpClient`, can
 * do per call), in one process run against the same loopback peers, at concurrency 1 and 16, in
 * alternating rounds after a warm-up. Then heap growth over many calls, process warnings, and the
 * health loop over 1 000 servers. Prints a table, writes JSON, and exits non-zero when a target is
 * missed.
 *
 * `--smoke` runs a tiny version (a few hundred calls, 50 servers for 3 s) that checks the
 * machinery and reports, without enforcing targets: timing needs a quiet machine.
 * `--out <file>` names the JSON report (default bench-results.json). Run it with `--no-warnings`
 * (as `pnpm bench` does): warnings are counted and attributed to the client that was running,
 * not printed; the official SDK client raises `MaxListenersExceededWarning` at concurrency 16.
 */
import { writeFileSync } from "node:fs"
import { clients, type Connected, effectMcp, type Latencies } from "./clients.js"
import { startPeer } from "./peers.js"
import { scale, type ScaleResult } from "./scale.js"
import { median, percentile, round } from "./stats.js"

const smoke = process.argv.includes("--smoke")
const outIndex = process.argv.indexOf("--out")
const out = outIndex === -1 ? "bench-results.json" : process.argv[outIndex + 1] ?? "bench-results.json"

const settings = smoke
  ? { warmup: 100, rounds: 1, calls: { 1: 200, 16: 800 }, heapCalls: 2_000, servers: 50, seconds: 3 }
  : { warmup: 3_000, rounds: 5, calls: { 1: 4_000, 16: 16_000 }, heapCalls: 100_000, servers: 1_000, seconds: 20 }

/** Process warnings, attributed to whatever ran when they were raised. */
const warnings: Array<{ readonly during: string; readonly warning: string }> = []
let phase = "start-up"
process.on("warning", (warning) => {
  if (warnings.length < 100) warnings.push({ during: phase, warning: `${warning.name}: ${warning.message}` })
})

interface Row {
  readonly peer: string
  readonly client: string
  readonly concurrency: number
  readonly callsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly vsRaw: number
  readonly vsSdk: number
}

const gc = () => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) {
    collect()
    collect()
  }
}

const measure = async (peerName: string, url: string): Promise<Array<Row>> => {
  const connected = new Map<string, Connected>()
  for (const client of clients) connected.set(client.name, await client.connect(url))
  const rows: Array<Row> = []
  for (const concurrency of [1, 16] as const) {
    const calls = settings.calls[concurrency]
    const rates = new Map<string, Array<number>>(clients.map((client) => [client.name, []]))
    const latencies = new Map<string, Latencies>(clients.map((client) => [client.name, []]))
    for (const client of clients) {
      phase = client.name
      await connected.get(client.name)!.run(concurrency, Math.ceil(settings.warmup / concurrency), [])
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? clients : [...clients].reverse()
      for (const client of order) {
        gc()
        phase = client.name
        const start = performance.now()
        await connected.get(client.name)!.run(concurrency, calls / concurrency, latencies.get(client.name)!)
        rates.get(client.name)!.push(calls / ((performance.now() - start) / 1000))
      }
    }
    const rate = (name: string) => median(rates.get(name)!)
    const raw = rate("raw undici")
    const sdk = rate("SDK client")
    for (const client of clients) {
      const samples = latencies.get(client.name)!
      const perSecond = rate(client.name)
      rows.push({
        peer: peerName,
        client: client.name,
        concurrency,
        callsPerSecond: round(perSecond, 0),
        p50Ms: round(percentile(samples, 50), 3),
        p99Ms: round(percentile(samples, 99), 3),
        vsRaw: round(perSecond / raw),
        vsSdk: round(perSecond / sdk)
      })
    }
  }
  for (const each of connected.values()) await each.close()
  return rows
}

const heapGrowth = async (url: string) => {
  phase = "effect-mcp"
  const client = await effectMcp.connect(url)
  await client.run(16, Math.ceil(settings.warmup / 16), [])
  gc()
  const before = process.memoryUsage().heapUsed
  const perBatch = 10_000
  for (let done = 0; done < settings.heapCalls; done += perBatch) {
    await client.run(16, Math.ceil(Math.min(perBatch, settings.heapCalls - done) / 16), [])
  }
  gc()
  const after = process.memoryUsage().heapUsed
  await client.close()
  return { calls: settings.heapCalls, beforeMb: round(before / 2 ** 20), afterMb: round(after / 2 ** 20), growthMb: round((after - before) / 2 ** 20) }
}

const pad = (value: string | number, width: number) => String(value).padStart(width)

const printTable = (rows: ReadonlyArray<Row>) => {
  console.log(`\n${"peer".padEnd(8)} ${"client".padEnd(15)} ${pad("conc", 4)} ${pad("calls/s", 9)} ${pad("p50 ms", 8)} ${pad("p99 ms", 8)} ${pad("vs raw", 7)} ${pad("vs SDK", 7)}`)
  for (const row of rows) {
    console.log(
      `${row.peer.padEnd(8)} ${row.client.padEnd(15)} ${pad(row.concurrency, 4)} ${pad(row.callsPerSecond, 9)} ${pad(row.p50Ms, 8)} ${pad(row.p99Ms, 8)} ${pad(row.vsRaw.toFixed(2), 7)} ${pad(row.vsSdk.toFixed(2), 7)}`
    )
  }
}

/** The row of `client` at `concurrency` on the minimal peer. */
const minimalRow = (rows: ReadonlyArray<Row>, client: string, concurrency: number): Row | undefined =>
  rows.find((row) => row.peer === "minimal" && row.client === client && row.concurrency === concurrency)

/** How far the two bare references get, and how much of the bare `HttpClient`'s speed effect-mcp keeps. */
const printReferences = (rows: ReadonlyArray<Row>) => {
  const rate = (client: string, concurrency: number) => minimalRow(rows, client, concurrency)?.callsPerSecond ?? Number.NaN
  const percent = (value: number) => `${round(value * 100, 0)}%`
  console.log("\nreferences on the minimal peer (not targets):")
  for (const concurrency of [1, 16]) {
    const raw = rate("raw undici", concurrency)
    const bare = rate("bare HttpClient", concurrency)
    console.log(
      `  concurrency ${concurrency}: bare Effect ${percent(rate("bare Effect", concurrency) / raw)} of raw undici, ` +
        `bare HttpClient ${percent(bare / raw)} of raw undici; effect-mcp ${percent(rate("effect-mcp", concurrency) / bare)} of bare HttpClient`
    )
  }
}

const main = async () => {
  console.log(`effect-mcp benchmark${smoke ? " (smoke)" : ""}: node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === "function" ? "exposed" : "not exposed"}`)
  const minimal = await startPeer("minimal")
  const sdk = await startPeer("sdk")
  const rows = [...await measure("minimal", `${minimal.origin}/mcp`), ...await measure("sdk", `${sdk.origin}/mcp`)]
  printTable(rows)
  printReferences(rows)
  const heap = await heapGrowth(`${minimal.origin}/mcp`)
  console.log(`\nheap over ${heap.calls} effect-mcp calls: ${heap.beforeMb} MB -> ${heap.afterMb} MB (growth ${heap.growthMb} MB)`)
  const scaled: ScaleResult = await scale(minimal.origin, settings.servers, settings.seconds)
  console.log(
    `health loop over ${scaled.servers} servers, interval 1 s, ${scaled.seconds} s: ${scaled.probesPerSecond} probes/s, ` +
      `every server probed every interval: ${scaled.everyServerEveryInterval} (longest gap ${scaled.maxGapMs} ms), interval drift ${scaled.driftPercent}% ` +
      `(mean interval ${scaled.meanIntervalMs} ms), heap ${scaled.heapMb} MB`
  )
  const ownWarnings = warnings.filter((entry) => entry.during === "effect-mcp")
  const byPhase = new Map<string, number>()
  for (const entry of warnings) byPhase.set(entry.during, (byPhase.get(entry.during) ?? 0) + 1)
  console.log(`process warnings: ${warnings.length === 0 ? "none" : [...byPhase].map(([during, n]) => `${n} while ${during} ran`).join(", ")}`)
  for (const entry of warnings.slice(0, 3)) console.log(`  (${entry.during}) ${entry.warning}`)
  await minimal.stop()
  await sdk.stop()

  const ours = (c: number) => minimalRow(rows, "effect-mcp", c)!
  const targets = [
    ...[1, 16].flatMap((c) => [
      { name: `concurrency ${c}: ≥ 3× the SDK client's calls/s`, met: ours(c).vsSdk >= 3, value: `${ours(c).vsSdk}×` },
      { name: `concurrency ${c}: ≥ 75% of raw undici's calls/s`, met: ours(c).vsRaw >= 0.75, value: `${round(ours(c).vsRaw * 100, 0)}%` }
    ]),
    { name: "heap growth within 10 MB", met: heap.growthMb <= 10, value: `${heap.growthMb} MB` },
    { name: "zero process warnings from effect-mcp", met: ownWarnings.length === 0, value: String(ownWarnings.length) },
    { name: "every server probed every interval", met: scaled.everyServerEveryInterval, value: String(scaled.everyServerEveryInterval) },
    { name: "interval drift under 10%", met: scaled.driftPercent < 10, value: `${scaled.driftPercent}%` }
  ]
  console.log(`\ntargets${smoke ? " (reported only in smoke mode)" : ""}:`)
  for (const target of targets) console.log(`  ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.value}`)
  writeFileSync(out, JSON.stringify({ smoke, node: process.version, date: new Date().toISOString(), settings, rows, heap, scale: scaled, warnings, targets }, null, 2))
  console.log(`\nwrote ${out}`)
  if (!smoke && targets.some((target) => !target.met)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 2
})
