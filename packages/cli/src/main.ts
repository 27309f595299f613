/**
 * The program behind the `effect-mcp` binary: parses the command line, runs the command, and
 * turns every expected failure into one line on stderr and its exit code (see `exitCodes.ts`).
 * The exit code is set on `process.exitCode`, so that Node ends by itself once every resource is
 * released; Ctrl-C interrupts the command, which closes its client and exits with 0.
 *
 * @since 0.1.0
 */
import type { McpError } from "@effect-mcp/client"
import type * as CliApp from "@effect/cli/CliApp"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Cli from "./Cli.js"
import * as ExitCodes from "./exitCodes.js"
import * as Output from "./Output.js"
import { withLoginHint } from "./tokens.js"

const setExitCode = (code: ExitCodes.ExitCode) =>
  Effect.sync(() => {
    process.exitCode = code
  })

const configMessage = (error: McpError.McpConfigError): string =>
  error.source === "env" && error.path === "MCP_CONFIG"
    ? `${error.message} (pass --config <file> or set MCP_CONFIG)`
    : error.message

const report = (error: ExitCodes.CommandError | ValidationError.ValidationError) =>
  ValidationError.isValidationError(error)
    // @effect/cli has printed it already
    ? setExitCode(ExitCodes.ExitCode.Usage)
    : Output.error(error._tag === "McpConfigError" ? configMessage(error) : withLoginHint(error)).pipe(
      Effect.zipRight(setExitCode(ExitCodes.fromError(error)))
    )

/**
 * Runs `effect-mcp` with the given command line (`process.argv`). Never fails: failures are
 * reported and become `process.exitCode`.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<void, never, CliApp.CliApp.Environment> =>
  Cli.run(argv).pipe(
    Effect.catchAll(report),
    // a bug, not a failure of the user's making: the whole story, stack included
    Effect.catchAllDefect((defect) =>
      Console.error(`effect-mcp: internal error, please report it:\n${Cause.pretty(Cause.die(defect))}`).pipe(
        Effect.zipRight(setExitCode(ExitCodes.ExitCode.Internal))
      )
    ),
    Output.withOutput
  )
