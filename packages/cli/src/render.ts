/**
 * What the commands print: the rows of `status`, `tools` and `watch` (the same rows serve the
 * tables and `--json`), tables with aligned columns, and the content of a tool's result.
 *
 * @since 0.1.0
 */
import type { McpClient, McpHealth, McpSession } from "@effect-mcp/client"
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Ansi from "@effect/printer-ansi/Ansi"
import * as DateTime from "effect/DateTime"
import { paint } from "./Output.js"
import { loginHint } from "./tokens.js"

/**
 * One table cell, with an optional style used when colours are on.
 *
 * @since 0.1.0
 * @category tables
 */
export interface Cell {
  readonly text: string
  readonly style?: Ansi.Ansi | undefined
  /** The text already painted, for a cell of several styles (same visible text as `text`). */
  readonly painted?: string | undefined
}

/**
 * A table as lines: columns aligned on the visible text, the last one not padded.
 *
 * @since 0.1.0
 * @category tables
 */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  color: boolean
): ReadonlyArray<string> => {
  const all: ReadonlyArray<ReadonlyArray<Cell>> = [header.map((text) => ({ text, style: Ansi.bold })), ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]?.text.length ?? 0)))
  return all.map((row) =>
    row.map((cell, column) => {
      const padding = column === row.length - 1 ? "" : " ".repeat(widths[column]! - cell.text.length)
      const shown = !color ? cell.text : cell.painted ?? (cell.style === undefined ? cell.text : paint(color, cell.style, cell.text))
      return shown + padding
    }).join("  ").trimEnd()
  )
}

/** `null` for JSON instead of `undefined`. */
const orNull = <A>(value: A | undefined): A | null => value === undefined ? null : value

/**
 * A time as ISO 8601, `null` for none.
 *
 * @since 0.1.0
 * @category formatting
 */
export const iso = (time: DateTime.Utc | undefined): string | null => time === undefined ? null : DateTime.formatIso(time)

/**
 * The colour of a health status.
 *
 * @since 0.1.0
 * @category formatting
 */
export const healthStyle = (status: string): Ansi.Ansi =>
  status === "healthy" ? Ansi.green : status === "unhealthy" ? Ansi.red : status === "unknown" ? Ansi.yellow : Ansi.magenta

/**
 * The colour of a circuit state; none for a closed one.
 *
 * @since 0.1.0
 * @category formatting
 */
export const circuitStyle = (circuit: string | null): Ansi.Ansi | undefined =>
  circuit === "open" ? Ansi.red : circuit === "half-open" ? Ansi.yellow : undefined

/**
 * A response time in whole milliseconds, `-` for none.
 *
 * @since 0.1.0
 * @category formatting
 */
export const millis = (ms: number | null): string => ms === null ? "-" : `${Math.round(ms)}ms`

/**
 * One server in `status` (and in `status --json`).
 *
 * @since 0.1.0
 * @category status
 */
export interface StatusRow {
  readonly server: string
  readonly url: string | null
  /** How the client reaches the server; `null` for an unsupported entry. */
  readonly transport: "http" | "stdio" | null
  /** For a stdio server, the program and its arguments (never its environment). */
  readonly command: string | null
  /** `unsupported` for an entry effect-mcp cannot talk to (the legacy HTTP+SSE transport). */
  readonly status: McpHealth.Status | "unsupported"
  readonly responseTimeMs: number | null
  readonly consecutiveFailures: number | null
  readonly circuit: McpHealth.Circuit | null
  readonly retryAt: string | null
  readonly lastCheck: string | null
  readonly error: string | null
  /** How many tools the server offers; `null` when they could not be listed. */
  readonly tools: number | null
  readonly toolNames: ReadonlyArray<string> | null
  readonly missingTools: ReadonlyArray<string>
  readonly protocolVersion: string | null
  readonly serverInfo: { readonly name: string; readonly version: string } | null
  /** Why the entry cannot be used, for `unsupported`. */
  readonly unsupported: string | null
  /** For a server with `oauth`: whether a token is held, until when and for which scopes (never the token). */
  readonly authorization: {
    readonly authorized: boolean
    readonly expiresAt: string | null
    readonly scopes: ReadonlyArray<string>
  } | null
}

