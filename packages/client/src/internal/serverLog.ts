/**
 * A server's `notifications/message` as an Effect log: the server's words at the matching level,
 * annotated with who said them, so that they reach whatever logger the application installed.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Predicate from "effect/Predicate"

/** One log message of a server, as it sent it. @internal */
export interface Message {
  readonly server: string
  /** One of the spec's syslog levels, or whatever a lax server sent instead. */
  readonly level: McpSchema.LoggingLevel | (string & {})
  readonly logger: string | undefined
  readonly data: unknown
}

/**
 * Effect has no notice, critical, alert or emergency: the nearest level is taken, and the syslog
 * level is kept in the `mcp.level` annotation. The three most severe are `Error` rather than
 * `Fatal`: Effect's `Fatal` says that this application is failing, and a server's distress is not
 * that.
 */
const levels: Record<McpSchema.LoggingLevel, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  notice: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  critical: LogLevel.Error,
  alert: LogLevel.Error,
  emergency: LogLevel.Error
}

const byName: ReadonlyMap<string, LogLevel.LogLevel> = new Map(Object.entries(levels))

/** The Effect level of a server's level; one the spec does not name is `Info`. @internal */
export const logLevel = (level: string): LogLevel.LogLevel => byName.get(level) ?? LogLevel.Info

/**
 * The message in `params`, leniently: a level the spec does not name is kept as it is, and a
 * message without one is `info`. By hand rather than with `LoggingMessageNotification`'s schema:
 * a server may log with every answer, and each field is a `typeof` away.
 *
 * @internal
 */
export const decode = (server: string, params: unknown): Message => {
  const record = Predicate.isRecord(params) ? params : {}
  return {
    server,
    level: typeof record.level === "string" ? record.level : "info",
    logger: typeof record.logger === "string" ? record.logger : undefined,
    data: record.data
  }
}

/**
 * Logs the message at its level, annotated with `mcp.server`, `mcp.level` and, when the server
 * named one, `mcp.logger`. Text is logged as it is; any other data as a value, for the logger to
 * render. A message below the minimum log level costs no annotation.
 *
 * @internal
 */
export const log = (message: Message): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    const level = logLevel(message.level)
    if (LogLevel.lessThan(level, fiber.getFiberRef(FiberRef.currentMinimumLogLevel))) return Effect.void
    return Effect.logWithLevel(level, message.data).pipe(
      Effect.annotateLogs(
        message.logger === undefined
          ? { "mcp.server": message.server, "mcp.level": message.level }
          : { "mcp.server": message.server, "mcp.level": message.level, "mcp.logger": message.logger }
      )
    )
  })
