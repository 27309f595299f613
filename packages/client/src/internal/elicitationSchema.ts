/**
 * The restricted JSON Schema of form-mode elicitation, as pure functions: reading the schema a
 * server sends, filling the defaults of the fields an answer leaves out (SEP-1034), and
 * checking the answer before it leaves the client.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as McpElicitation from "../McpElicitation.js"

type RequestedSchema = McpElicitation.RequestedSchema
type Property = McpElicitation.Property
type Value = McpElicitation.Value
type Violation = McpElicitation.Violation

/**
 * The schema a server sent, or why it is outside the subset a client must render.
 *
 * @internal
 */
export const parse = (u: unknown): Either.Either<RequestedSchema, string> =>
  Either.flatMap(
    // built on use: McpElicitation imports this module, so its schemas are not there yet at load
    Either.mapLeft(Schema.decodeUnknownEither(McpElicitation.RequestedSchema)(u), (error) => ParseResult.TreeFormatter.formatErrorSync(error)),
    (schema) => {
      for (const name of schema.required ?? []) {
        if (!Object.hasOwn(schema.properties, name)) return Either.left(`"${name}" is required but not among the properties`)
      }
      return Either.right(schema)
    }
  )

/** @internal */
export const applyDefaults = (
  schema: RequestedSchema,
  content: Readonly<Record<string, unknown>> | undefined
): Readonly<Record<string, unknown>> => {
  const filled: Record<string, unknown> = { ...content }
  for (const [name, property] of Object.entries(schema.properties)) {
    if (filled[name] === undefined && property.default !== undefined) filled[name] = property.default
  }
  return filled
}

const EMAIL = /^[^\s@]+@[^\s@]+$/
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/

const isDate = (text: string): boolean => {
  const match = DATE.exec(text)
  if (match === null) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  // an impossible day rolls over into the next month; setUTCFullYear keeps years below 100 as they are
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return month >= 1 && month <= 12 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

const isDateTime = (text: string): boolean => {
  const match = DATE_TIME.exec(text)
  if (match === null || !isDate(match[1]!)) return false
  const [hour, minute, second] = [Number(match[2]), Number(match[3]), Number(match[4])]
  const offset = match[5] === undefined ? true : Number(match[5]) < 24 && Number(match[6]) < 60
  // a leap second may be 60
  return hour < 24 && minute < 60 && second <= 60 && offset
}

const formats: Record<string, { readonly check: (text: string) => boolean; readonly what: string }> = {
  email: { check: (text) => EMAIL.test(text), what: "an email address" },
  uri: { check: (text) => URI.test(text), what: "an absolute URI" },
  date: { check: isDate, what: "a date (YYYY-MM-DD)" },
  "date-time": { check: isDateTime, what: "a date and time (RFC 3339)" }
}

const choices = (property: Property): ReadonlyArray<string> | undefined => {
  switch (property.type) {
    case "string":
      return property.enum ?? property.oneOf?.map((option) => option.const)
    case "array":
      return "enum" in property.items ? property.items.enum : property.items.anyOf.map((option) => option.const)
    default:
      return undefined
  }
}

/** Why `value` breaks `property`, or `undefined`. Never quotes the value: it may be private. */
const check = (property: Property, value: unknown): string | undefined => {
  switch (property.type) {
    case "string": {
      if (typeof value !== "string") return "must be a string"
      const allowed = choices(property)
      if (allowed !== undefined && !allowed.includes(value)) return "must be one of the offered choices"
      const length = [...value].length
      if (property.minLength !== undefined && length < property.minLength) return `must be at least ${property.minLength} characters long`
      if (property.maxLength !== undefined && length > property.maxLength) return `must be at most ${property.maxLength} characters long`
      const format = property.format === undefined ? undefined : formats[property.format]
      if (format !== undefined && !format.check(value)) return `must be ${format.what}`
      return undefined
    }
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "must be a number"
      if (property.type === "integer" && !Number.isInteger(value)) return "must be an integer"
      if (property.minimum !== undefined && value < property.minimum) return `must be at least ${property.minimum}`
      if (property.maximum !== undefined && value > property.maximum) return `must be at most ${property.maximum}`
      return undefined
    }
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be true or false"
    case "array": {
      if (!Array.isArray(value) || !value.every(Predicate.isString)) return "must be a list of choices"
      const allowed = choices(property)!
      if (!value.every((item) => allowed.includes(item))) return "must hold only the offered choices"
      if (property.minItems !== undefined && value.length < property.minItems) return `must hold at least ${property.minItems} choices`
      if (property.maxItems !== undefined && value.length > property.maxItems) return `must hold at most ${property.maxItems} choices`
      return undefined
    }
  }
}

/** @internal */
export const validate = (
  schema: RequestedSchema,
  content: unknown
): Either.Either<Readonly<Record<string, Value>>, ReadonlyArray<Violation>> => {
  if (!Predicate.isRecord(content)) return Either.left([{ field: "", message: "the answer must be an object of fields" }])
  const violations: Array<Violation> = []
  const required = new Set(schema.required ?? [])
  for (const [field, property] of Object.entries(schema.properties)) {
    const value = content[field]
    if (value === undefined) {
      if (required.has(field)) violations.push({ field, message: "is required" })
      continue
    }
    const message = check(property, value)
    if (message !== undefined) violations.push({ field, message })
  }
  for (const field of Object.keys(content)) {
    if (!Object.hasOwn(schema.properties, field) && content[field] !== undefined) {
      violations.push({ field, message: "is not in the requested schema" })
    }
  }
  if (violations.length > 0) return Either.left(violations)
  const valid: Record<string, Value> = {}
  for (const [field, value] of Object.entries(content)) if (value !== undefined) valid[field] = value as Value
  return Either.right(valid)
}

/**
 * The violations in one line, for a log or an error message.
 *
 * @internal
 */
export const describe = (violations: ReadonlyArray<Violation>): string =>
  violations.map(({ field, message }) => field === "" ? message : `field "${field}" ${message}`).join("; ")
