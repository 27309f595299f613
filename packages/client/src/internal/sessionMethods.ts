/**
 * The requests of a 2025 session, given the adapter's `request`: lists followed through every
 * page, tool calls, resources, prompts, completion and the logging level, each decoded
 * leniently with `@effect/ai`'s `McpSchema`, and refused locally when the server did not announce
 * the capability it needs.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type McpSessionError, ProtocolError, ToolCallError, type TransportError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import * as CallToolResult from "./callToolResult.js"
import * as Defaults from "./defaults.js"
import * as JsonRpc from "./jsonRpc.js"
import * as Transport from "./transport.js"

/** @internal */
export interface Request {
  (
    method: string,
    params: unknown,
    target: Transport.Target,
    requestOptions: McpSession.RequestOptions | undefined
  ): Effect.Effect<unknown, McpSessionError>
}

/**
 * The session's methods but `info` and `close`.
 *
 * @internal
 */
export const make = (options: {
  readonly server: string
  readonly request: Request
  /** What the server announced in the current session. */
  readonly capabilities: () => typeof McpSchema.ServerCapabilities.Type
}): Omit<McpSession.McpSession, "server" | "info" | "close"> => {
  const { request, server } = options
  const sessionTarget: Transport.Target = { server }

  /** Every page of a list: the request of each page, its decoder, and where its items are. */
  const listAll = <R extends Page, A>(
    method: string,
    decode: (answer: unknown, target: Transport.Target) => Either.Either<R, TransportError>,
    items: (result: R) => ReadonlyArray<A>,
    requestOptions: McpSession.RequestOptions | undefined
  ) => pagedList(method, sessionTarget, (cursor) =>
    request(method, cursor === undefined ? {} : { cursor }, sessionTarget, requestOptions).pipe(
      Effect.flatMap((answer) => decode(answer, sessionTarget)),
      Effect.map((result) => ({ items: items(result), nextCursor: result.nextCursor }))
    ))

  const listTools = Effect.fn("McpSession.listTools")((requestOptions?: McpSession.RequestOptions) =>
    listAll("tools/list", decodeListToolsResult, (result) => result.tools, requestOptions)
  )

  // no span here: this is the hot path, and `McpClient.callTool` carries the span
  const callTool = (tool: string, args: Readonly<Record<string, unknown>>, requestOptions?: McpSession.RequestOptions) => {
    const target = { server, tool }
    return Effect.flatMap(request("tools/call", { name: tool, arguments: args }, target, requestOptions), (answer): Effect.Effect<McpSchema.CallToolResult, TransportError | ToolCallError> => {
      const decoded = CallToolResult.decode(answer, target)
      if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
      const result = decoded.right
      return result.isError === true
        ? Effect.fail(
          new ToolCallError({
            server,
            tool,
            content: result.content,
            ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent })
          })
        )
        : Effect.succeed(result)
    })
  }

  const ping = Effect.fn("McpSession.ping")(function*(requestOptions?: McpSession.RequestOptions) {
    yield* request("ping", undefined, sessionTarget, requestOptions)
  })

  /**
   * Sends `method` only when the server announced `capability`: a server without it has no
   * handler to answer with, and the spec asks clients not to send what was not announced.
   */
  const announced = <A, E>(capability: Capability, method: string, send: Effect.Effect<A, E>): Effect.Effect<A, E | ProtocolError> =>
    Effect.suspend((): Effect.Effect<A, E | ProtocolError> =>
      hasCapability(options.capabilities(), capability)
        ? send
        : Effect.fail(
          new ProtocolError({
            server,
            code: JsonRpc.METHOD_NOT_FOUND,
            message: `MCP server "${server}" did not announce the "${capability}" capability: "${method}" was not sent`,
            refusedLocally: true
          })
        )
    )

  const listResources = Effect.fn("McpSession.listResources")((requestOptions?: McpSession.RequestOptions) =>
    announced("resources", "resources/list", listAll("resources/list", decodeListResourcesResult, (result) => result.resources, requestOptions))
  )

  const listResourceTemplates = Effect.fn("McpSession.listResourceTemplates")((requestOptions?: McpSession.RequestOptions) =>
    announced(
      "resources",
      "resources/templates/list",
      listAll("resources/templates/list", decodeListResourceTemplatesResult, (result) => result.resourceTemplates, requestOptions)
    )
  )

  const readResource = Effect.fn("McpSession.readResource")((uri: string, requestOptions?: McpSession.RequestOptions) =>
    announced(
      "resources",
      "resources/read",
      Effect.flatMap(request("resources/read", { uri }, sessionTarget, requestOptions), (answer) => decodeReadResourceResult(answer, sessionTarget))
    )
  )

  const subscribeResource = Effect.fn("McpSession.subscribeResource")((uri: string, requestOptions?: McpSession.RequestOptions) =>
    announced("resources.subscribe", "resources/subscribe", Effect.asVoid(request("resources/subscribe", { uri }, sessionTarget, requestOptions)))
  )

  const unsubscribeResource = Effect.fn("McpSession.unsubscribeResource")((uri: string, requestOptions?: McpSession.RequestOptions) =>
    announced(
      "resources.subscribe",
      "resources/unsubscribe",
      Effect.asVoid(request("resources/unsubscribe", { uri }, sessionTarget, requestOptions))
    )
  )

  const listPrompts = Effect.fn("McpSession.listPrompts")((requestOptions?: McpSession.RequestOptions) =>
    announced("prompts", "prompts/list", listAll("prompts/list", decodeListPromptsResult, (result) => result.prompts, requestOptions))
  )

  const getPrompt = Effect.fn("McpSession.getPrompt")((
    name: string,
    args?: Readonly<Record<string, string>> | undefined,
    requestOptions?: McpSession.RequestOptions
  ) =>
    announced(
      "prompts",
      "prompts/get",
      Effect.flatMap(
        request("prompts/get", args === undefined ? { name } : { name, arguments: args }, sessionTarget, requestOptions),
        (answer) => decodeGetPromptResult(answer, sessionTarget)
      )
    )
  )

  const complete = Effect.fn("McpSession.complete")((
    ref: McpSession.CompletionReference,
    argument: McpSession.CompletionArgument,
    context?: McpSession.CompletionContext | undefined,
    requestOptions?: McpSession.RequestOptions
  ) =>
    announced(
      "completions",
      "completion/complete",
      Effect.flatMap(
        request(
          "completion/complete",
          context?.arguments === undefined ? { ref, argument } : { ref, argument, context: { arguments: context.arguments } },
          sessionTarget,
          requestOptions
        ),
        (answer) => decodeCompleteResult(answer, sessionTarget)
      )
    )
  )

  const setLoggingLevel = Effect.fn("McpSession.setLoggingLevel")((level: McpSchema.LoggingLevel, requestOptions?: McpSession.RequestOptions) =>
    announced("logging", "logging/setLevel", Effect.asVoid(request("logging/setLevel", { level }, sessionTarget, requestOptions)))
  )

  return {
    listTools,
    callTool,
    ping,
    listResources,
    listResourceTemplates,
    readResource,
    subscribeResource,
    unsubscribeResource,
    listPrompts,
    getPrompt,
    complete,
    setLoggingLevel
  }
}

