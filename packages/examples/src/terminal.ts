/**
 * Readable terminal output for the demo: colours when stdout is a TTY (and `NO_COLOR` is unset),
 * plain text otherwise; simple aligned tables; a logger that shows warnings such as retries.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"

/**
 * Whether to colour the output.
 *
 * @since 0.1.0
 */
export const colourful: boolean = process.stdout.isTTY === true && process.env.NO_COLOR === undefined

const paint = (code: string) => (text: string): string => colourful ? `\u001b[${code}m${text}\u001b[0m` : text

/**
 * @since 0.1.0
 */
export const bold = paint("1")
/**
 * @since 0.1.0
 */
export const dim = paint("2")
/**
 * @since 0.1.0
 */
export const red = paint("31")
/**
 * @since 0.1.0
 */
export const green = paint("32")
/**
 * @since 0.1.0
 */
export const yellow = paint("33")
/**
 * @since 0.1.0
 */
export const cyan = paint("36")

// eslint-disable-next-line no-control-regex
const width = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, "").length

/**
 * Renders rows under a header, each column as wide as its widest cell.
 *
 * @since 0.1.0
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, i) => Math.max(width(title), ...rows.map((row) => width(row[i] ?? ""))))
  const line = (cells: ReadonlyArray<string>) =>
    "  " + cells.map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - width(cell))).join("  ").trimEnd()
  return [line(header.map((title) => bold(title))), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n")
}

/**
 * A heading for one step of the demo.
 *
 * @since 0.1.0
 */
export const heading = (step: number, title: string): string => `\n${bold(cyan(`━━ ${step}. ${title}`))}`

/**
 * Colours a health status.
 *
 * @since 0.1.0
 */
export const status = (value: string): string =>
  value === "healthy" ? green(value) : value === "unhealthy" ? red(value) : yellow(value)

/**
 * Prints warnings and errors (retries, failures) as one readable line each; quieter levels are
 * left out so that the demo's own output stays in front.
 *
 * @since 0.1.0
 */
export const logger: Logger.Logger<unknown, void> = Logger.make(({ annotations, cause, logLevel, message }) => {
  if (LogLevel.lessThan(logLevel, LogLevel.Warning)) return
  const fields = HashMap.toEntries(annotations).map(([key, value]) => `${key}=${String(value)}`).join(" ")
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  const why = Cause.isEmpty(cause) ? "" : ` ${Cause.pretty(cause)}`
  process.stdout.write(`    ${yellow(`⚠ ${text}`)} ${dim(fields)}${why}\n`)
})
