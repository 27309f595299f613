/**
 * Builds the `@effect/ai` tools, toolkit and handlers of `McpToolkit` from qualified MCP tools.
 * The parameters schema of each tool accepts any JSON object and carries the server's
 * `inputSchema` as its JSON Schema override, so `Tool.getJsonSchema` (what
 * providers send) gives that schema back unchanged and the model's arguments reach `callTool`
 * unchanged too: the server validates them.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as McpClient from "../McpClient.js"
import * as McpOAuth from "../McpOAuth.js"
import {
  AuthorizationError,
  HeaderMismatchError,
  type McpClientError,
  MissingCapabilityError,
  ProtocolError,
  ServerUnavailableError,
  TransportError,
  UnknownServerError,
  UnknownToolError,
  UnsupportedVersionError
} from "../McpError.js"
import { qualify } from "./toolNames.js"
import * as Results from "./toolkitResults.js"

/** @internal */
export const Parameters = Schema.Struct({}, Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** @internal */
export const Output = Schema.Struct({
  text: Schema.String,
  structuredContent: Schema.optional(Schema.Unknown)
})

/** @internal */
export const ErrorOutput = Schema.Struct({
  isError: Schema.Literal(true),
  error: Schema.String,
  structuredContent: Schema.optional(Schema.Unknown)
})

/** @internal */
export const Result = Schema.Union(Output, ErrorOutput)

/**
 * Every way `callTool` fails but an `isError` result; `finishers.error` holds it to
 * `McpClientError` at compile time.
 *
 * @internal
 */
export const CallFailure = Schema.Union(
  UnknownServerError,
  UnknownToolError,
  TransportError,
  ProtocolError,
  HeaderMismatchError,
  MissingCapabilityError,
  UnsupportedVersionError,
  AuthorizationError,
  ServerUnavailableError
)

/** @internal */
export type FailureMode = "return" | "error"

/** @internal */
export interface ToolConfig<Mode extends FailureMode> {
  readonly parameters: typeof Parameters
  readonly success: Mode extends "return" ? typeof Output : typeof Result
  readonly failure: Mode extends "return" ? typeof ErrorOutput : typeof CallFailure
  readonly failureMode: Mode
}

/** @internal */
export interface McpTool<Mode extends FailureMode> extends Tool.Tool<string, ToolConfig<Mode>> {}

/** @internal */
export type Tools<Mode extends FailureMode> = Record<string, McpTool<Mode>>

/** @internal */
export class CurrentAuth extends Context.Reference<CurrentAuth>()("@effect-mcp/client/McpToolkit/CurrentAuth", {
  defaultValue: (): Option.Option<Redacted.Redacted<string>> => Option.none()
}) {}

/** @internal */
export const withAuth = <A, E, R>(self: Effect.Effect<A, E, R>, auth: Redacted.Redacted<string> | string): Effect.Effect<A, E, R> =>
  Effect.provideService(self, CurrentAuth, Option.some(typeof auth === "string" ? Redacted.make(auth) : auth))

/** @internal */
export interface Options<Mode extends FailureMode> {
  readonly servers?: ReadonlyArray<string> | undefined
  readonly filter?: RegExp | ((tool: McpClient.QualifiedTool) => boolean) | undefined
  readonly failureMode?: Mode | undefined
  readonly callOptions?: Omit<McpClient.CallOptions, "auth"> | undefined
}

/** @internal */
export interface Built<Mode extends FailureMode> {
  readonly tools: ReadonlyArray<McpClient.QualifiedTool>
  readonly toolkit: Toolkit.Toolkit<Tools<Mode>>
  readonly layer: Layer.Layer<Tool.HandlersFor<Tools<Mode>>>
  readonly withHandler: Toolkit.WithHandler<Tools<Mode>>
}

/** An MCP `inputSchema` as the provider's JSON Schema: as it is when it names its type. */
const jsonSchemaOf = (inputSchema: unknown): object => {
  if (typeof inputSchema !== "object" || inputSchema === null || Array.isArray(inputSchema)) return { type: "object", properties: {} }
  return "type" in inputSchema || "anyOf" in inputSchema || "oneOf" in inputSchema || "$ref" in inputSchema
    ? inputSchema
    : { type: "object", ...inputSchema }
}

/** A tool of each mode, with its result and failure schemas. */
const makers: {
  readonly [Mode in FailureMode]: (name: string, description: string | undefined, parameters: typeof Parameters) => McpTool<Mode>
} = {
  return: (name, description, parameters) =>
    Tool.make(name, { description, success: Output, failure: ErrorOutput, failureMode: "return" }).setParameters(parameters),
  error: (name, description, parameters) =>
    Tool.make(name, { description, success: Result, failure: CallFailure, failureMode: "error" }).setParameters(parameters)
}

/** @internal */
export const toolOf = <Mode extends FailureMode>(qualified: McpClient.QualifiedTool, failureMode: Mode): McpTool<Mode> => {
  const { tool } = qualified
  const make: (name: string, description: string | undefined, parameters: typeof Parameters) => McpTool<Mode> = makers[failureMode]
  let made = make(qualified.qualifiedName, tool.description ?? tool.title, Parameters.annotations({ jsonSchema: jsonSchemaOf(tool.inputSchema) }))
  const hints = tool.annotations
  if (hints !== undefined) {
    const title = hints.title ?? tool.title
    if (title !== undefined) made = made.annotate(Tool.Title, title)
    if (hints.readOnlyHint !== undefined) made = made.annotate(Tool.Readonly, hints.readOnlyHint)
    if (hints.destructiveHint !== undefined) made = made.annotate(Tool.Destructive, hints.destructiveHint)
    if (hints.idempotentHint !== undefined) made = made.annotate(Tool.Idempotent, hints.idempotentHint)
    if (hints.openWorldHint !== undefined) made = made.annotate(Tool.OpenWorld, hints.openWorldHint)
  } else if (tool.title !== undefined) {
    made = made.annotate(Tool.Title, tool.title)
  }
  return made
}

/** How a call's outcome reaches the model in each mode. */
type Finish<Mode extends FailureMode> = (
  call: Effect.Effect<McpSchema.CallToolResult, McpClientError>
) => Effect.Effect<Tool.Success<McpTool<Mode>>, Tool.Failure<McpTool<Mode>>>

const finishers: { readonly [Mode in FailureMode]: Finish<Mode> } = {
  return: (call) =>
    call.pipe(
      Effect.map(Results.output),
      Effect.mapError((error) => error._tag === "ToolCallError" ? Results.errorOutput(error) : Results.failureOutput(error.message))
    ),
  // `@effect/ai` ends the turn on any failure in this mode: an isError result is the model's to read
  error: (call) =>
    call.pipe(
      Effect.map((result): Results.Output | Results.ErrorOutput => Results.output(result)),
      Effect.catchTag("ToolCallError", (error) => Effect.succeed(Results.errorOutput(error)))
    )
}

const selected = (tools: ReadonlyArray<McpClient.QualifiedTool>, options: Options<FailureMode>) => {
  const servers = options.servers === undefined ? undefined : new Set(options.servers)
  const filter = options.filter
  const keep = filter === undefined
    ? () => true
    : filter instanceof RegExp
    ? (tool: McpClient.QualifiedTool) => {
      filter.lastIndex = 0
      return filter.test(tool.qualifiedName)
    }
    : filter
  return tools.filter((tool) => (servers === undefined || servers.has(tool.server)) && keep(tool))
}

/**
 * The tools a toolkit may hold. Without a user's token or a choice of servers, those of
 * `availableTools` (lists shared by every toolkit). Otherwise each chosen server (every
 * configured one when none is chosen), in configuration order, is listed alone, an HTTP server
 * in the session of the user's token when one is set, so a server whose tools depend on the user
 * shows that user's list. As in `availableTools`, a server that fails or would need an
 * interactive authorization is left out.
 */
const offered = (
  mcp: McpClient.Service,
  options: Options<FailureMode>,
  configured: ReadonlyArray<McpClient.ServerStatus>,
  auth: Option.Option<Redacted.Redacted<string>>
): Effect.Effect<ReadonlyArray<McpClient.QualifiedTool>> =>
  options.servers === undefined && Option.isNone(auth)
    ? mcp.availableTools
    : Effect.gen(function*() {
      const chosen = options.servers === undefined ? undefined : new Set(options.servers)
      const servers = configured.filter((status) => status.unsupported === undefined && (chosen === undefined || chosen.has(status.server)))
      const lists = yield* Effect.forEach(servers, (status) =>
        McpOAuth.nonInteractive(mcp.listTools(status.server, { auth: forwarded(status, auth), retry: false })).pipe(
          Effect.map((tools) => tools.map((tool) => ({ server: status.server, tool }))),
          Effect.catchAll((error) => Effect.as(Effect.logDebug("left out of the toolkit", error.message), []))
        ), { concurrency: "unbounded" })
      const listed = lists.flat()
      const names = qualify(listed.map(({ server, tool }) => ({ server, tool: tool.name })))
      return listed.map(({ server, tool }, i) => ({ server, name: tool.name, qualifiedName: names[i]!, tool }))
    })

/**
 * The user's token as a request to `server` carries it: a stdio server is a child process with
 * no header to carry it and no user to tell apart, so it is called without (where `callTool`
 * with an explicit `auth` refuses, the token here is the context's, not the call's).
 */
const forwarded = (
  server: Pick<McpClient.ServerStatus, "transport"> | undefined,
  auth: Option.Option<Redacted.Redacted<string>>
): Redacted.Redacted<string> | undefined => server?.transport === "http" ? Option.getOrUndefined(auth) : undefined

/** @internal */
export const make = <Mode extends FailureMode = "return">(
  options: Options<Mode> = {}
): Effect.Effect<Built<Mode>, UnknownServerError, McpClient.McpClient> =>
  Effect.gen(function*() {
    const mcp = yield* McpClient.McpClient
    // a server name that is not configured is a mistake: `isHealthy` fails with the known names
    if (options.servers !== undefined) yield* Effect.forEach(options.servers, (server) => mcp.isHealthy(server), { discard: true })
    const failureMode = (options.failureMode ?? "return") as Mode
    const configured = yield* mcp.status
    const tools = selected(yield* offered(mcp, options, configured, yield* CurrentAuth), options)
    const toolkit: Toolkit.Toolkit<Tools<Mode>> = Toolkit.make(...tools.map((tool) => toolOf(tool, failureMode)))
    const callOptions = options.callOptions ?? {}

    const byName = new Map(configured.map((status) => [status.server, status]))
    const call = (qualified: McpClient.QualifiedTool, params: Readonly<Record<string, unknown>>) =>
      Effect.flatMap(CurrentAuth, (auth) => {
        const token = forwarded(byName.get(qualified.server), auth)
        return mcp.callTool(qualified.server, qualified.name, params, token === undefined ? callOptions : { ...callOptions, auth: token })
      })

    const finish: Finish<Mode> = finishers[failureMode]
    const handlers: Toolkit.HandlersFrom<Tools<Mode>> = Object.fromEntries(
      tools.map((qualified) => [qualified.qualifiedName, (params: Tool.Parameters<McpTool<Mode>>) => finish(call(qualified, params))])
    )
    // handlers see the caller's context over the one they were built in: building inside
    // `withAuth` must not lend that token to callers without one
    const context = yield* toolkit.toContext(handlers).pipe(
      Effect.provideService(CurrentAuth, Option.none())
    )
    const withHandler = yield* Effect.provide(toolkit, context)
    return { tools, toolkit, layer: Layer.succeedContext(context), withHandler }
  })