/**
 * The row of one server's `ServerStatus`.
 *
 * @since 0.1.0
 * @category status
 */
export const statusRow = (status: McpClient.ServerStatus): StatusRow => ({
  server: status.server,
  url: orNull(status.url),
  transport: orNull(status.transport),
  command: orNull(status.command),
  status: status.unsupported !== undefined ? "unsupported" : status.health?.status ?? "unknown",
  responseTimeMs: orNull(status.health?.responseTimeMs),
  consecutiveFailures: orNull(status.health?.consecutiveFailures),
  circuit: orNull(status.health?.circuit),
  retryAt: iso(status.health?.retryAt),
  lastCheck: iso(status.health?.lastCheck),
  error: orNull(status.health?.error),
  tools: orNull(status.tools?.length),
  toolNames: orNull(status.tools),
  missingTools: status.missingTools,
  protocolVersion: orNull(status.session?.protocolVersion),
  serverInfo: orNull(status.session?.serverInfo),
  unsupported: orNull(status.unsupported),
  authorization: status.authorization === undefined ? null : {
    authorized: status.authorization.authorized,
    expiresAt: iso(status.authorization.expiresAt),
    scopes: status.authorization.scopes
  }
})

/**
 * The `AUTH` cell: `-` for a server without OAuth, `yes` (`yes until <iso>` when the token
 * expires), or `needed`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const authText = (row: Pick<StatusRow, "authorization">): string =>
  row.authorization === null
    ? "-"
    : !row.authorization.authorized
    ? "needed"
    : row.authorization.expiresAt === null
    ? "yes"
    : `yes until ${row.authorization.expiresAt}`

const statusNote = (row: StatusRow): string =>
  [
    row.unsupported,
    // the client's "not authorized: ..." says what is wrong; here is what fixes it
    row.authorization !== null && !row.authorization.authorized && (row.error === null || row.error.startsWith("not authorized"))
      ? `not authorized: ${loginHint(row.server)}`
      : row.error,
    row.missingTools.length === 0 ? null : `missing tools: ${row.missingTools.join(", ")}`
  ].filter((note) => note !== null).join("; ")

/**
 * Where a server is reached, as shown in the tables: the command of a stdio server (program and
 * arguments; its environment is never shown), else the URL, else `-`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const endpoint = (row: Pick<StatusRow, "command" | "url">): string => row.command ?? row.url ?? "-"

/**
 * The `status` table.
 *
 * @since 0.1.0
 * @category status
 */
export const statusTable = (rows: ReadonlyArray<StatusRow>, color: boolean): ReadonlyArray<string> =>
  table(
    ["SERVER", "TRANSPORT", "HEALTH", "LATENCY", "FAILURES", "CIRCUIT", "TOOLS", "PROTOCOL", "AUTH", "ENDPOINT", "NOTE"],
    rows.map((row) => [
      { text: row.server },
      { text: row.transport ?? "-" },
      { text: row.status, style: healthStyle(row.status) },
      { text: millis(row.responseTimeMs) },
      { text: row.consecutiveFailures === null ? "-" : String(row.consecutiveFailures) },
      { text: row.circuit ?? "-", style: circuitStyle(row.circuit) },
      { text: row.tools === null ? "-" : String(row.tools) },
      { text: row.protocolVersion ?? "-" },
      { text: authText(row), style: row.authorization !== null && !row.authorization.authorized ? Ansi.yellow : undefined },
      { text: endpoint(row) },
      { text: statusNote(row) }
    ]),
    color
  )

/**
 * The hints of a tool, with the MCP defaults applied: `destructive` only means something for a
 * tool that is not read-only (and defaults to true), `openWorld` defaults to true.
 *
 * @since 0.1.0
 * @category tools
 */
export interface Hints {
  readonly readOnly: boolean
  readonly idempotent: boolean
  readonly destructive: boolean
  readonly openWorld: boolean
}

/**
 * One tool in `tools` (and in `tools --json`).
 *
 * @since 0.1.0
 * @category tools
 */
