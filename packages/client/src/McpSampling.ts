/**
 * Sampling: a server asks the client's language model for a message (`sampling/createMessage`).
 *
 * The application provides `McpSampling` with the handler that runs its model (ideally with a
 * person approving the prompt and the answer); `McpClient` then announces the `sampling`
 * capability to every server and answers their requests with it. Without the service, servers
 * are told the client cannot sample (-32601).
 *
 * The request is decoded leniently (unknown fields are ignored) and the handler's result
 * strictly: a result that does not match `CreateMessageResult` is not sent, the server gets an
 * internal error (-32603) and the application a log line. A handler that fails with
 * `SamplingRejected` answers the server -1 ("the user rejected the request", as the
 * specification suggests); any other failure or defect answers -32603.
 *
 * @since 0.1.0
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { ServerRequestContext } from "./McpSession.js"

const Meta = Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/**
 * The model asks to call one of the request's `tools` (2025-11-25).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolUseContent = Schema.Struct({
  type: Schema.tag("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  _meta: Meta
}).annotations({ identifier: "ToolUseContent" })

/**
 * The outcome of a `tool_use`, sent back by the server in a user message (2025-11-25).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolResultContent = Schema.Struct({
  type: Schema.tag("tool_result"),
  toolUseId: Schema.String,
  content: Schema.Array(McpSchema.ContentBlock),
  structuredContent: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  isError: Schema.optional(Schema.Boolean),
  _meta: Meta
}).annotations({ identifier: "ToolResultContent" })

/**
 * One block of a sampling message: text, image, audio, or a tool use or result.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SamplingContent = Schema.Union(
  McpSchema.TextContent,
  McpSchema.ImageContent,
  McpSchema.AudioContent,
  ToolUseContent,
  ToolResultContent
).annotations({ identifier: "SamplingContent" })

/**
 * @since 0.1.0
 * @category models
 */
export type SamplingContent = typeof SamplingContent.Type

/**
 * A message of the conversation to sample from; its content is one block or, since
 * 2025-11-25, several.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SamplingMessage = Schema.Struct({
  role: McpSchema.Role,
  content: Schema.Union(SamplingContent, Schema.Array(SamplingContent)),
  _meta: Meta
}).annotations({ identifier: "SamplingMessage" })

/**
 * @since 0.1.0
 * @category models
 */
export interface SamplingMessage extends Schema.Schema.Type<typeof SamplingMessage> {}

/**
 * What the server asks for: the parameters of `sampling/createMessage`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateMessageRequest = Schema.Struct({
  messages: Schema.Array(SamplingMessage),
  modelPreferences: Schema.optional(McpSchema.ModelPreferences),
  systemPrompt: Schema.optional(Schema.String),
  includeContext: Schema.optional(Schema.Literal("none", "thisServer", "allServers")),
  temperature: Schema.optional(Schema.Number),
  maxTokens: Schema.Number,
  stopSequences: Schema.optional(Schema.Array(Schema.String)),
  metadata: Schema.optional(Schema.Unknown),
  /** Tools the model may call (2025-11-25; sent only to a client that announced `tools`). */
  tools: Schema.optional(Schema.Array(McpSchema.Tool)),
  toolChoice: Schema.optional(Schema.Struct({ mode: Schema.optional(Schema.Literal("auto", "required", "none")) })),
  _meta: Meta
}).annotations({ identifier: "CreateMessageRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateMessageRequest extends Schema.Schema.Type<typeof CreateMessageRequest> {}

/**
 * What the handler answers: the model's message, the model that wrote it and why it stopped.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateMessageResult = Schema.Struct({
  role: McpSchema.Role,
  content: Schema.Union(SamplingContent, Schema.Array(SamplingContent)),
  model: Schema.String,
  /** `"endTurn"`, `"stopSequence"`, `"maxTokens"`, `"toolUse"`, or another reason. */
  stopReason: Schema.optional(Schema.String),
  _meta: Meta
}).annotations({ identifier: "CreateMessageResult" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateMessageResult extends Schema.Schema.Type<typeof CreateMessageResult> {}

/**
 * The user (or the application's policy) refused the request; the server is answered -1 with
 * this message.
 *
 * @since 0.1.0
 * @category errors
 */
export class SamplingRejected extends Schema.TaggedError<SamplingRejected>()("SamplingRejected", {
  message: Schema.optionalWith(Schema.String, { default: () => "User rejected sampling request" })
}) {}

/**
 * The handler of sampling requests.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly createMessage: (
    request: CreateMessageRequest,
    context: ServerRequestContext
  ) => Effect.Effect<CreateMessageResult, SamplingRejected>
  /** Whether the handler accepts `tools` in requests: announced as `sampling.tools`. */
  readonly tools: boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export class McpSampling extends Context.Tag("@effect-mcp/client/McpSampling")<McpSampling, Service>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The handler passes `tools` to its model and answers `tool_use` blocks. Default false. */
  readonly tools?: boolean | undefined
}

/**
 * Builds the service from a handler, which keeps the services it needs from the context of
 * `make`. A failure other than `SamplingRejected` is treated as a defect: the server is
 * answered -32603 and the cause is logged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E, R>(
  createMessage: (request: CreateMessageRequest, context: ServerRequestContext) => Effect.Effect<CreateMessageResult, E, R>,
  options: Options = {}
): Effect.Effect<Service, never, R> =>
  Effect.map(Effect.context<R>(), (services) => ({
    createMessage: (request, context) =>
      createMessage(request, context).pipe(
        Effect.catchAll((error) => error instanceof SamplingRejected ? Effect.fail(error) : Effect.die(error)),
        Effect.provide(services)
      ),
    tools: options.tools === true
  }))

/**
 * The service as a Layer, to provide to `McpClient.layer`.
 *
 * @example
 * ```ts
 * import { McpClient, McpSampling } from "@effect-mcp/client"
 * import { Effect, Layer } from "effect"
 *
 * const Sampling = McpSampling.layer((request, context) =>
 *   Effect.gen(function*() {
 *     yield* Effect.log(`${context.server} asks for a completion during ${context.tool ?? "no tool call"}`)
 *     const text = `${request.messages.length} messages read` // call your model here
 *     return { role: "assistant", content: { type: "text", text }, model: "my-model", stopReason: "endTurn" } as const
 *   }))
 *
 * const Client = McpClient.layerNode({ servers: [{ name: "files", url: "http://127.0.0.1:3001/mcp" }] }).pipe(
 *   Layer.provide(Sampling)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <E, R>(
  createMessage: (request: CreateMessageRequest, context: ServerRequestContext) => Effect.Effect<CreateMessageResult, E, R>,
  options?: Options
): Layer.Layer<McpSampling, never, R> => Layer.effect(McpSampling, make(createMessage, options))
