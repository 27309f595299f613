/**
 * The side-by-side benchmark: raw (the limit: hand-written undici POSTs, or JSON lines over
 * stdio), the official SDK client, the AI SDK client and effect-mcp, with two bare references
 * (the least an Effect client, and a client built on `HttpClient`, can do per call), in one
 * process run against the same peers: the minimal responder answering JSON with Content-Length,
 * the same answering chunked, the same streaming a notification and then its answer as SSE, the
 * official SDK server (SSE), the official SDK server over stdio, and the minimal responder over
 * stdio (where the client, not the SDK server, is the bottleneck). Concurrency 1 and 16, in
 * alternating rounds after a warm-up, every loop bounded in calls and in time. Then heap growth
 * over many calls, process warnings, and the health loop over 1 000 servers. Prints a table,
 * writes JSON, and exits non-zero when a target is missed.
 *
 * `--smoke` runs a tiny version (a few hundred calls per client, 50 servers for 3 s) that checks
 * the machinery and reports, without enforcing targets: timing needs a quiet machine.
 * `--only <peer,...>` measures only the peers named (e.g. `--only stdio,stdio-min`), with the full
 * rounds, and reports the table alone: no heap, health loop or targets.
 * `--out <file>` names the JSON report (default bench-results.json). Run it with `--no-warnings`
 * (as `pnpm bench` does): warnings are counted and attributed to the client that was running,
 * not printed.
 */
import { writeFileSync } from "node:fs"
import { effectMcpHttp } from "./clients/effectMcp.js"
import { gc, measure, type Row, type Settings } from "./measure.js"
import { type HttpPeerName, minimalStdioPeer, startPeer, stdioPeer } from "./peers.js"
import { printReferences, printTable, targets } from "./report.js"
import { scale } from "./scale.js"
import { round } from "./stats.js"
import * as Warnings from "./warnings.js"

const smoke = process.argv.includes("--smoke")
const outIndex = process.argv.indexOf("--out")
const onlyIndex = process.argv.indexOf("--only")
const only = onlyIndex === -1 ? undefined : (process.argv[onlyIndex + 1] ?? "").split(",")
const wanted = (peer: string) => only === undefined || only.includes(peer)
const out = outIndex === -1 ? "bench-results.json" : process.argv[outIndex + 1] ?? "bench-results.json"

const settings: Settings & { readonly heap: { readonly calls: number; readonly seconds: number }; readonly servers: number; readonly seconds: number } = smoke
  ? {
    warmup: { calls: 50, seconds: 0.1 },
    rounds: 1,
    round: { calls: { 1: 100, 16: 320 }, seconds: 0.2 },
    heap: { calls: 2_000, seconds: 5 },
    servers: 50,
    seconds: 3
  }
  : {
    warmup: { calls: 3_000, seconds: 1.5 },
    rounds: 5,
    round: { calls: { 1: 4_000, 16: 16_000 }, seconds: 2 },
    heap: { calls: 100_000, seconds: 60 },
    servers: 1_000,
    seconds: 20
  }

const httpPeers: ReadonlyArray<HttpPeerName> = ["minimal", "chunked", "sse-stream", "sdk"]

/** effect-mcp calls on the minimal peer in batches, bounded in count and time; heap measured after a collection. */
const heapGrowth = async (url: string) => {
  Warnings.during("effect-mcp", "minimal")
  const client = await effectMcpHttp(url)
  await client.run(16, { calls: Math.ceil(settings.warmup.calls / 16), until: performance.now() + settings.warmup.seconds * 1000 }, [])
  gc()
  const before = process.memoryUsage().heapUsed
  const until = performance.now() + settings.heap.seconds * 1000
  const perBatch = 10_000
  let calls = 0
  while (calls < settings.heap.calls && performance.now() < until) {
    calls += await client.run(16, { calls: Math.ceil(Math.min(perBatch, settings.heap.calls - calls) / 16), until }, [])
  }
  gc()
  const after = process.memoryUsage().heapUsed
  await client.close()
  return { calls, beforeMb: round(before / 2 ** 20), afterMb: round(after / 2 ** 20), growthMb: round((after - before) / 2 ** 20) }
}

const main = async () => {
  console.log(`effect-mcp benchmark${smoke ? " (smoke)" : ""}: node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === "function" ? "exposed" : "not exposed"}`)
  const rows: Array<Row> = []
  let minimalOrigin = ""
  const peers = []
  if (only !== undefined) {
    for (const name of httpPeers.filter(wanted)) {
      const peer = await startPeer(name)
      rows.push(...await measure({ name, url: `${peer.origin}/mcp` }, settings))
      await peer.stop()
    }
    if (wanted("stdio")) rows.push(...await measure({ name: "stdio", stdio: stdioPeer }, settings))
    if (wanted("stdio-min")) rows.push(...await measure({ name: "stdio-min", stdio: minimalStdioPeer }, settings))
    printTable(rows)
    printReferences(rows)
    writeFileSync(out, JSON.stringify({ smoke, only, node: process.version, date: new Date().toISOString(), settings, rows }, null, 2))
    console.log(`\nwrote ${out}`)
    return
  }
  for (const name of httpPeers) {
    Warnings.during("peer start-up", name)
    const peer = await startPeer(name)
    peers.push(peer)
    if (name === "minimal") minimalOrigin = peer.origin
    rows.push(...await measure({ name, url: `${peer.origin}/mcp` }, settings))
    if (name !== "minimal") await peer.stop()
  }
  rows.push(...await measure({ name: "stdio", stdio: stdioPeer }, settings))
  rows.push(...await measure({ name: "stdio-min", stdio: minimalStdioPeer }, settings))
  printTable(rows)
  printReferences(rows)
  const heap = await heapGrowth(`${minimalOrigin}/mcp`)
  console.log(`\nheap over ${heap.calls} effect-mcp calls: ${heap.beforeMb} MB -> ${heap.afterMb} MB (growth ${heap.growthMb} MB)`)
  Warnings.during("health loop")
  const scaled = await scale(minimalOrigin, settings.servers, settings.seconds)
  console.log(
    `health loop over ${scaled.servers} servers, interval 1 s, ${scaled.seconds} s: ${scaled.probesPerSecond} probes/s, ` +
      `every server probed every interval: ${scaled.everyServerEveryInterval} (longest gap ${scaled.maxGapMs} ms), interval drift ${scaled.driftPercent}% ` +
      `(mean interval ${scaled.meanIntervalMs} ms), heap ${scaled.heapMb} MB`
  )
  await Promise.all(peers.map((peer) => peer.stop()))
  const warnings = Warnings.report()
  console.log(
    `process warnings: ${warnings.total === 0 ? "none" : Object.entries(warnings.byPhase).map(([during, n]) => `${n} while ${during} ran`).join(", ")}`
  )
  for (const sample of warnings.samples) console.log(`  ${sample}`)
  const checked = targets(rows, heap, warnings, scaled)
  console.log(`\ntargets${smoke ? " (reported only in smoke mode)" : ""}:`)
  for (const target of checked) console.log(`  ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.value}`)
  writeFileSync(out, JSON.stringify({ smoke, node: process.version, date: new Date().toISOString(), settings, rows, heap, scale: scaled, warnings, targets: checked }, null, 2))
  console.log(`\nwrote ${out}`)
  if (!smoke && checked.some((target) => !target.met)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 2
})
