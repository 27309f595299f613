import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { McpElicitation } from "../src/index.js"
import * as ElicitationSchema from "../src/internal/elicitationSchema.js"
import { SEP_1034 } from "./support/sep1034.js"

type Property = McpElicitation.Property
type Schema = McpElicitation.RequestedSchema

const parsed = (u: unknown): Schema => Either.getOrThrowWith(ElicitationSchema.parse(u), (why) => new Error(why))
const violations = (schema: Schema, content: unknown) =>
  Either.match(ElicitationSchema.validate(schema, content), { onLeft: (left) => left, onRight: () => [] })

describe("reading a requested schema", () => {
  it("reads every kind of field the specification allows, ignoring keywords it does not know", () => {
    const schema = parsed({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        name: { type: "string", title: "Name", minLength: 1, maxLength: 20, pattern: "^[A-Z]", "x-ui": "wide" },
        email: { type: "string", format: "email" },
        count: { type: "integer", minimum: 1, maximum: 100, default: 42 },
        ratio: { type: "number" },
        agree: { type: "boolean", default: false },
        color: { type: "string", enum: ["red", "green"], enumNames: ["Red", "Green"] },
        hero: { type: "string", oneOf: [{ const: "h1", title: "Superman" }, { const: "h2" }] },
        tools: { type: "array", minItems: 1, maxItems: 2, items: { type: "string", enum: ["a", "b", "c"] }, default: ["a"] },
        fish: { type: "array", items: { anyOf: [{ const: "f1", title: "Tuna" }] } }
      },
      required: ["name"]
    })
    expect(Object.keys(schema.properties)).toEqual(["name", "email", "count", "ratio", "agree", "color", "hero", "tools", "fish"])
    // `pattern` is not part of the restricted schema: a server's regular expression is never run
    expect(schema.properties.name).toEqual({ type: "string", title: "Name", minLength: 1, maxLength: 20 })
  })

  it("refuses nested objects, unknown types and required fields that do not exist", () => {
    const why = (u: unknown) => Either.match(ElicitationSchema.parse(u), { onLeft: (left) => left, onRight: () => "accepted" })
    expect(why({ type: "object", properties: { address: { type: "object", properties: {} } } })).toContain("address")
    expect(why({ type: "object", properties: { when: { type: "null" } } })).not.toBe("accepted")
    expect(why({ type: "object", properties: {}, required: ["ghost"] })).toBe(`"ghost" is required but not among the properties`)
    // a pattern, even one that does not compile, is ignored with the keywords the subset does not know
    expect(why({ type: "object", properties: { code: { type: "string", pattern: "(" } } })).toBe("accepted")
    expect(why("not a schema")).not.toBe("accepted")
  })
})

describe("defaults (SEP-1034)", () => {
  it("an empty answer to the conformance scenario gets every default", () => {
    const schema = parsed(SEP_1034)
    const filled = ElicitationSchema.applyDefaults(schema, {})
    expect(filled).toEqual({ name: "John Doe", age: 30, score: 95.5, status: "active", verified: true })
    expect(ElicitationSchema.validate(schema, filled)).toEqual(Either.right(filled))
  })

  it("a field the handler gave keeps its value, and a field without default stays absent", () => {
    const schema = parsed({
      type: "object",
      properties: { name: { type: "string", default: "John Doe" }, nick: { type: "string" }, verified: { type: "boolean", default: true } }
    })
    expect(ElicitationSchema.applyDefaults(schema, { name: "Ada", verified: false })).toEqual({ name: "Ada", verified: false })
    expect(ElicitationSchema.applyDefaults(schema, undefined)).toEqual({ name: "John Doe", verified: true })
  })
})

