/**
 * Elicitation: a server asks the user for information (`elicitation/create`), either with a
 * form the client renders (form mode) or by sending the user to a URL (URL mode, 2025-11-25).
 *
 * The application provides `McpElicitation` with a handler per mode it supports; `McpClient`
 * announces exactly those modes (`elicitation: { form: {}, url: {} }`). A request in a mode
 * without handler is answered "invalid params" (-32602), as the specification requires; without
 * the service at all, "method not found" (-32601).
 *
 * A form's requested schema is a flat object of primitive properties. It is checked before the
 * handler sees it (a schema outside that subset is answered -32602). When the handler accepts,
 * the fields it left out get the schema's defaults (SEP-1034), then the answer is validated
 * against the schema; an answer that does not match is never sent: the server gets an internal
 * error (-32603) and the application a warning naming the server and the fields. The messages
 * name fields and rules, never the values the user typed.
 *
 * `notifications/elicitation/complete`, which a server may send when a URL-mode interaction
 * ends, needs no answer: it reaches the session's `onNotification` like any notification.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as internal from "./internal/elicitationSchema.js"
import type { ServerRequestContext } from "./McpSession.js"

const Described = {
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String)
}

const Option = Schema.Struct({ const: Schema.String, title: Schema.optional(Schema.String) })

/**
 * A text field, a single choice among `enum` (labelled by `enumNames`, legacy) or `oneOf`
 * (each with a `title`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const StringProperty = Schema.Struct({
  type: Schema.Literal("string"),
  ...Described,
  minLength: Schema.optional(Schema.NonNegativeInt),
  maxLength: Schema.optional(Schema.NonNegativeInt),
  /** `email`, `uri`, `date` and `date-time` are checked; other formats are not. */
  format: Schema.optional(Schema.String),
  enum: Schema.optional(Schema.Array(Schema.String)),
  enumNames: Schema.optional(Schema.Array(Schema.String)),
  oneOf: Schema.optional(Schema.Array(Option)),
  default: Schema.optional(Schema.String)
}).annotations({ identifier: "StringProperty" })

/**
 * A number field; `integer` accepts whole numbers only. Bounds are inclusive.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NumberProperty = Schema.Struct({
  type: Schema.Literal("number", "integer"),
  ...Described,
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number),
  default: Schema.optional(Schema.Number)
}).annotations({ identifier: "NumberProperty" })

/**
 * A yes/no field.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BooleanProperty = Schema.Struct({
  type: Schema.Literal("boolean"),
  ...Described,
  default: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "BooleanProperty" })

/**
 * Several choices among `items.enum` or `items.anyOf`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MultiSelectProperty = Schema.Struct({
  type: Schema.Literal("array"),
  ...Described,
  minItems: Schema.optional(Schema.NonNegativeInt),
  maxItems: Schema.optional(Schema.NonNegativeInt),
  items: Schema.Union(
    Schema.Struct({ type: Schema.optional(Schema.Literal("string")), enum: Schema.Array(Schema.String) }),
    Schema.Struct({ anyOf: Schema.Array(Option) })
  ),
  default: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "MultiSelectProperty" })

/**
 * One field of a form.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Property = Schema.Union(StringProperty, NumberProperty, BooleanProperty, MultiSelectProperty)

/**
 * @since 0.1.0
 * @category models
 */
export type Property = typeof Property.Type

/**
 * The form a server asks to be filled: a flat object of primitive properties.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequestedSchema = Schema.Struct({
  type: Schema.optional(Schema.Literal("object")),
  properties: Schema.Record({ key: Schema.String, value: Property }),
  required: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "RequestedSchema" })

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestedSchema extends Schema.Schema.Type<typeof RequestedSchema> {}

/**
 * A form-mode request: show `message` and a form for `requestedSchema`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FormRequest {
  readonly mode: "form"
  readonly message: string
  readonly requestedSchema: RequestedSchema
}

/**
 * A URL-mode request: show `message` and the full `url`, and open it only with the user's
 * consent, in a browser the client cannot look into. Accepting means the user agreed to go;
 * the interaction itself happens out of band.
 *
 * @since 0.1.0
 * @category models
 */
export interface UrlRequest {
  readonly mode: "url"
  readonly message: string
  readonly url: string
  readonly elicitationId: string
}

