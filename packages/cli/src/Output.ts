/**
 * Where output goes and how it looks: colours only when stdout is a terminal and `NO_COLOR` is
 * not set, errors as one line on stderr, logs on stderr, and `@effect/cli`'s own help and error
 * texts stripped of ANSI codes when colours are off.
 *
 * @since 0.1.0
 */
import * as Terminal from "@effect/platform/Terminal"
import * as Ansi from "@effect/printer-ansi/Ansi"
import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"

/**
 * How to write.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** stdout is a terminal: redraw in place. */
  readonly tty: boolean
  /** Colours on stdout. */
  readonly color: boolean
  /** Colours on stderr. */
  readonly errorColor: boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Output extends Context.Tag("@effect-mcp/cli/Output")<Output, Settings>() {}

/**
 * Settings from the terminal and `NO_COLOR` (any non-empty value turns colours off).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Output, never, Terminal.Terminal> = Layer.effect(
  Output,
  Effect.gen(function*() {
    const terminal = yield* Terminal.Terminal
    const tty = yield* terminal.isTTY
    const errorTty = yield* Effect.sync(() => process.stderr.isTTY === true)
    const noColor = yield* Config.option(Config.string("NO_COLOR")).pipe(Effect.orElseSucceed(() => Option.none()))
    const allowed = Option.match(noColor, { onNone: () => true, onSome: (value) => value === "" })
    return { tty, color: tty && allowed, errorColor: errorTty && allowed }
  })
)

const ANSI_CODE = /\x1b\[[0-9;?]*[A-Za-z]/g

/**
 * The text without ANSI escape codes.
 *
 * @since 0.1.0
 * @category formatting
 */
export const stripAnsi = (text: string): string => text.replace(ANSI_CODE, "")

/**
 * The text in the given style, when `color` is on.
 *
 * @since 0.1.0
 * @category formatting
 */
export const paint = (color: boolean, style: Ansi.Ansi, text: string): string =>
  color && text !== "" ? AnsiDoc.render(AnsiDoc.annotate(AnsiDoc.text(text), style), { style: "pretty" }) : text

/**
 * A message on one line: line breaks and the spaces around them become one space.
 *
 * @since 0.1.0
 * @category formatting
 */
export const oneLine = (text: string): string => text.trim().replace(/\s*[\r\n]+\s*/g, " ")

const plain = (args: ReadonlyArray<unknown>): Array<unknown> =>
  args.map((arg) => typeof arg === "string" ? stripAnsi(arg) : arg)

const trimmed = (args: ReadonlyArray<unknown>): Array<unknown> =>
  args.map((arg) => typeof arg === "string" ? arg.trimEnd() : arg)

/**
 * Runs `effect` with a `Console` that strips ANSI codes from what is written when colours are off
 * (`@effect/cli` always colours its help and parse errors) and trims trailing blank lines from
 * errors, and with logs written to stderr, warnings and below hidden unless `--log-level` asks.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withOutput = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Output> | Terminal.Terminal> =>
  Effect.gen(function*() {
    const settings = yield* Output
    const base = yield* Effect.console
    const console: Console.Console = {
      ...base,
      log: (...args) => base.log(...(settings.color ? args : plain(args))),
      error: (...args) => base.error(...trimmed(settings.errorColor ? args : plain(args)))
    }
    const logger = Logger.prettyLogger({ stderr: true, colors: settings.errorColor })
    return yield* effect.pipe(
      Effect.withConsole(console),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Error)
    )
  }).pipe(Effect.provide(layer))

/**
 * Writes one line on stdout.
 *
 * @since 0.1.0
 * @category output
 */
export const line = (text: string): Effect.Effect<void> => Console.log(text)

/**
 * Writes an error as one line on stderr (red on a terminal).
 *
 * @since 0.1.0
 * @category output
 */
export const error = (message: string): Effect.Effect<void, never, Output> =>
  Effect.flatMap(Output, (settings) => Console.error(paint(settings.errorColor, Ansi.red, oneLine(message))))

/**
 * Writes a warning as one line on stderr (yellow on a terminal).
 *
 * @since 0.1.0
 * @category output
 */
export const warning = (message: string): Effect.Effect<void, never, Output> =>
  Effect.flatMap(Output, (settings) => Console.error(paint(settings.errorColor, Ansi.yellow, oneLine(message))))

/**
 * Writes a note, such as a call's progress, as one line on stderr (dim on a terminal), apart
 * from the result on stdout.
 *
 * @since 0.1.0
 * @category output
 */
export const note = (message: string): Effect.Effect<void, never, Output> =>
  Effect.flatMap(Output, (settings) => Console.error(paint(settings.errorColor, Ansi.blackBright, oneLine(message))))
