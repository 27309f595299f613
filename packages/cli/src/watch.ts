/**
 * `effect-mcp watch`: follows the client's `health` `SubscriptionRef` until interrupted (Ctrl-C),
 * with each server's requests per second and their p50 and p99 latency, read from the client's
 * metrics (`McpTelemetry.operationDuration`; in this process the requests are the probes' pings).
 *
 * - On a terminal the health table is redrawn in place on every change.
 * - Otherwise (plain mode) one line is printed per server whose status, consecutive failures,
 *   circuit or error changed, e.g.
 *   `2026-11-26T07:00:00.000Z restaurant-search healthy 3ms failures=0 circuit=closed transport=http req/s=0.50 p50=3ms p99=9ms`;
 *   with `--json`, one JSON object per such change.
 *
 * @since 0.1.0
 */
import { McpClient, type McpHealth, McpTelemetry } from "@effect-mcp/client"
import * as Terminal from "@effect/platform/Terminal"
import * as Ansi from "@effect/printer-ansi/Ansi"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { line, Output, paint, stripAnsi } from "./Output.js"
import { type Cell, circuitStyle, endpoint, healthStyle, iso, millis, type StatusRow, table } from "./render.js"

/**
 * One server's health at one time, as printed by `watch --json`.
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthEvent extends
  Pick<
    StatusRow,
    | "server"
    | "transport"
    | "url"
    | "command"
    | "status"
    | "responseTimeMs"
    | "consecutiveFailures"
    | "circuit"
    | "lastCheck"
    | "retryAt"
    | "error"
  >
{
  readonly time: string
  /** Requests per second since the server's previous event (since the start for its first). */
  readonly requestsPerSecond: number | null
  /** Median and 99th percentile of every request's duration so far, in milliseconds. */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
}

/**
 * One server's request rate and latency, from two samples of the client's metrics.
 *
 * @since 0.1.0
 * @category models
 */
export type Rates = Pick<HealthEvent, "requestsPerSecond" | "p50Ms" | "p99Ms">

const noRates: Rates = { requestsPerSecond: null, p50Ms: null, p99Ms: null }

/**
 * The rates of one server: the requests counted between the previous sample and this one, per
 * second, and the quantiles of this one.
 *
 * @since 0.1.0
 * @category models
 */
export const rates = (
  previous: { readonly count: number; readonly at: number },
  summary: McpTelemetry.OperationSummary | undefined,
  at: number
): Rates => {
  if (summary === undefined) return { ...noRates, requestsPerSecond: 0 }
  const seconds = (at - previous.at) / 1000
  return {
    requestsPerSecond: seconds <= 0 ? null : Math.max(0, summary.count - previous.count) / seconds,
    p50Ms: summary.p50 === undefined ? null : summary.p50 * 1000,
    p99Ms: summary.p99 === undefined ? null : summary.p99 * 1000
  }
}

/**
 * Samples the client's metrics for `rates`, keeping each server's previous sample.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSampler = (startedAt: number) => {
  const samples = new Map<string, { count: number; at: number }>()
  return Effect.map(McpTelemetry.summarize(() => true), (summaries) => {
    const byServer = new Map(summaries.map((summary) => [summary.server, summary]))
    return (server: string, at: number): Rates => {
      const previous = samples.get(server) ?? { count: 0, at: startedAt }
      const summary = byServer.get(server)
      const result = rates(previous, summary, at)
      samples.set(server, { count: summary?.count ?? 0, at })
      return result
    }
  })
}

/**
 * Whether `next` is worth a line: first sight, or a new status, failure count, circuit or error.
 *
 * @since 0.1.0
 * @category models
 */
export const changed = (previous: McpHealth.ServerHealth | undefined, next: McpHealth.ServerHealth): boolean =>
  previous === undefined ||
  previous.status !== next.status ||
  previous.consecutiveFailures !== next.consecutiveFailures ||
  previous.circuit !== next.circuit ||
  previous.error !== next.error

/**
 * How a server is reached: what `status` says of it, which does not change while the client runs.
 *
 * @since 0.1.0
 * @category models
 */
export type Reach = Pick<StatusRow, "transport" | "url" | "command">

const reachOf = (status: McpClient.ServerStatus): Reach => ({
  transport: status.transport ?? null,
  url: status.url ?? null,
  command: status.command ?? null
})

const unreached: Reach = { transport: null, url: null, command: null }

/**
 * The event of one server's health; its time is the last check, else `now`.
 *
 * @since 0.1.0
 * @category models
 */
export const event = (health: McpHealth.ServerHealth, now: DateTime.Utc, reach: Reach = unreached, measured: Rates = noRates): HealthEvent => ({
  time: DateTime.formatIso(health.lastCheck ?? now),
  ...measured,
  server: health.server,
  ...reach,
  status: health.status,
  responseTimeMs: health.responseTimeMs ?? null,
  consecutiveFailures: health.consecutiveFailures,
  circuit: health.circuit,
  lastCheck: iso(health.lastCheck),
  retryAt: iso(health.retryAt),
  error: health.error ?? null
})

/**
 * The plain line of an event.
 *
 * @since 0.1.0
 * @category formatting
 */
