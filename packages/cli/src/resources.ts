/**
 * `effect-mcp resources [server]` and `effect-mcp read <server> <uri>`: what servers offer to
 * read, and reading it.
 *
 * @since 0.1.0
 */
import { McpClient } from "@effect-mcp/client"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Output } from "./Output.js"
import * as Render from "./render.js"
import { tokens } from "./tokens.js"
import { auth, config, json, listEach, printJson, printLines, withClient } from "./shared.js"

/**
 * One resource or resource template in `resources` (and in `resources --json`).
 *
 * @since 0.1.0
 * @category resources
 */
export interface ResourceRow {
  readonly server: string
  /** The server-unique name; for a resource also qualified across servers. */
  readonly name: string
  readonly qualifiedName: string | null
  /** A resource's URI, `null` for a template. */
  readonly uri: string | null
  /** A template's URI template, `null` for a resource. */
  readonly uriTemplate: string | null
  readonly mimeType: string | null
  readonly description: string | null
}

const orNull = <A>(value: A | undefined): A | null => value === undefined ? null : value

/**
 * @since 0.1.0
 * @category resources
 */
export const resourceRow = (resource: McpClient.QualifiedResource): ResourceRow => ({
  server: resource.server,
  name: resource.name,
  qualifiedName: resource.qualifiedName,
  uri: resource.uri,
  uriTemplate: null,
  mimeType: orNull(resource.resource.mimeType),
  description: orNull(resource.resource.description)
})

/**
 * @since 0.1.0
 * @category resources
 */
export const templateRow = (server: string, template: McpSchema.ResourceTemplate): ResourceRow => ({
  server,
  name: template.name,
  qualifiedName: null,
  uri: null,
  uriTemplate: template.uriTemplate,
  mimeType: orNull(template.mimeType),
  description: orNull(template.description)
})

/**
 * The `resources` table: resources by qualified name, then templates by server and name.
 *
 * @since 0.1.0
 * @category resources
 */
export const resourcesTable = (rows: ReadonlyArray<ResourceRow>, color: boolean): ReadonlyArray<string> =>
  Render.table(
    ["RESOURCE", "URI", "TYPE", "DESCRIPTION"],
    rows.map((row) => [
      { text: row.qualifiedName ?? `${row.server}: ${row.name}` },
      { text: row.uri ?? row.uriTemplate ?? "-" },
      { text: row.mimeType ?? "-" },
      { text: (row.description ?? "").split("\n")[0]! }
    ]),
    color
  )

/**
 * What was read, for people: each text as is, each blob described (its type and size).
 *
 * @since 0.1.0
 * @category read
 */
export const readText = (result: typeof McpSchema.ReadResourceResult.Type): ReadonlyArray<string> =>
  result.contents.map((contents) =>
    "text" in contents
      ? contents.text
      : `[blob ${contents.uri}${contents.mimeType === undefined ? "" : `, ${contents.mimeType}`}, ${contents.blob.length} bytes]`
  )

/**
 * `effect-mcp resources [server]`: the resources and resource templates of every reachable
 * server (or of one).
 *
 * @since 0.1.0
 * @category commands
 */
export const resources = Command.make(
  "resources",
  {
    config,
    tokens,
    json,
    server: Args.text({ name: "server" }).pipe(Args.withDescription("Only the resources of this server."), Args.optional)
  },
  Effect.fn("resources")(
    function*({ json, server }) {
      const mcp = yield* McpClient.McpClient
      const output = yield* Output
      const servers = yield* listEach(server, mcp.listResources)
      const all = (yield* mcp.availableResources).filter((resource) => Option.isNone(server) || resource.server === server.value)
      const templates = yield* Effect.forEach(servers, (name) =>
        mcp.listResourceTemplates(name, { retry: false }).pipe(
          Effect.map((list) => list.map((template) => templateRow(name, template))),
          // a server without templates, or one already named as left out, adds none
          Effect.orElseSucceed(() => [])
        ), { concurrency: "unbounded" })
      const rows = [...all.map(resourceRow), ...templates.flat()]
      yield* json ? printJson(rows) : printLines(resourcesTable(rows, output.color))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription("List the resources and resource templates of every reachable server, or of one."))

const encodeRead = Schema.encode(McpSchema.ReadResourceResult)

/**
 * `effect-mcp read <server> <uri>`: reads a resource and prints its text (blobs described);
 * `--json` prints the `resources/read` result, blobs in base64.
 *
 * @since 0.1.0
 * @category commands
 */
export const read = Command.make(
  "read",
  {
    config,
    tokens,
    json,
    auth,
    server: Args.text({ name: "server" }).pipe(Args.withDescription("The server, as named in the config file.")),
    uri: Args.text({ name: "uri" }).pipe(Args.withDescription("The resource's URI (a template filled in is fine)."))
  },
  Effect.fn("read")(
    function*({ auth, json, server, uri }) {
      const mcp = yield* McpClient.McpClient
      const result = yield* mcp.readResource(server, uri, Option.isSome(auth) ? { auth: auth.value } : {})
      yield* json ? Effect.flatMap(Effect.orDie(encodeRead(result)), printJson) : printLines(readText(result))
    },
    (effect, { config, tokens }) => withClient(effect, config, { tokens })
  )
).pipe(Command.withDescription("Read a resource and print its text; blobs are described (--json prints them in base64)."))