/**
 * The value of one form field.
 *
 * @since 0.1.0
 * @category models
 */
export type Value = string | number | boolean | ReadonlyArray<string>

/**
 * The answer to a form: submitted (with the fields filled), declined, or dismissed.
 *
 * @since 0.1.0
 * @category models
 */
export type FormResult =
  | { readonly action: "accept"; readonly content?: Readonly<Record<string, Value>> | undefined }
  | { readonly action: "decline" | "cancel" }

/**
 * The answer to a URL request: the user agreed to open it, refused, or dismissed it.
 *
 * @since 0.1.0
 * @category models
 */
export interface UrlResult {
  readonly action: "accept" | "decline" | "cancel"
}

/**
 * The handlers of elicitation requests, one per mode; a mode without handler is not announced.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly form: ((request: FormRequest, context: ServerRequestContext) => Effect.Effect<FormResult>) | undefined
  readonly url: ((request: UrlRequest, context: ServerRequestContext) => Effect.Effect<UrlResult>) | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class McpElicitation extends Context.Tag("@effect-mcp/client/McpElicitation")<McpElicitation, Service>() {}

/**
 * The handlers given to `make`; each may fail or need services, which `make` takes from its
 * context.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handlers<EF, RF, EU, RU> {
  readonly form?: ((request: FormRequest, context: ServerRequestContext) => Effect.Effect<FormResult, EF, RF>) | undefined
  readonly url?: ((request: UrlRequest, context: ServerRequestContext) => Effect.Effect<UrlResult, EU, RU>) | undefined
}

/**
 * Builds the service. A handler's failure is treated as a defect: the server is answered
 * -32603 and the cause is logged. A person who does not want to answer is `decline`, not a
 * failure.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <EF = never, RF = never, EU = never, RU = never>(
  handlers: Handlers<EF, RF, EU, RU>
): Effect.Effect<Service, never, RF | RU> =>
  Effect.map(Effect.context<RF | RU>(), (services) => {
    const { form, url } = handlers
    return {
      form: form === undefined ? undefined : (request, context) => Effect.provide(Effect.orDie(form(request, context)), services),
      url: url === undefined ? undefined : (request, context) => Effect.provide(Effect.orDie(url(request, context)), services)
    }
  })

/**
 * The service as a Layer, to provide to `McpClient.layer`.
 *
 * @example
 * ```ts
 * import { McpClient, McpElicitation } from "@effect-mcp/client"
 * import { Effect, Layer } from "effect"
 *
 * const Elicitation = McpElicitation.layer({
 *   // a real application shows the form to its user, naming `context.server`
 *   form: (request, context) => Effect.succeed({ action: "accept", content: { name: "Ada" } }),
 *   url: (request) => Effect.succeed({ action: "decline" })
 * })
 *
 * const Client = McpClient.layerNode({ servers: [{ name: "shop", url: "http://127.0.0.1:3001/mcp" }] }).pipe(
 *   Layer.provide(Elicitation)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <EF = never, RF = never, EU = never, RU = never>(
  handlers: Handlers<EF, RF, EU, RU>
): Layer.Layer<McpElicitation, never, RF | RU> => Layer.effect(McpElicitation, make(handlers))

/**
 * A rule of the requested schema that an answer breaks.
 *
 * @since 0.1.0
 * @category models
 */
export interface Violation {
  /** The property, or `""` when the answer as a whole is wrong (not an object). */
  readonly field: string
  readonly message: string
}

/**
 * The answer with the schema's defaults for every field it leaves out (SEP-1034).
 *
 * @since 0.1.0
 * @category validation
 */
export const applyDefaults: (
  schema: RequestedSchema,
  content: Readonly<Record<string, unknown>> | undefined
) => Readonly<Record<string, unknown>> = internal.applyDefaults

/**
 * Checks an answer against the requested schema: types, `enum`/`oneOf`, bounds, lengths, the
 * formats `email`, `uri`, `date`, `date-time`, `required`, and no field the schema does not
 * name. Defaults are not applied here. A `pattern` is not part of the restricted schema and is
 * ignored: a server's regular expression run on the client's event loop could stall it.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate: (
  schema: RequestedSchema,
  content: unknown
) => Either.Either<Readonly<Record<string, Value>>, ReadonlyArray<Violation>> = internal.validate
