/**
 * The tools of MCP servers as an `@effect/ai` `Toolkit`, for `LanguageModel.generateText` and
 * `Chat`: one tool per tool of every reachable server (or of the chosen servers, through a name
 * filter), under its qualified name `server__tool` (see `McpClient.QualifiedTool`).
 *
 * - Parameters: each tool's JSON Schema is the server's `inputSchema`, unchanged
 *   (`Tool.getJsonSchema` gives it back), and the model's arguments go to `McpClient.callTool`
 *   as they are: the server validates them.
 * - Results: what a model can read (`Output`): the text blocks joined with newlines, images,
 *   audio and resources described by kind, mime type and size (never their bytes; an embedded
 *   text resource's text follows its description), `structuredContent` kept.
 * - Errors: a result with `isError: true` goes back to the model as an error result
 *   (`ErrorOutput`), so it can try again. Other failures of the call (transport, protocol, open
 *   circuit, authorization) are error results too with `failureMode: "return"` (the default), or
 *   fail the turn with their `McpClientError` with `failureMode: "error"`.
 * - The end user's token: a handler forwards the token of the request it serves, set with
 *   `withAuth(token)` around the model call, as `CallOptions.auth`. One agent serving many users
 *   thus calls each server with each user's JWT, in sessions of that credential. The token stays
 *   `Redacted`; it never reaches the model, a log or an error.
 * - A snapshot: a toolkit holds the tools listed when it was built. Lists are cached until a
 *   server announces `notifications/tools/list_changed`, so building one per turn (or per
 *   request) is cheap, and the next one built after an announcement has the change.
 *
 * @since 0.1.0
 */
import type * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as McpClient from "./McpClient.js"
import type { UnknownServerError } from "./McpError.js"
import * as internal from "./internal/toolkit.js"
import * as Results from "./internal/toolkitResults.js"

/**
 * The parameters of every MCP tool: any JSON object, passed on as it is. Its JSON Schema is
 * overridden per tool by the server's `inputSchema`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Parameters: typeof internal.Parameters = internal.Parameters

/**
 * A successful result as the model reads it: `text` (the content described, see the module
 * doc) and the server's `structuredContent`, when it sent one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Output: typeof internal.Output = internal.Output

/**
 * A failed result as the model reads it: `isError: true`, `error` (the server's content
 * described, or the failure's message) and the server's `structuredContent`, when it sent one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorOutput: typeof internal.ErrorOutput = internal.ErrorOutput

/**
 * `Output` or `ErrorOutput`: the success of a tool under `failureMode: "error"`, where an
 * `isError` result is returned rather than failed (failing would end the turn).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Result: typeof internal.Result = internal.Result

/**
 * The failures of a call other than an `isError` result, as a schema: the failure of a tool
 * under `failureMode: "error"`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CallFailure: typeof internal.CallFailure = internal.CallFailure

/**
 * What happens when a call fails for another reason than an `isError` result:
 * - `"return"`: the model gets an `ErrorOutput` (and the tool result part has `isFailure: true`,
 *   as for an `isError` result).
 * - `"error"`: the turn fails with the `McpClientError`; an `isError` result is then a success
 *   of the tool whose value is an `ErrorOutput` (`isError: true` in what the model reads).
 *
 * @since 0.1.0
 * @category models
 */
export type FailureMode = internal.FailureMode

/**
 * The schemas of an MCP tool under a failure mode.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolConfig<Mode extends FailureMode> = internal.ToolConfig<Mode>

/**
 * One MCP tool as an `@effect/ai` `Tool`, named by its qualified name.
 *
 * @since 0.1.0
 * @category models
 */
export type McpTool<Mode extends FailureMode = "return"> = internal.McpTool<Mode>

/**
 * The tools of a toolkit, by qualified name.
 *
 * @since 0.1.0
 * @category models
 */
export type Tools<Mode extends FailureMode = "return"> = internal.Tools<Mode>

/**
 * Which tools to take and how to call them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Mode extends FailureMode = "return"> {
  /** Only these servers' tools (configured names; an unknown one fails `make`). Default: all. */
  readonly servers?: ReadonlyArray<string> | undefined
  /** Only tools whose qualified name matches, or for which the function is true. */
  readonly filter?: RegExp | ((tool: McpClient.QualifiedTool) => boolean) | undefined
  /** Default `"return"`. */
  readonly failureMode?: Mode | undefined
  /** Settings of every call (timeout, retry, headers…); the token comes from `withAuth`. */
  readonly callOptions?: Omit<McpClient.CallOptions, "auth"> | undefined
}

