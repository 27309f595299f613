/** The printed table, the bare references' summary, and the targets checked against the rows. */
import type { Row } from "./measure.js"
import type { ScaleResult } from "./scale.js"
import { round } from "./stats.js"
import type { WarningReport } from "./warnings.js"

const pad = (value: string | number, width: number) => String(value).padStart(width)

const ratio = (value: number | null) => (value === null ? "-" : value.toFixed(2))

export const printTable = (rows: ReadonlyArray<Row>) => {
  console.log(
    "\npeers: minimal = JSON with Content-Length, chunked = the same JSON chunked, sse-stream = a notification event then the\n" +
      "answer, chunked; sdk = the official SDK server (SSE answers); stdio = the official SDK server over stdio, stdio-min = the\n" +
      "minimal responder over stdio (a child process per client on both).\n" +
      "raw = hand-written undici POSTs (HTTP) or JSON lines (stdio): the limit. bare HttpClient and bare Effect are references.\n" +
      "effect-mcp (spawn) = effect-mcp with its stdio processes on child_process.spawn instead of Command: an experiment.\n" +
      "effect-mcp + tracer = effect-mcp with @effect/opentelemetry installed, exporting its spans to memory (HTTP peers)."
  )
  console.log(
    `\n${"peer".padEnd(10)} ${"client".padEnd(20)} ${pad("conc", 4)} ${pad("calls/s", 9)} ${pad("p50 ms", 8)} ${pad("p99 ms", 8)} ` +
      `${pad("vs raw", 7)} ${pad("vs SDK", 7)} ${pad("vs AI SDK", 9)}`
  )
  let previous = ""
  for (const row of rows) {
    const group = `${row.peer}/${row.concurrency}`
    if (previous !== "" && group !== previous) console.log("")
    previous = group
    console.log(
      `${row.peer.padEnd(10)} ${row.client.padEnd(20)} ${pad(row.concurrency, 4)} ${pad(row.callsPerSecond, 9)} ${pad(row.p50Ms, 8)} ` +
        `${pad(row.p99Ms, 8)} ${pad(ratio(row.vsRaw), 7)} ${pad(ratio(row.vsSdk), 7)} ${pad(ratio(row.vsAiSdk), 9)}`
    )
  }
}

const findRow = (rows: ReadonlyArray<Row>, peer: string, client: string, concurrency: number): Row | undefined =>
  rows.find((row) => row.peer === peer && row.client === client && row.concurrency === concurrency)

/** How far the two bare references get on the minimal peers, and how much of the bare `HttpClient`'s speed effect-mcp keeps. */
export const printReferences = (rows: ReadonlyArray<Row>) => {
  const percent = (value: number) => `${round(value * 100, 0)}%`
  console.log("\nreferences (not targets):")
  for (const peer of ["minimal", "chunked"]) {
    for (const concurrency of [1, 16]) {
      const rate = (client: string) => findRow(rows, peer, client, concurrency)?.callsPerSecond ?? Number.NaN
      const raw = rate("raw")
      if (Number.isNaN(raw)) continue
      const bare = rate("bare HttpClient")
      console.log(
        `  ${peer}, concurrency ${concurrency}: bare Effect ${percent(rate("bare Effect") / raw)} of raw, ` +
          `bare HttpClient ${percent(bare / raw)} of raw; effect-mcp ${percent(rate("effect-mcp") / bare)} of bare HttpClient`
      )
    }
  }
  // what exporting a span per call (and its attempt's) costs
  for (const peer of ["minimal", "chunked", "sse-stream", "sdk"]) {
    for (const concurrency of [1, 16]) {
      const traced = findRow(rows, peer, "effect-mcp + tracer", concurrency)
      const plain = findRow(rows, peer, "effect-mcp", concurrency)
      if (traced === undefined || plain === undefined) continue
      const kept = traced.callsPerSecond / plain.callsPerSecond
      console.log(
        `  ${peer}, concurrency ${concurrency}: effect-mcp + tracer makes ${percent(kept)} of effect-mcp's calls/s ` +
          `(overhead ${percent(1 / kept - 1)} per call), p50 ${traced.p50Ms} ms vs ${plain.p50Ms} ms`
      )
    }
  }
  // no client beats the raw one by much, so raw over SDK is about the most any client's "vs SDK" can reach
  for (const peer of ["stdio", "stdio-min"]) {
    const raw = findRow(rows, peer, "raw", 16)
    if (raw?.vsSdk != null) console.log(`  ${peer}, concurrency 16: raw is ${raw.vsSdk}× the SDK client, about the ceiling of any client's ratio to it`)
    for (const concurrency of [1, 16]) {
      const spawned = findRow(rows, peer, "effect-mcp (spawn)", concurrency)
      const command = findRow(rows, peer, "effect-mcp", concurrency)
      if (spawned === undefined || command === undefined) continue
      console.log(
        `  ${peer}, concurrency ${concurrency}: effect-mcp (spawn) is ${round(spawned.callsPerSecond / command.callsPerSecond)}× effect-mcp ` +
          `(Command), ${spawned.vsRaw}× raw, ${spawned.vsSdk}× the SDK client`
      )
    }
  }
}

export interface Target {
  readonly name: string
  readonly met: boolean
  readonly value: string
}

export interface Heap {
  readonly calls: number
  readonly growthMb: number
}

/** At least `floor` times the other client, on `peer` at `concurrency`; missed when either row is absent. */
const atLeast = (rows: ReadonlyArray<Row>, peer: string, concurrency: number, other: "raw" | "SDK client" | "AI SDK client", floor: number): Target => {
  const ours = findRow(rows, peer, "effect-mcp", concurrency)
  const value = ours === undefined ? null : other === "raw" ? ours.vsRaw : other === "SDK client" ? ours.vsSdk : ours.vsAiSdk
  return {
    name: `${peer}, concurrency ${concurrency}: effect-mcp ≥ ${floor}× ${other}`,
    met: value !== null && value >= floor,
    value: value === null ? (ours === undefined ? "no effect-mcp row" : `no ${other} row`) : `${value}×`
  }
}

export const targets = (rows: ReadonlyArray<Row>, heap: Heap, warnings: WarningReport, scaled: ScaleResult): ReadonlyArray<Target> => {
  const ownWarnings = warnings.byClient["effect-mcp"] ?? 0
  return [
    ...["minimal", "chunked"].flatMap((peer) =>
      [1, 16].flatMap((concurrency) => [
        atLeast(rows, peer, concurrency, "raw", 0.6),
        atLeast(rows, peer, concurrency, "SDK client", 3),
        atLeast(rows, peer, concurrency, "AI SDK client", 3)
      ])
    ),
    atLeast(rows, "stdio", 16, "SDK client", 2),
    atLeast(rows, "stdio-min", 16, "SDK client", 2),
    { name: `heap growth within 10 MB over ${heap.calls} calls`, met: heap.growthMb <= 10, value: `${heap.growthMb} MB` },
    { name: "zero process warnings from effect-mcp", met: ownWarnings === 0, value: String(ownWarnings) },
    { name: "every server probed every interval", met: scaled.everyServerEveryInterval, value: String(scaled.everyServerEveryInterval) },
    { name: "interval drift under 10%", met: scaled.driftPercent < 10, value: `${scaled.driftPercent}%` }
  ]
}
