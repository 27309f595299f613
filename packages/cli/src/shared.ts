/**
 * What every command shares: `--config`, `--json`, the client of one run, and printing.
 *
 * @since 0.1.0
 */
import { McpClient, McpHttpClient } from "@effect-mcp/client"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { line } from "./Output.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const version = "0.1.0"

/**
 * `--config <file>`.
 *
 * @since 0.1.0
 * @category options
 */
export const config = Options.text("config").pipe(
  Options.withAlias("c"),
  Options.withPseudoName("file"),
  Options.withDescription(
    "The mcpServers JSON file (or the JSON itself, starting with '{'). Default: the file named by env MCP_CONFIG."
  ),
  Options.optional
)

/**
 * `--json`.
 *
 * @since 0.1.0
 * @category options
 */
export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON for scripts instead of a table."))

/**
 * `--auth <token>`, for the commands that talk to one server.
 *
 * @since 0.1.0
 * @category options
 */
export const auth = Options.redacted("auth").pipe(
  Options.withPseudoName("token"),
  Options.withDescription(
    "Bearer token sent as 'Authorization: Bearer <token>' (e.g. the end user's JWT); refused for a stdio server (exit 4)."
  ),
  Options.optional
)

/** The client of one command run, closed with it. */
const clientLayer = (file: Option.Option<string>, healthInterval?: Duration.Duration) =>
  McpClient.layerConfig({
    config: Option.match(file, { onNone: () => undefined, onSome: Config.succeed }),
    clientInfo: { name: "effect-mcp-cli", version },
    healthInterval
  }).pipe(Layer.provide(McpHttpClient.layerUndici))

/**
 * Runs a command with the client of the servers of `file`, closed when it ends.
 *
 * @since 0.1.0
 * @category running
 */
export const withClient = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  file: Option.Option<string>,
  healthInterval?: Duration.Duration
) => Effect.provide(effect, clientLayer(file, healthInterval))

/**
 * @since 0.1.0
 * @category printing
 */
export const printJson = (value: unknown) => line(JSON.stringify(value, null, 2))

/**
 * @since 0.1.0
 * @category printing
 */
export const printLines = (lines: ReadonlyArray<string>) => Effect.forEach(lines, line, { discard: true })