export interface ToolRow {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly title: string | null
  readonly description: string | null
  readonly hints: Hints
  readonly inputSchema: unknown
}

/**
 * The hints of a tool's annotations.
 *
 * @since 0.1.0
 * @category tools
 */
export const hints = (tool: McpSchema.Tool): Hints => {
  const readOnly = tool.annotations?.readOnlyHint === true
  return {
    readOnly,
    idempotent: tool.annotations?.idempotentHint === true,
    destructive: !readOnly && tool.annotations?.destructiveHint !== false,
    openWorld: tool.annotations?.openWorldHint !== false
  }
}

/**
 * The row of one tool.
 *
 * @since 0.1.0
 * @category tools
 */
export const toolRow = (tool: McpClient.QualifiedTool): ToolRow => ({
  server: tool.server,
  name: tool.name,
  qualifiedName: tool.qualifiedName,
  title: orNull(tool.tool.title ?? tool.tool.annotations?.title),
  description: orNull(tool.tool.description),
  hints: hints(tool.tool),
  inputSchema: tool.tool.inputSchema
})

const hintText = (row: ToolRow): ReadonlyArray<Cell> => {
  const cells: Array<Cell> = []
  if (row.hints.readOnly) cells.push({ text: "read-only", style: Ansi.green })
  if (row.hints.idempotent) cells.push({ text: "idempotent", style: Ansi.cyan })
  if (row.hints.destructive) cells.push({ text: "destructive", style: Ansi.red })
  return cells
}

/**
 * The `tools` table.
 *
 * @since 0.1.0
 * @category tools
 */
export const toolsTable = (rows: ReadonlyArray<ToolRow>, color: boolean): ReadonlyArray<string> =>
  table(
    ["TOOL", "HINTS", "DESCRIPTION"],
    rows.map((row) => {
      const hintCells = hintText(row)
      const text = hintCells.map((cell) => cell.text).join(",")
      return [
        { text: row.qualifiedName },
        text === ""
          ? { text: "-" }
          : { text, painted: hintCells.map((cell) => paint(color, cell.style ?? Ansi.bold, cell.text)).join(",") },
        { text: (row.description ?? "").split("\n")[0]! }
      ]
    }),
    color
  )

const bytes = (data: Uint8Array): string => `${data.length} bytes`

/**
 * One content block as text: text as is, other kinds as a one-line description.
 *
 * @since 0.1.0
 * @category call
 */
export const contentText = (block: typeof McpSchema.ContentBlock.Type): string => {
  switch (block.type) {
    case "text":
      return block.text
    case "image":
    case "audio":
      return `[${block.type} ${block.mimeType}, ${bytes(block.data)}]`
    case "resource":
      return "text" in block.resource ? block.resource.text : `[resource ${block.resource.uri}, ${bytes(block.resource.blob)}]`
    case "resource_link":
      return `[resource link ${block.uri}${block.name === "" ? "" : ` (${block.name})`}]`
  }
}

const sameJson = (text: string, value: unknown): boolean => {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value)
  } catch {
    return false
  }
}

/**
 * A tool's result for people: each content block, then `structuredContent` as indented JSON. A
 * text block that is just the structured content serialized (as MCP servers are asked to send
 * for older clients) is shown once, indented.
 *
 * @since 0.1.0
 * @category call
 */
export const callText = (result: McpSchema.CallToolResult): ReadonlyArray<string> => {
  const structured = result.structuredContent
  const pretty = structured === undefined ? undefined : JSON.stringify(structured, null, 2)
  let shown = false
  const blocks = result.content.map((block) => {
    if (pretty !== undefined && block.type === "text" && sameJson(block.text, structured)) {
      shown = true
      return pretty
    }
    return contentText(block)
  })
  return pretty === undefined || shown ? blocks : [...blocks, pretty]
}

/**
 * One progress notification of a call: `progress 3/10: message` (no total or message when the
 * server gave none).
 *
 * @since 0.1.0
 * @category call
 */
export const progressText = (progress: McpSession.Progress): string =>
  `progress ${progress.progress}${progress.total === undefined ? "" : `/${progress.total}`}${
    progress.message === undefined ? "" : `: ${progress.message}`
  }`
