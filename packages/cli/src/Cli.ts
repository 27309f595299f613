/**
 * The commands of `effect-mcp`: `status`, `tools [server]`, `call <server> <tool> [json-args]`,
 * `watch`, and `login <server>` / `logout <server>` for OAuth. Each reads the servers from
 * `--config <file>` (or env `MCP_CONFIG`), builds one `McpClient` for its run (its OAuth tokens
 * in the token file of `--tokens`) and closes it (sessions deleted, sockets closed) when done.
 *
 * @since 0.1.0
 */
import { McpClient, type McpError, McpOAuth } from "@effect-mcp/client"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { toolArguments } from "./arguments.js"
import * as ExitCodes from "./exitCodes.js"
import { note, Output, warning } from "./Output.js"
import { prompt, prompts } from "./prompts.js"
import * as Render from "./render.js"
import { login, logout } from "./login.js"
import { read, resources } from "./resources.js"
import { loginHint, tokens } from "./tokens.js"
import { auth, config, duration, json, printJson, printLines, version, withClient } from "./shared.js"
import { watch } from "./watch.js"

export {
  /**
   * @since 0.1.0
   * @category constants
   */
  version
} from "./shared.js"

/** Waits for the health round the client runs when it starts, instead of probing again. */
const firstHealthRound = (mcp: McpClient.Service) =>
  mcp.health.changes.pipe(
    Stream.filter((states) => [...states.values()].every((health) => health.status !== "unknown")),
    Stream.take(1),
    Stream.runDrain
  )

/**
 * `effect-mcp status`: one row per server (transport, health, latency, consecutive failures,
 * circuit, tool count, protocol version, OAuth authorization, and the URL or, for a stdio server,
 * the command); unsupported entries appear marked `unsupported`.
 *
 * @since 0.1.0
 * @category commands
 */
