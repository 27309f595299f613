/**
 * What every command shares: `--config`, `--json`, the client of one run, and printing.
 *
 * @since 0.1.0
 */
import { McpClient, type McpError, McpHttpClient, McpOAuth } from "@effect-mcp/client"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { line, warning } from "./Output.js"
import * as Tokens from "./tokens.js"

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

/**
 * What a command's client is built with besides the config file.
 *
 * @since 0.1.0
 * @category running
 */
export interface ClientOptions {
  /** `--tokens`: the OAuth token file every command shares. */
  readonly tokens: Option.Option<string>
  readonly healthInterval?: Duration.Duration | undefined
  /**
   * Who authorizes when a server needs a user. Without one (every command but `login`) the
   * command runs `McpOAuth.nonInteractive`: such a server fails with `AuthorizationError` of step
   * `Interaction` before any discovery or registration is attempted for nothing.
   */
  readonly authorizer?: McpOAuth.AuthorizerService | undefined
}

/**
 * An option holding a positive, finite duration: `'30 seconds'`, `'500 millis'`, or milliseconds.
 *
 * @since 0.1.0
 * @category options
 */
export const duration = (name: string, description: string, defaultValue: string) =>
  Options.text(name).pipe(
    Options.withPseudoName("duration"),
    Options.withDescription(description),
    Options.withDefault(defaultValue),
    Options.mapEffect((text) => {
      const decoded = /^\d+$/.test(text.trim()) ? Option.some(Duration.millis(Number(text))) : Duration.decodeUnknown(text)
      return Option.isSome(decoded) && Duration.isFinite(decoded.value) && Duration.greaterThan(decoded.value, Duration.zero)
        ? Effect.succeed(decoded.value)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: not a positive duration: ${JSON.stringify(text)}`)))
    })
  )

/** The client of one command run, closed with it. */
const clientLayer = (file: Option.Option<string>, options: ClientOptions) =>
  McpClient.layerConfig({
    config: Option.match(file, { onNone: () => undefined, onSome: Config.succeed }),
    clientInfo: { name: "effect-mcp-cli", version },
    healthInterval: options.healthInterval
  }).pipe(Layer.provide(Layer.mergeAll(
    McpHttpClient.layerUndici,
    Tokens.layerStore(options.tokens),
    options.authorizer === undefined ? Layer.empty : Layer.succeed(McpOAuth.Authorizer, options.authorizer)
  )))

/**
 * Runs a command with the client of the servers of `file`, closed when it ends, its OAuth tokens
 * in the token file of `options.tokens`.
 *
 * @since 0.1.0
 * @category running
 */
export const withClient = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  file: Option.Option<string>,
  options: ClientOptions
) => Effect.provide(options.authorizer === undefined ? McpOAuth.nonInteractive(effect) : effect, clientLayer(file, options))

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

/**
 * Lists something of one server (failing with that server's error: unknown, unreachable, offers
 * none), or of every configured server, naming on stderr each one left out and why; a server
 * that does not offer it at all (-32601) is skipped silently. The client caches what is listed,
 * so the listing across servers that follows asks no server again. Gives the servers listed.
 *
 * @since 0.1.0
 * @category running
 */
export const listEach = (
  server: Option.Option<string>,
  list: (server: string, options: McpClient.RequestOptions) => Effect.Effect<unknown, McpError.McpClientError>
) =>
  Effect.gen(function*() {
    if (Option.isSome(server)) {
      yield* list(server.value, {})
      return [server.value]
    }
    const servers = (yield* Effect.flatMap(McpClient.McpClient, (mcp) => mcp.status)).map((entry) => entry.server)
    yield* Effect.forEach(servers, (name) =>
      list(name, { retry: false }).pipe(
        Effect.catchAll((error) =>
          error._tag === "ProtocolError" && error.code === -32601 ? Effect.void : warning(`${name}: left out: ${Tokens.withLoginHint(error)}`)
        )
      ), { concurrency: "unbounded", discard: true })
    return servers
  })
