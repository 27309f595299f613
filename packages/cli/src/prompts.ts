/**
 * `effect-mcp prompts [server]` and `effect-mcp prompt <server> <name> [--arg k=v ...]`: the
 * prompt templates servers offer, and one filled in.
 *
 * @since 0.1.0
 */
import { McpClient } from "@effect-mcp/client"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { UsageError } from "./arguments.js"
import { Output } from "./Output.js"
import * as Render from "./render.js"
import { tokens } from "./tokens.js"
import { auth, config, json, listEach, printJson, printLines, withClient } from "./shared.js"

/**
 * One prompt in `prompts` (and in `prompts --json`).
 *
 * @since 0.1.0
 * @category prompts
 */
export interface PromptRow {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly description: string | null
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly required: boolean; readonly description: string | null }>
}

/**
 * @since 0.1.0
 * @category prompts
 */
export const promptRow = (prompt: McpClient.QualifiedPrompt): PromptRow => ({
  server: prompt.server,
  name: prompt.name,
  qualifiedName: prompt.qualifiedName,
  description: prompt.prompt.description ?? null,
  arguments: (prompt.prompt.arguments ?? []).map((argument) => ({
    name: argument.name,
    required: argument.required === true,
    description: argument.description ?? null
  }))
})

/**
 * The `prompts` table; an optional argument is marked with `?`.
 *
 * @since 0.1.0
 * @category prompts
 */
export const promptsTable = (rows: ReadonlyArray<PromptRow>, color: boolean): ReadonlyArray<string> =>
  Render.table(
    ["PROMPT", "ARGUMENTS", "DESCRIPTION"],
    rows.map((row) => [
      { text: row.qualifiedName },
      { text: row.arguments.length === 0 ? "-" : row.arguments.map((a) => a.required ? a.name : `${a.name}?`).join(",") },
      { text: (row.description ?? "").split("\n")[0]! }
    ]),
    color
  )

/**
 * A prompt's messages for people: each message's role, then its content.
 *
 * @since 0.1.0
 * @category prompt
 */
export const promptText = (result: McpSchema.GetPromptResult): ReadonlyArray<string> => [
  ...(result.description === undefined ? [] : [result.description, ""]),
  ...result.messages.flatMap((message) => [`[${message.role}]`, Render.contentText(message.content)])
]

/**
 * The arguments of a prompt: every `--arg key=value`, the value kept as written (prompt
 * arguments are strings), later keys winning.
 *
 * @since 0.1.0
 * @category prompt
 */
export const promptArguments = (pairs: ReadonlyArray<string>): Effect.Effect<Record<string, string>, UsageError> =>
  Effect.forEach(pairs, (pair) => {
    const at = pair.indexOf("=")
    return at <= 0
      ? Effect.fail(new UsageError({ message: `--arg expects key=value, got ${JSON.stringify(pair)}` }))
      : Effect.succeed([pair.slice(0, at), pair.slice(at + 1)] as const)
  }).pipe(Effect.map(Object.fromEntries))

/**
 * `effect-mcp prompts [server]`: the prompts of every reachable server (or of one).
 *
 * @since 0.1.0
 * @category commands
 */
export const prompts = Command.make(
  "prompts",
  {
    config,
    tokens,
    json,
    server: Args.text({ name: "server" }).pipe(Args.withDescription("Only the prompts of this server."), Args.optional)
  },
  Effect.fn("prompts")(
    function*({ json, server }) {
      const mcp = yield* McpClient.McpClient
      const output = yield* Output
      yield* listEach(server, mcp.listPrompts)
      const rows = (yield* mcp.availablePrompts)
        .filter((prompt) => Option.isNone(server) || prompt.server === server.value)
        .map(promptRow)
      yield* json ? printJson(rows) : printLines(promptsTable(rows, output.color))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription("List the prompts of every reachable server, or of one: qualified name, arguments, description."))

const encodePrompt = Schema.encode(McpSchema.GetPromptResult)

/**
 * `effect-mcp prompt <server> <name> [--arg k=v ...]`: the prompt's messages, its arguments
 * filled in; `--json` prints the `prompts/get` result.
 *
 * @since 0.1.0
 * @category commands
 */
export const prompt = Command.make(
  "prompt",
  {
    config,
    tokens,
    json,
    auth,
    arg: Options.text("arg").pipe(
      Options.withAlias("a"),
      Options.withPseudoName("key=value"),
      Options.withDescription("A prompt argument, repeatable; the value is a string as written."),
      Options.repeated
    ),
    server: Args.text({ name: "server" }).pipe(Args.withDescription("The server, as named in the config file.")),
    name: Args.text({ name: "prompt" }).pipe(Args.withDescription("The prompt, as the server names it."))
  },
  Effect.fn("prompt")(
    function*({ arg, auth, json, name, server }) {
      const mcp = yield* McpClient.McpClient
      const args = yield* promptArguments(arg)
      const result = yield* mcp.getPrompt(server, name, args, Option.isSome(auth) ? { auth: auth.value } : {})
      yield* json ? Effect.flatMap(Effect.orDie(encodePrompt(result)), printJson) : printLines(promptText(result))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription("Get a prompt with its arguments filled in and print its messages."))
