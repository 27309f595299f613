/**
 * The request metadata headers of Streamable HTTP in the 2026-07-28 revision: `Mcp-Method`,
 * `Mcp-Name` (from `params.name` or `params.uri`) and the `Mcp-Param-{Name}` headers a tool asks
 * for with `x-mcp-header` in its `inputSchema`; values outside safe ASCII are sent as
 * `=?base64?…?=`.
 *
 * Decisions where the specification leaves room:
 * - an annotated property must have a single `type` of `"string"`, `"integer"` or `"boolean"`
 *   (a list of types, or none, makes the tool invalid: the header's type must be known);
 * - an argument whose value is `null`, absent, or not a primitive sends no header;
 * - `x-mcp-header` found in `default`, `const`, `enum` or `examples` values is data, not an
 *   annotation; anywhere else off a chain of `properties` it makes the tool invalid.
 */
import * as Predicate from "effect/Predicate"

/** The header's name part and where its value is in the arguments. */
export interface ParamHeader {
  /** As written in `x-mcp-header`; the header is `Mcp-Param-{name}`. */
  readonly name: string
  /** Property names from the arguments' root. */
  readonly path: ReadonlyArray<string>
}

/** A tool's `x-mcp-header` annotations, or why the tool must be left out. */
export type ToolHeaders =
  | { readonly _tag: "Valid"; readonly headers: ReadonlyArray<ParamHeader> }
  | { readonly _tag: "Invalid"; readonly reason: string }

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const SENTINEL = /^=\?base64\?.*\?=$/s
const DATA_KEYWORDS = new Set(["default", "const", "enum", "examples"])
const PRIMITIVES = new Set(["string", "integer", "boolean"])

/**
 * Reads and checks the `x-mcp-header` annotations of a tool's `inputSchema`.
 *
 * @internal
 */
export const toolHeaders = (inputSchema: unknown): ToolHeaders => {
  const headers: Array<ParamHeader> = []
  const problems: Array<string> = []

  const annotation = (node: Record<string, unknown>, path: ReadonlyArray<string>, reachable: boolean) => {
    if (!("x-mcp-header" in node)) return
    const where = path.length === 0 ? "the schema root" : `property ${path.join(".")}`
    const name = node["x-mcp-header"]
    if (!reachable || path.length === 0) {
      problems.push(`x-mcp-header on ${where} is not reachable through properties alone`)
      return
    }
    if (typeof name !== "string" || name === "") {
      problems.push(`x-mcp-header of ${where} is empty or not a string`)
      return
    }
    if (!TOKEN.test(name)) {
      problems.push(`x-mcp-header ${JSON.stringify(name)} of ${where} is not an HTTP token`)
      return
    }
    if (typeof node.type !== "string" || !PRIMITIVES.has(node.type)) {
      problems.push(`x-mcp-header ${JSON.stringify(name)} is on ${where} of type ${JSON.stringify(node.type)}, not string, integer or boolean`)
      return
    }
    if (headers.some((other) => other.name.toLowerCase() === name.toLowerCase())) {
      problems.push(`x-mcp-header ${JSON.stringify(name)} is used twice`)
      return
    }
    headers.push({ name, path })
  }

  const walk = (node: unknown, path: ReadonlyArray<string>, reachable: boolean, depth: number): void => {
    if (depth > 64) return
    if (Array.isArray(node)) {
      for (const item of node) walk(item, path, false, depth + 1)
      return
    }
    if (!Predicate.isRecord(node)) return
    annotation(node, path, reachable)
    for (const [key, value] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(key) || key === "x-mcp-header") continue
      if (key === "properties" && Predicate.isRecord(value)) {
        for (const [property, schema] of Object.entries(value)) walk(schema, [...path, property], reachable, depth + 1)
      } else {
        walk(value, path, false, depth + 1)
      }
    }
  }

  walk(inputSchema, [], true, 0)
  return problems.length === 0 ? { _tag: "Valid", headers } : { _tag: "Invalid", reason: problems.join("; ") }
}

/**
 * A header value: as is when it is safe ASCII, else `=?base64?{UTF-8 in Base64}?=`.
 *
 * @internal
 */
export const encodeValue = (value: string): string => {
  let safe = value === value.trim() && !SENTINEL.test(value)
  for (let i = 0; safe && i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code > 0x7e) safe = false
  }
  return safe ? value : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`
}

/** The header text of an argument's value, or `undefined` when no header is sent. */
const valueText = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value === "boolean") return value ? "true" : "false"
  if (typeof value === "number" && Number.isFinite(value)) return Number.isInteger(value) ? value.toFixed(0) : String(value)
  return undefined
}

const at = (args: unknown, path: ReadonlyArray<string>): unknown => {
  let node = args
  for (const key of path) {
    if (!Predicate.isRecord(node) || !Object.prototype.hasOwnProperty.call(node, key)) return undefined
    node = node[key]
  }
  return node
}

/**
 * The name of the first header whose argument is an integer beyond the safe range: no decimal
 * text of it is sure to be the number the server reads from the body.
 *
 * @internal
 */
export const unsafeInteger = (headers: ReadonlyArray<ParamHeader>, args: unknown): string | undefined =>
  headers.find((header) => {
    const value = at(args, header.path)
    return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)
  })?.name

/**
 * The `Mcp-Param-*` headers of a call with `args`.
 *
 * @internal
 */
export const paramHeaders = (headers: ReadonlyArray<ParamHeader>, args: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const header of headers) {
    const text = valueText(at(args, header.path))
    if (text !== undefined) out[`mcp-param-${header.name.toLowerCase()}`] = encodeValue(text)
  }
  return out
}

/**
 * `Mcp-Method`, and `Mcp-Name` for the methods that name a tool, prompt or resource.
 *
 * @internal
 */
export const standardHeaders = (method: string, params: unknown): Record<string, string> => {
  const name = !Predicate.isRecord(params)
    ? undefined
    : method === "tools/call" || method === "prompts/get"
    ? params.name
    : method === "resources/read"
    ? params.uri
    : undefined
  return typeof name === "string" ? { "mcp-method": method, "mcp-name": encodeValue(name) } : { "mcp-method": method }
}