export const status = Command.make(
  "status",
  { config, tokens, json },
  Effect.fn("status")(
    function*({ json }) {
      const mcp = yield* McpClient.McpClient
      const output = yield* Output
      yield* firstHealthRound(mcp)
      const healthy = yield* mcp.healthyServers
      // lists the tools of the servers that answer (and opens their session: protocol version);
      // never brings a user in: a server that needs one says so in its AUTH column
      yield* Effect.forEach(healthy, (server) => Effect.ignore(McpOAuth.nonInteractive(mcp.listTools(server))), {
        concurrency: "unbounded",
        discard: true
      })
      const rows = (yield* mcp.status).map(Render.statusRow)
      yield* json ? printJson(rows) : printLines(Render.statusTable(rows, output.color))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription(
  "Show every configured server: transport, health, latency, failures, circuit, tools, protocol, OAuth authorization, URL or command."
))

/**
 * `effect-mcp tools [server]`: the tools of every reachable server (or of one), with their
 * qualified names, descriptions and hints.
 *
 * @since 0.1.0
 * @category commands
 */
export const tools = Command.make(
  "tools",
  {
    config,
    tokens,
    json,
    server: Args.text({ name: "server" }).pipe(Args.withDescription("Only the tools of this server."), Args.optional)
  },
  Effect.fn("tools")(
    function*({ json, server }) {
      const mcp = yield* McpClient.McpClient
      const output = yield* Output
      // one server: fail with its error (unknown server, unreachable, ...) rather than leave it out
      if (Option.isSome(server)) yield* mcp.listTools(server.value)
      const all = yield* mcp.availableTools
      const rows = all.filter((tool) => Option.isNone(server) || tool.server === server.value).map(Render.toolRow)
      if (Option.isNone(server)) {
        for (const entry of yield* mcp.status) {
          if (entry.unsupported !== undefined) yield* warning(`${entry.server}: unsupported: ${entry.unsupported}`)
          else if (entry.tools === undefined) {
            const why = entry.authorization?.authorized === false
              ? `: not authorized: ${loginHint(entry.server)}`
              : entry.health?.error === undefined
              ? ""
              : `: ${entry.health.error}`
            yield* warning(`${entry.server}: left out, its tools could not be listed${why}`)
          }
        }
      }
      yield* json ? printJson(rows) : printLines(Render.toolsTable(rows, output.color))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription("List the tools of every reachable server, or of one: qualified name, hints, description."))

const encodeResult = Schema.encode(McpSchema.CallToolResult)

/** The result a failed tool returned, encoded as `call --json` prints results. */
const errorResult = (error: McpError.ToolCallError) =>
  Schema.validate(Schema.Array(McpSchema.ContentBlock))(error.content).pipe(
    Effect.map((content) =>
      new McpSchema.CallToolResult({
        content,
        isError: true,
        ...(error.structuredContent === undefined ? {} : { structuredContent: error.structuredContent })
      })
    ),
    Effect.flatMap(encodeResult),
    Effect.orElseSucceed(() => ({ content: error.content, structuredContent: error.structuredContent, isError: true }))
  )

/**
 * `effect-mcp call <server> <tool> [json-args] [--arg k=v ...]`: calls a tool and prints its
 * result; `--json` prints the `CallToolResult` as JSON (also when the tool reports an error).
 *
 * @since 0.1.0
 * @category commands
 */
export const call = Command.make(
  "call",
  {
    config,
    tokens,
    json,
    arg: Options.text("arg").pipe(
      Options.withAlias("a"),
      Options.withPseudoName("key=value"),
      Options.withDescription(
        "A tool argument, repeatable; laid over json-args. The value is JSON when it parses (3, true, [1]), else a string."
      ),
      Options.repeated
    ),
    auth,
    server: Args.text({ name: "server" }).pipe(Args.withDescription("The server, as named in the config file.")),
    tool: Args.text({ name: "tool" }).pipe(Args.withDescription("The tool, as the server names it.")),
    args: Args.text({ name: "json-args" }).pipe(Args.withDescription("The arguments as a JSON object."), Args.optional)
  },
  Effect.fn("call")(
    function*({ arg, args, auth, json, server, tool }) {
      const mcp = yield* McpClient.McpClient
      const output = yield* Output
      const input = yield* toolArguments(args, arg)
      const result = yield* mcp.callTool(server, tool, input, {
        ...(Option.isSome(auth) ? { auth: auth.value } : {}),
        onProgress: (progress) => Effect.provideService(note(Render.progressText(progress)), Output, output)
      }).pipe(
        Effect.tapErrorTag("ToolCallError", (error) => json ? Effect.flatMap(errorResult(error), printJson) : Effect.void)
      )
      yield* json ? Effect.flatMap(Effect.orDie(encodeResult(result)), printJson) : printLines(Render.callText(result))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription(HelpDoc.blocks([
  HelpDoc.p("Call a tool and print its result: the text content, and the structured content as JSON."),
  HelpDoc.p("Progress the server reports while the tool runs is printed on stderr as it comes."),
  HelpDoc.p("Failures print one line on stderr and exit with the code of the table below.")
])))

const interval = duration("interval", "Time between health checks, e.g. '30 seconds', '500 millis' or milliseconds.", "30 seconds")

/**
 * `effect-mcp watch`: a live health table (one line per change when stdout is not a terminal)
 * until Ctrl-C.
 *
 * @since 0.1.0
 * @category commands
 */
export const watchCommand = Command.make(
  "watch",
  { config, tokens, json, interval },
  ({ config, interval, json, tokens }) => withClient(watch({ json, interval }), config, { tokens, healthInterval: interval })
).pipe(Command.withDescription(
  "Follow every server's health until Ctrl-C: a live table on a terminal, else one line (or JSON object) per change."
))

/**
 * The `effect-mcp` command and its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("effect-mcp").pipe(
  Command.withDescription("Inspect and call the MCP servers of a mcpServers JSON file."),
  Command.withSubcommands([status, tools, call, resources, read, prompts, prompt, watchCommand, login, logout])
)

const footer = HelpDoc.sequence(
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.p(ExitCodes.table.map(([code, meaning]) => `${code}  ${meaning}`).join("\n"))
)

/**
 * Parses the command line (`process.argv`) and runs the command.
 *
 * @since 0.1.0
 * @category running
 */
export const run = Command.run(command, { name: "effect-mcp", version, footer })
