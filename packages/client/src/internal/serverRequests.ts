/**
 * The requests a server makes of the client (`ping`; sampling, elicitation and roots when the
 * application provides their handlers): each is answered with a JSON-RPC answer, never a crash
 * or a hang. The protocol adapter sends the answer; this module decides what it says, and what
 * the client announces it can do.
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as McpElicitation from "../McpElicitation.js"
import * as McpSampling from "../McpSampling.js"
import type * as McpSession from "../McpSession.js"
import type { Channel, Outgoing } from "./channel.js"
import * as ElicitationSchema from "./elicitationSchema.js"
import * as JsonRpc from "./jsonRpc.js"

/** @internal */
export type ServerRequest = Extract<JsonRpc.Incoming, { readonly _tag: "Request" }>

const { INTERNAL_ERROR, INVALID_PARAMS } = JsonRpc
/** What the specification suggests for "the user rejected the sampling request". */
const REJECTED = -1

/** The answer is an error: the request cannot be served as asked. */
class Refusal extends Data.TaggedError("Refusal")<{ readonly code: number; readonly message: string }> {}

type Handler = (params: unknown, context: McpSession.ServerRequestContext) => Effect.Effect<unknown, Refusal>

/** @internal */
export interface ServerRequests {
  /** What the client tells the server it can do in `initialize`. */
  readonly capabilities: Record<string, unknown>
  /**
   * The encoded answer to a server request. `during` is the client's request whose answer
   * carried it, when the transport knows.
   */
  readonly answer: (
    request: ServerRequest,
    context: { readonly server: string; readonly during: Outgoing | undefined }
  ) => Effect.Effect<string>
  /**
   * The result the application gives for a server request embedded in an `input_required`
   * result (2026-07-28), or the error it would have been answered with.
   */
  readonly resolve: (
    method: string,
    params: unknown,
    context: McpSession.ServerRequestContext
  ) => Effect.Effect<Either.Either<unknown, { readonly code: number; readonly message: string }>>
  /**
   * The channel, remembering its `tools/call` requests in flight when it cannot tie a server
   * request to one of them itself (stdio).
   */
  readonly track: (channel: Channel) => Channel
  /** Emits each time the application's roots change. */
  readonly rootsChanged: Stream.Stream<void>
}

const formatError = (error: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(error)

const issueKinds: Record<ParseResult.ParseIssue["_tag"], string> = {
  Type: "has the wrong type",
  Missing: "is missing",
  Unexpected: "is not allowed",
  Forbidden: "is not allowed",
  Pointer: "is invalid",
  Refinement: "is invalid",
  Transformation: "is invalid",
  Composite: "is invalid"
}

/**
 * Where the application's answer does not fit its schema, by path and kind only: the formatter's
 * own messages quote the values, which are the application's (a user's text) and go to the server.
 */
const shapeError = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "the value" : issue.path.join(".")} ${issueKinds[issue._tag]}`)
    .join("; ")

/** Decodes leniently (unknown fields are dropped); a mismatch is the server's: invalid params. */
const decodeParams = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (params: unknown): Effect.Effect<A, Refusal> =>
    Either.match(decode(params), {
      onLeft: (error) => refuse(INVALID_PARAMS, `Invalid ${what}: ${formatError(error)}`),
      onRight: Effect.succeed
    })
}

/** Refuses a request the server got wrong, with a log line: the server's author may never see the answer. */
const refuse = (code: number, message: string): Effect.Effect<never, Refusal> =>
  Effect.zipRight(Effect.logWarning(`refused a server request: ${message}`), Effect.fail(new Refusal({ code, message })))

/** Refuses to send an answer the application got wrong: the server is told only that the client failed. */
const misanswered = (method: string, detail: string): Effect.Effect<never, Refusal> =>
  Effect.zipRight(
    Effect.logWarning(`the application's answer to ${method} was not sent: ${detail}`),
    Effect.fail(new Refusal({ code: INTERNAL_ERROR, message: `The client could not answer ${method}: ${detail}` }))
  )

/**
 * Why the messages break the specification's rules for tool results, if they do: a message
 * holding a tool result holds nothing else, and each tool use is answered by the next message.
 */