describe("validating an answer", () => {
  const schema = parsed({
    type: "object",
    properties: {
      name: { type: "string", minLength: 2, maxLength: 4 },
      code: { type: "string", pattern: "^[A-Z]+$" },
      email: { type: "string", format: "email" },
      site: { type: "string", format: "uri" },
      born: { type: "string", format: "date" },
      at: { type: "string", format: "date-time" },
      age: { type: "integer", minimum: 18, maximum: 99 },
      score: { type: "number", maximum: 1 },
      agree: { type: "boolean" },
      color: { type: "string", enum: ["red", "green"] },
      hero: { type: "string", oneOf: [{ const: "h1", title: "Superman" }] },
      tools: { type: "array", minItems: 1, maxItems: 2, items: { enum: ["a", "b", "c"] } },
      fish: { type: "array", items: { anyOf: [{ const: "f1", title: "Tuna" }] } }
    },
    required: ["name", "agree"]
  })

  it("accepts an answer that keeps every rule", () => {
    const answer = {
      name: "Ada",
      code: "ABC",
      email: "ada@example.com",
      site: "https://example.com/ada",
      born: "1815-12-10",
      at: "2025-11-25T10:00:00.5+01:00",
      age: 36,
      score: 0.5,
      agree: true,
      color: "green",
      hero: "h1",
      tools: ["a", "c"],
      fish: ["f1"]
    }
    expect(ElicitationSchema.validate(schema, answer)).toEqual(Either.right(answer))
  })

  it("names each field that breaks a rule, and the rule", () => {
    expect(violations(schema, {
      name: "A",
      code: "abc",
      email: "not-an-email",
      site: "no scheme",
      born: "2023-02-29",
      at: "2025-11-25 10:00",
      age: 17.5,
      score: 2,
      agree: "yes",
      color: "blue",
      hero: "Superman",
      tools: [],
      fish: ["f2"],
      extra: 1
    })).toEqual([
      { field: "name", message: "must be at least 2 characters long" },
      { field: "email", message: "must be an email address" },
      { field: "site", message: "must be an absolute URI" },
      { field: "born", message: "must be a date (YYYY-MM-DD)" },
      { field: "at", message: "must be a date and time (RFC 3339)" },
      { field: "age", message: "must be an integer" },
      { field: "score", message: "must be at most 1" },
      { field: "agree", message: "must be true or false" },
      { field: "color", message: "must be one of the offered choices" },
      { field: "hero", message: "must be one of the offered choices" },
      { field: "tools", message: "must hold at least 1 choices" },
      { field: "fish", message: "must hold only the offered choices" },
      { field: "extra", message: "is not in the requested schema" }
    ])
  })

  it("requires the required fields and an object", () => {
    expect(violations(schema, {})).toEqual([{ field: "name", message: "is required" }, { field: "agree", message: "is required" }])
    expect(violations(schema, ["Ada"])).toEqual([{ field: "", message: "the answer must be an object of fields" }])
    expect(ElicitationSchema.describe(violations(schema, { agree: true }))).toBe(`field "name" is required`)
  })

  it("counts length in characters, not UTF-16 units", () => {
    const short = parsed({ type: "object", properties: { mood: { type: "string", maxLength: 2 } } })
    expect(violations(short, { mood: "😀😀" })).toEqual([])
    expect(violations(short, { mood: "😀😀😀" })).toEqual([{ field: "mood", message: "must be at most 2 characters long" }])
  })
})

// -- properties ------------------------------------------------------------------------------

const word = FastCheck.array(FastCheck.constantFrom("a", "b", "é", "Z", "😀", " "), { maxLength: 12 }).map((chars) => chars.join(""))
const words = FastCheck.uniqueArray(word, { minLength: 1, maxLength: 5 })

/** A field and an arbitrary of the values that keep its rules. */
interface Field {
  readonly property: Property
  readonly valid: FastCheck.Arbitrary<unknown>
}

