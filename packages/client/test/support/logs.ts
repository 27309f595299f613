/**
 * A logger that keeps every line (debug included) with its level and annotations, for tests
 * that read what was logged.
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"

export interface LogLine {
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
}

export const captureLogs = (): { readonly lines: ReadonlyArray<LogLine>; readonly layer: Layer.Layer<never> } => {
  const lines: Array<LogLine> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    // Effect passes the messages of one log call as an array
    const messages = Array.isArray(message) ? message : [message]
    lines.push({ level: logLevel.label, message: messages.length === 1 ? messages[0] : messages, annotations: Object.fromEntries(annotations) })
  })
  return { lines, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All)) }
}

/** The first message of a log line, as text (the others are causes or values). */
export const textOf = (line: LogLine): string => String(Array.isArray(line.message) ? line.message[0] : line.message)

/**
 * The lines a server sent, by their `mcp.server` annotation, with only their `mcp.` annotations
 * (a session's fibers may carry others, such as `server` on a stdio reader).
 */
export const serverLines = (lines: ReadonlyArray<LogLine>, server: string): ReadonlyArray<LogLine> =>
  lines.filter((line) => line.annotations["mcp.server"] === server).map((line) => ({
    ...line,
    annotations: Object.fromEntries(Object.entries(line.annotations).filter(([key]) => key.startsWith("mcp.")))
  }))