const decodeListToolsResult = Transport.decoder(McpSchema.ListToolsResult, "the tools/list result")

const decodeListResourcesResult = Transport.decoder(McpSchema.ListResourcesResult, "the resources/list result")
const decodeListResourceTemplatesResult = Transport.decoder(McpSchema.ListResourceTemplatesResult, "the resources/templates/list result")
const decodeReadResourceResult = Transport.decoder(McpSchema.ReadResourceResult, "the resources/read result")
const decodeListPromptsResult = Transport.decoder(McpSchema.ListPromptsResult, "the prompts/list result")
const decodeGetPromptResult = Transport.decoder(McpSchema.GetPromptResult, "the prompts/get result")
const decodeCompleteResult = Transport.decoder(McpSchema.CompleteResult, "the completion/complete result")

/** What a page of any list result shares. */
interface Page {
  readonly nextCursor?: string | undefined
}

/**
 * Follows `nextCursor` from the first page to the last. A cursor met twice would loop forever,
 * and a list that never ends would hold the caller forever: both fail as `Decode`.
 */
const pagedList = <A, E>(
  method: string,
  target: Transport.Target,
  page: (cursor: string | undefined) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly nextCursor: string | undefined }, E>
): Effect.Effect<ReadonlyArray<A>, E | TransportError> =>
  Effect.gen(function*() {
    const items: Array<A> = []
    const seen = new Set<string>()
    let cursor: string | undefined
    for (let n = 0; n < Defaults.maxListPages; n++) {
      const result = yield* page(cursor)
      items.push(...result.items)
      cursor = result.nextCursor
      if (cursor === undefined) return items
      if (seen.has(cursor)) {
        return yield* Transport.transportError(target, "Decode", `${method} repeated the cursor ${JSON.stringify(cursor)}`)
      }
      seen.add(cursor)
    }
    return yield* Transport.transportError(target, "Decode", `${method} did not end within ${Defaults.maxListPages} pages`)
  })

/** A capability a method needs, as a path into the announced `ServerCapabilities`. */
type Capability = "resources" | "resources.subscribe" | "prompts" | "completions" | "logging"

const hasCapability = (capabilities: typeof McpSchema.ServerCapabilities.Type, capability: Capability): boolean => {
  switch (capability) {
    case "resources":
      return capabilities.resources !== undefined
    case "resources.subscribe":
      return capabilities.resources?.subscribe === true
    case "prompts":
      return capabilities.prompts !== undefined
    case "completions":
      return capabilities.completions !== undefined
    case "logging":
      return capabilities.logging !== undefined
  }
}
