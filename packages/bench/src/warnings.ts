/**
 * Process warnings, counted and attributed to whatever ran when they were raised (the client and
 * the peer). Run the benchmark with `--no-warnings` so that they are counted, not printed: the AI
 * SDK client raises thousands.
 */

let phase = { client: "start-up", peer: "" }
const counts = new Map<string, number>()
const samples: Array<string> = []

/** Attributes the warnings raised from now on to `client` against `peer`. */
export const during = (client: string, peer = "") => {
  phase = { client, peer }
}

process.on("warning", (warning) => {
  const key = phase.peer === "" ? phase.client : `${phase.client} on ${phase.peer}`
  counts.set(key, (counts.get(key) ?? 0) + 1)
  const text = `(${key}) ${warning.name}: ${warning.message}`
  if (samples.length < 5 && !samples.some((sample) => sample.startsWith(`(${key}) ${warning.name}`))) samples.push(text)
})

export interface WarningReport {
  /** Count per "client on peer" (or phase, such as start-up). */
  readonly byPhase: Record<string, number>
  /** Count per client, over every peer. */
  readonly byClient: Record<string, number>
  readonly total: number
  /** The first warning of a few kinds, to see what they were. */
  readonly samples: ReadonlyArray<string>
}

export const report = (): WarningReport => {
  const byClient = new Map<string, number>()
  let total = 0
  for (const [key, n] of counts) {
    const client = key.split(" on ")[0]!
    byClient.set(client, (byClient.get(client) ?? 0) + n)
    total += n
  }
  return { byPhase: Object.fromEntries(counts), byClient: Object.fromEntries(byClient), total, samples: [...samples] }
}