const toolResultsProblem = (messages: ReadonlyArray<McpSampling.SamplingMessage>): string | undefined => {
  const blocksOf = (message: McpSampling.SamplingMessage): ReadonlyArray<McpSampling.SamplingContent> =>
    Array.isArray(message.content) ? message.content : [message.content as McpSampling.SamplingContent]
  for (let i = 0; i < messages.length; i++) {
    const blocks = blocksOf(messages[i]!)
    const results = blocks.filter((block) => block.type === "tool_result")
    if (results.length > 0 && results.length < blocks.length) return "Tool results mixed with other content"
    const uses = blocks.flatMap((block) => block.type === "tool_use" ? [block.id] : [])
    if (uses.length === 0) continue
    const next = messages[i + 1]
    const answered = new Set(next === undefined ? [] : blocksOf(next).flatMap((block) => block.type === "tool_result" ? [block.toolUseId] : []))
    if (!uses.every((id) => answered.has(id))) return "Tool result missing in request"
  }
  return undefined
}

const encodeSamplingResult = Schema.encodeUnknownEither(McpSampling.CreateMessageResult)

const sampling = (service: McpSampling.Service): Handler => {
  const decode = decodeParams(McpSampling.CreateMessageRequest, "sampling request")
  return (params, context) =>
    Effect.gen(function*() {
      const request = yield* decode(params)
      const problem = toolResultsProblem(request.messages)
      if (problem !== undefined) return yield* refuse(INVALID_PARAMS, problem)
      const result = yield* Effect.catchTag(
        service.createMessage(request, context),
        "SamplingRejected",
        (rejected) => Effect.fail(new Refusal({ code: REJECTED, message: rejected.message }))
      )
      return yield* Either.match(encodeSamplingResult(result), {
        onLeft: (error) => misanswered("sampling/createMessage", `the result does not match CreateMessageResult: ${shapeError(error)}`),
        onRight: Effect.succeed
      })
    })
}

const FormParams = Schema.Struct({
  message: Schema.String,
  requestedSchema: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}).annotations({ identifier: "FormElicitation" })
const UrlParams = Schema.Struct({ message: Schema.String, url: Schema.String, elicitationId: Schema.String })
  .annotations({ identifier: "UrlElicitation" })
const actions: ReadonlyArray<unknown> = ["accept", "decline", "cancel"]

const elicitation = (service: McpElicitation.Service): Handler => {
  const decodeForm = decodeParams(FormParams, "form elicitation request")
  const decodeUrl = decodeParams(UrlParams, "URL elicitation request")
  const checkAction = (action: unknown) =>
    actions.includes(action) ? Effect.void : misanswered("elicitation/create", "the action is not accept, decline or cancel")
  return (params, context) =>
    Effect.gen(function*() {
      const mode = Predicate.isRecord(params) ? params.mode ?? "form" : "form"
      if (mode === "url") {
        if (service.url === undefined) return yield* refuse(INVALID_PARAMS, "This client does not support URL-mode elicitation")
        const { elicitationId, message, url } = yield* decodeUrl(params)
        if (!URL.canParse(url)) return yield* refuse(INVALID_PARAMS, "Invalid URL elicitation request: url is not a valid URL")
        const result = yield* service.url({ mode: "url", message, url, elicitationId }, context)
        yield* checkAction(result.action)
        // the interaction happens out of band: nothing but the action is the server's to read
        return { action: result.action }
      }
      if (mode !== "form") return yield* refuse(INVALID_PARAMS, `Unknown elicitation mode: ${JsonRpc.describe(mode)}`)
      if (service.form === undefined) return yield* refuse(INVALID_PARAMS, "This client does not support form-mode elicitation")
      const { message, requestedSchema: raw } = yield* decodeForm(params)
      const requestedSchema = yield* Either.match(ElicitationSchema.parse(raw), {
        onLeft: (why) => refuse(INVALID_PARAMS, `Invalid requested schema: ${why}`),
        onRight: Effect.succeed
      })
      const result = yield* service.form({ mode: "form", message, requestedSchema }, context)
      yield* checkAction(result.action)
      if (result.action !== "accept") return { action: result.action }
      const filled = ElicitationSchema.applyDefaults(requestedSchema, result.content)
      return yield* Either.match(ElicitationSchema.validate(requestedSchema, filled), {
        onLeft: (violations) =>
          misanswered("elicitation/create", `the answer does not match the requested schema: ${ElicitationSchema.describe(violations)}`),
        onRight: (content) => Effect.succeed({ action: "accept", content })
      })
    })
}

const RootsResult = Schema.Struct({ roots: Schema.Array(Schema.Struct(McpSchema.Root.fields)) })
const encodeRoots = Schema.encodeUnknownEither(RootsResult)