export const eventLine = (e: HealthEvent): string =>
  e.status === "unsupported"
    ? `${e.time} ${e.server} unsupported${e.error === null ? "" : ` ${JSON.stringify(e.error)}`}`
    : `${e.time} ${e.server} ${e.status} ${millis(e.responseTimeMs)} failures=${e.consecutiveFailures} circuit=${e.circuit}${
      e.transport === null ? "" : ` transport=${e.transport}`
    } req/s=${perSecond(e.requestsPerSecond)} p50=${millis(e.p50Ms)} p99=${millis(e.p99Ms)}${e.error === null ? "" : ` error=${JSON.stringify(e.error)}`}`

const perSecond = (rate: number | null): string => rate === null ? "-" : rate.toFixed(2)

const healthTable = (events: ReadonlyArray<HealthEvent>, color: boolean): ReadonlyArray<string> =>
  table(
    ["SERVER", "TRANSPORT", "HEALTH", "LATENCY", "FAILURES", "CIRCUIT", "REQ/S", "P50", "P99", "LAST CHECK", "ENDPOINT", "ERROR"],
    events.map((e): ReadonlyArray<Cell> => [
      { text: e.server },
      { text: e.transport ?? "-" },
      { text: e.status, style: healthStyle(e.status) },
      { text: millis(e.responseTimeMs) },
      { text: e.consecutiveFailures === null ? "-" : String(e.consecutiveFailures) },
      { text: e.circuit ?? "-", style: circuitStyle(e.circuit) },
      { text: perSecond(e.requestsPerSecond) },
      { text: millis(e.p50Ms) },
      { text: millis(e.p99Ms) },
      { text: e.lastCheck ?? "-" },
      { text: endpoint(e) },
      { text: (e.error ?? "").replace(/\s+/g, " ") }
    ]),
    color
  )

/** Rows the text takes on a terminal `columns` wide. */
const rowsOf = (lines: ReadonlyArray<string>, columns: number): number =>
  lines.reduce((sum, text) => sum + (columns <= 0 ? 1 : Math.max(1, Math.ceil(stripAnsi(text).length / columns))), 0)

/**
 * Watches the health of every configured server until interrupted.
 *
 * @since 0.1.0
 * @category commands
 */
export const watch = Effect.fn("watch")(function*(options: { readonly json: boolean; readonly interval: Duration.Duration }) {
  const mcp = yield* McpClient.McpClient
  const settings = yield* Output
  const start = yield* DateTime.now
  const statuses = yield* mcp.status
  const reaches = new Map(statuses.map((status) => [status.server, reachOf(status)]))
  const sample = makeSampler(DateTime.toEpochMillis(start))
  const eventOf = (health: McpHealth.ServerHealth, now: DateTime.Utc, measured: (server: string, at: number) => Rates) =>
    event(health, now, reaches.get(health.server), measured(health.server, DateTime.toEpochMillis(now)))
  const unsupported = statuses.flatMap((status): ReadonlyArray<HealthEvent> =>
    status.unsupported === undefined ? [] : [{
      time: DateTime.formatIso(start),
      ...noRates,
      server: status.server,
      ...reachOf(status),
      status: "unsupported",
      responseTimeMs: null,
      consecutiveFailures: null,
      circuit: null,
      lastCheck: null,
      retryAt: null,
      error: status.unsupported
    }]
  )

  if (settings.tty && !options.json) {
    const terminal = yield* Terminal.Terminal
    // a terminal that cannot be written to any more has nobody to show the table to
    const display = (text: string) => Effect.ignore(terminal.display(text))
    let drawn = 0
    const draw = (states: ReadonlyMap<string, McpHealth.ServerHealth>) =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        const columns = yield* terminal.columns
        const measured = yield* sample
        const events = [...[...states.values()].map((health) => eventOf(health, now, measured)), ...unsupported]
        const lines = [
          ...healthTable(events, settings.color),
          "",
          paint(
            settings.color,
            Ansi.blackBright,
            `${DateTime.formatIso(now)}  checks every ${Duration.format(options.interval)}  Ctrl-C to stop`
          )
        ]
        const erase = drawn === 0 ? "" : Ansi.stringify(Ansi.cursorPrevLine(drawn)) + Ansi.stringify(Ansi.eraseDown)
        drawn = rowsOf(lines, columns)
        yield* display(`${erase}${lines.join("\n")}\n`)
      })
    return yield* display(Ansi.stringify(Ansi.cursorHide)).pipe(
      Effect.zipRight(Stream.runForEach(mcp.health.changes, draw)),
      Effect.ensuring(display(Ansi.stringify(Ansi.cursorShow)))
    )
  }

  const print = (e: HealthEvent) => line(options.json ? JSON.stringify(e) : eventLine(e))
  yield* Effect.forEach(unsupported, print, { discard: true })
  let previous: ReadonlyMap<string, McpHealth.ServerHealth> = new Map()
  return yield* Stream.runForEach(mcp.health.changes, (states) =>
    Effect.gen(function*() {
      const now = yield* DateTime.now
      const measured = yield* sample
      for (const [server, health] of states) {
        if (changed(previous.get(server), health)) yield* print(eventOf(health, now, measured))
      }
      previous = states
    }))
})