const field: FastCheck.Arbitrary<Field> = FastCheck.oneof(
  FastCheck.tuple(FastCheck.nat(4), FastCheck.nat(6)).map(([min, extra]): Field => ({
    property: { type: "string", minLength: min, maxLength: min + extra },
    valid: FastCheck.array(FastCheck.constantFrom("a", "é", "😀"), { minLength: min, maxLength: min + extra }).map((chars) => chars.join(""))
  })),
  words.map((choices): Field => ({ property: { type: "string", enum: choices }, valid: FastCheck.constantFrom(...choices) })),
  words.map((choices): Field => ({
    property: { type: "string", oneOf: choices.map((value) => ({ const: value, title: value.toUpperCase() })) },
    valid: FastCheck.constantFrom(...choices)
  })),
  FastCheck.constant<Field>({ property: { type: "string", format: "email" }, valid: FastCheck.emailAddress() }),
  FastCheck.constant<Field>({
    property: { type: "string", format: "date" },
    valid: FastCheck.date({ min: new Date("0001-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10))
  }),
  FastCheck.constant<Field>({
    property: { type: "string", format: "date-time" },
    valid: FastCheck.date({ min: new Date("0001-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }).map((date) => date.toISOString())
  }),
  FastCheck.tuple(FastCheck.integer({ min: -1000, max: 1000 }), FastCheck.nat(1000)).map(([min, extra]): Field => ({
    property: { type: "integer", minimum: min, maximum: min + extra },
    valid: FastCheck.integer({ min, max: min + extra })
  })),
  FastCheck.tuple(FastCheck.integer({ min: -1000, max: 1000 }), FastCheck.nat(1000)).map(([min, extra]): Field => ({
    property: { type: "number", minimum: min, maximum: min + extra },
    valid: FastCheck.double({ min, max: min + extra, noNaN: true })
  })),
  FastCheck.constant<Field>({ property: { type: "boolean" }, valid: FastCheck.boolean() }),
  words.chain((choices) =>
    FastCheck.nat(choices.length).map((min): Field => ({
      property: { type: "array", minItems: min, maxItems: choices.length, items: { type: "string", enum: choices } },
      valid: FastCheck.subarray([...choices], { minLength: min })
    }))
  )
)

/** A schema, and an arbitrary of the answers that keep it. */
const form = FastCheck.uniqueArray(FastCheck.tuple(FastCheck.stringMatching(/^[a-z]{1,8}$/), field, FastCheck.boolean()), {
  maxLength: 6,
  selector: ([name]) => name
}).map((fields) => ({
  schema: {
    type: "object" as const,
    properties: Object.fromEntries(fields.map(([name, { property }]) => [name, property])),
    required: fields.filter(([, , required]) => required).map(([name]) => name)
  } satisfies Schema,
  answer: FastCheck.record(Object.fromEntries(fields.map(([name, { valid }]) => [name, valid])), {
    requiredKeys: fields.filter(([, , required]) => required).map(([name]) => name)
  })
}))

const formAndAnswer = form.chain(({ answer, schema }) => FastCheck.tuple(FastCheck.constant(schema), answer))
const formAndTwoAnswers = form.chain(({ answer, schema }) => FastCheck.tuple(FastCheck.constant(schema), answer, answer))

describe("properties", () => {
  it.prop("every answer that keeps the rules is accepted unchanged", { case: formAndAnswer }, ({ case: [schema, answer] }) => {
    expect(ElicitationSchema.parse(schema)).toEqual(Either.right(schema))
    expect(ElicitationSchema.validate(schema, answer)).toEqual(Either.right(answer))
  })

  it.prop(
    "defaults fill only what is missing, and filling twice changes nothing",
    { case: formAndTwoAnswers, defaults: FastCheck.array(FastCheck.boolean(), { minLength: 6, maxLength: 6 }) },
    ({ case: [schema, answer, other], defaults }) => {
      const withDefaults: Schema = {
        ...schema,
        properties: Object.fromEntries(
          Object.entries(schema.properties).map(([name, property], i) =>
            defaults[i] === true && other[name] !== undefined ? [name, { ...property, default: other[name] } as Property] : [name, property]
          )
        )
      }
      const partial = Object.fromEntries(Object.entries(answer).filter((_, i) => i % 2 === 0))
      const filled = ElicitationSchema.applyDefaults(withDefaults, partial)
      for (const [name, value] of Object.entries(partial)) expect(filled[name]).toEqual(value)
      for (const [name, property] of Object.entries(withDefaults.properties)) {
        if (partial[name] === undefined) expect(filled[name]).toEqual(property.default)
      }
      expect(ElicitationSchema.applyDefaults(withDefaults, filled)).toEqual(filled)
    }
  )

  it.prop(
    "a refused value is never quoted in the violations",
    { case: formAndAnswer, secret: FastCheck.stringMatching(/^[A-Za-z0-9]{12,20}$/) },
    ({ case: [schema, answer], secret }) => {
      // a wrong value for every field: the secret, or a number the string fields refuse
      const wrong = Object.fromEntries(
        Object.entries(schema.properties).map(([name, property]) => [name, property.type === "string" ? 12345678.5 : `${secret}`])
      )
      const found = violations(schema, { ...answer, ...wrong, [`x${secret}`]: secret })
      expect(found.length).toBeGreaterThan(Object.keys(schema.properties).length - 1)
      for (const violation of found) {
        expect(violation.message).not.toContain(secret)
        expect(violation.message).not.toContain("12345678")
      }
    }
  )
})