const roots = (ref: SubscriptionRef.SubscriptionRef<ReadonlyArray<typeof McpSchema.Root.Encoded>>): Handler => () =>
  Effect.flatMap(SubscriptionRef.get(ref), (list) => {
    const other = list.findIndex((root) => !Predicate.isString(root.uri) || !root.uri.startsWith("file://"))
    if (other !== -1) return misanswered("roots/list", `root ${other + 1} of ${list.length} is not a file:// URI`)
    return Either.match(encodeRoots({ roots: list }), {
      onLeft: (error) => misanswered("roots/list", `the roots do not match Root: ${shapeError(error)}`),
      onRight: Effect.succeed
    })
  })

const sameRoots = (a: ReadonlyArray<typeof McpSchema.Root.Encoded>, b: ReadonlyArray<typeof McpSchema.Root.Encoded>) =>
  a.length === b.length && a.every((root, i) => root.uri === b[i]!.uri && root.name === b[i]!.name)

/** @internal */
export const make = (handlers: McpSession.ClientHandlers | undefined, auth: Redacted.Redacted<string> | undefined): ServerRequests => {
  const samplingService = handlers?.sampling
  const elicitationService = handlers?.elicitation
  const elicits = elicitationService !== undefined && (elicitationService.form !== undefined || elicitationService.url !== undefined)
  const rootsRef = handlers?.roots?.roots

  const capabilities: Record<string, unknown> = {
    ...(samplingService === undefined ? {} : { sampling: samplingService.tools ? { tools: {} } : {} }),
    ...(!elicits ? {} : {
      elicitation: {
        ...(elicitationService.form === undefined ? {} : { form: {} }),
        ...(elicitationService.url === undefined ? {} : { url: {} })
      }
    }),
    ...(rootsRef === undefined ? {} : { roots: { listChanged: true } })
  }

  const routes = new Map<string, Handler>([["ping", () => Effect.succeed({})]])
  if (samplingService !== undefined) routes.set("sampling/createMessage", sampling(samplingService))
  if (elicits) routes.set("elicitation/create", elicitation(elicitationService))
  if (rootsRef !== undefined) routes.set("roots/list", roots(rootsRef))

  const inFlight = new Set<Outgoing>()

  const resolve: ServerRequests["resolve"] = (method, params, context) => {
    const handler = routes.get(method)
    if (handler === undefined) {
      return Effect.succeed(Either.left({ code: JsonRpc.METHOD_NOT_FOUND, message: `Method not supported by this client: ${method}` }))
    }
    return handler(params, context).pipe(
      Effect.map((result) => Either.right(result)),
      Effect.catchAllCause((cause) =>
        Option.match(Cause.failureOption(cause), {
          onSome: (refusal) => Effect.succeed(Either.left({ code: refusal.code, message: refusal.message })),
          // a handler's defect; or its interruption, answered too so that the server never waits
          // for nothing (when the session closes the answer is not sent anyway)
          onNone: () =>
            Effect.as(
              Cause.isInterruptedOnly(cause)
                ? Effect.logDebug("a server request's handler was interrupted")
                : Effect.logWarning("a server request's handler failed", cause),
              Either.left({ code: INTERNAL_ERROR, message: `The client failed to answer ${method}` })
            )
        })
      ),
      Effect.annotateLogs({ server: context.server, method, ...(context.tool === undefined ? {} : { tool: context.tool }) })
    )
  }

  const answer: ServerRequests["answer"] = (request, { during, server }) => {
    const [only] = inFlight
    const asked = during ?? (inFlight.size === 1 ? only : undefined)
    const context: McpSession.ServerRequestContext = { server, method: asked?.method, tool: asked?.target.tool, auth }
    return Effect.map(resolve(request.method, request.params, context), (outcome) =>
      Either.match(outcome, {
        onLeft: (refusal) => JsonRpc.encodeFailure(request.id, refusal.code, refusal.message),
        onRight: (result) => JsonRpc.encodeSuccess(request.id, result)
      }))
  }

  const track = (channel: Channel): Channel =>
    channel.kind !== "stdio" || routes.size === 1 ? channel : {
      ...channel,
      request: (message) =>
        message.method !== "tools/call" ? channel.request(message) : Effect.suspend(() => {
          inFlight.add(message)
          return Effect.ensuring(channel.request(message), Effect.sync(() => inFlight.delete(message)))
        })
    }

  const rootsChanged = rootsRef === undefined
    ? Stream.empty
    // the first element is the list as it is now, which the server learns by asking
    : rootsRef.changes.pipe(Stream.changesWith(sameRoots), Stream.drop(1), Stream.as(undefined))

  return { capabilities, answer, resolve, track, rootsChanged }
}