/**
 * A toolkit of MCP tools and its handlers, as listed when it was built.
 *
 * @since 0.1.0
 * @category models
 */
export interface McpToolkit<Mode extends FailureMode = "return"> {
  /** The tools it holds, in server order then list order. */
  readonly tools: ReadonlyArray<McpClient.QualifiedTool>
  /** The `@effect/ai` toolkit: pass it as `toolkit` and provide `layer`. */
  readonly toolkit: Toolkit.Toolkit<Tools<Mode>>
  /** The handlers of `toolkit`: each calls its tool with `McpClient.callTool`. */
  readonly layer: Layer.Layer<Tool.HandlersFor<Tools<Mode>>>
  /** `toolkit` with its handlers already provided: pass it as `toolkit`, nothing to provide. */
  readonly withHandler: Toolkit.WithHandler<Tools<Mode>>
}

/**
 * Builds a toolkit from the tools of every reachable server (`McpClient.availableTools`: a
 * server that is down, or that would need a user's authorization to list, is left out), or of
 * the chosen ones. Made inside `withAuth`, or for chosen servers, it lists only those servers
 * (every configured one when none is chosen), each in the session of the user's token, so a
 * server that shows each user their own tools offers that user's. Cheap once the lists are cached.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@effect/ai"
 * import { McpToolkit } from "@effect-mcp/client"
 * import { Effect } from "effect"
 *
 * const answer = (question: string, userJwt: string) =>
 *   Effect.gen(function*() {
 *     const mcp = yield* McpToolkit.make({ servers: ["restaurant-search"] })
 *     const response = yield* LanguageModel.generateText({ prompt: question, toolkit: mcp.withHandler })
 *     return response
 *   }).pipe(McpToolkit.withAuth(userJwt))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <Mode extends FailureMode = "return">(
  options?: Options<Mode>
) => Effect.Effect<McpToolkit<Mode>, UnknownServerError, McpClient.McpClient> = internal.make

/**
 * The end user's bearer token that handlers forward, as set by `withAuth`; none by default (the
 * server's configured credentials apply).
 *
 * @since 0.1.0
 * @category context
 */
export const CurrentAuth: typeof internal.CurrentAuth = internal.CurrentAuth

/**
 * @since 0.1.0
 * @category context
 */
export type CurrentAuth = internal.CurrentAuth

/**
 * Runs an effect (a model call, a chat turn) with the end user's token: every MCP tool call made
 * for it sends `Authorization: Bearer <token>`, in sessions of that token. A `string` is wrapped
 * in `Redacted`. For `LanguageModel.streamText`, provide `CurrentAuth` to the stream instead.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@effect/ai"
 * import { McpToolkit } from "@effect-mcp/client"
 * import { Effect, Redacted } from "effect"
 *
 * const turn = (prompt: string, jwt: Redacted.Redacted<string>) =>
 *   Effect.flatMap(McpToolkit.make(), (mcp) =>
 *     LanguageModel.generateText({ prompt, toolkit: mcp.toolkit }).pipe(Effect.provide(mcp.layer))
 *   ).pipe(McpToolkit.withAuth(jwt))
 * ```
 *
 * @since 0.1.0
 * @category context
 */
export const withAuth: {
  (auth: Redacted.Redacted<string> | string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, auth: Redacted.Redacted<string> | string): Effect.Effect<A, E, R>
} = dual(2, internal.withAuth)

/**
 * A tool result's content as the model reads it: text blocks as they are; images, audio and
 * resources described by kind, mime type and size; an embedded text resource's text after its
 * description; one block a line.
 *
 * @since 0.1.0
 * @category conversions
 */
export const describeContent: (content: ReadonlyArray<unknown>) => string = Results.describeContent

/**
 * A successful `CallToolResult` as the model reads it (`Output`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toOutput: (
  result: { readonly content: ReadonlyArray<unknown>; readonly structuredContent?: unknown }
) => typeof Output.Type = Results.output

/**
 * An `isError` result (or a `ToolCallError`) as the model reads it (`ErrorOutput`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toErrorOutput: (
  result: { readonly content: ReadonlyArray<unknown>; readonly structuredContent?: unknown }
) => typeof ErrorOutput.Type = Results.errorOutput
