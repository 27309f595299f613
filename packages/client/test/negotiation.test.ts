/**
 * The pure rules of the 2026-07-28 revision: how a probe's failure classifies the server, which
 * version is picked after -32022, and how request headers are built and checked.
 */
import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { fromAnswer, ProtocolError, TransportError } from "../src/McpError.js"
import * as McpHeaders from "../src/internal/mcpHeaders.js"
import * as Negotiation from "../src/internal/negotiation.js"

const protocol = (code: number, data?: unknown) =>
  new ProtocolError({ server: "s", code, message: "m", ...(data === undefined ? {} : { data }) })
const transport = (reason: TransportError["reason"], status?: number) =>
  new TransportError({ server: "s", reason, detail: "d", ...(status === undefined ? {} : { status }) })

describe("negotiation: classifying a probe's failure", () => {
  it("a recognised modern error (typed, as every answer is built) means a modern server, -32022 with what it supports", () => {
    const answer = (code: number, data?: unknown) => fromAnswer({ server: "s", code, message: "m", data })
    expect(Negotiation.classifyFailure("http", answer(-32022, { supported: ["2026-07-28", "2025-11-25", 7], requested: "x" })))
      .toEqual({ _tag: "Unsupported", supported: ["2026-07-28", "2025-11-25"] })
    expect(Negotiation.classifyFailure("stdio", answer(-32022))).toEqual({ _tag: "Unsupported", supported: [] })
    expect(Negotiation.classifyFailure("http", answer(-32020))._tag).toBe("Modern")
    expect(Negotiation.classifyFailure("stdio", answer(-32021))._tag).toBe("Modern")
  })

  it("any other JSON-RPC error means a legacy server, on either transport", () => {
    for (const code of [-32601, -32602, -32600, -32000, -32603, 1]) {
      expect(Negotiation.classifyFailure("http", protocol(code))._tag).toBe("Legacy")
      expect(Negotiation.classifyFailure("stdio", protocol(code))._tag).toBe("Legacy")
    }
  })

  it("over HTTP, any 4xx without a modern error means legacy but 401, 403, 407, 408 and 429; 5xx and network failures are no evidence", () => {
    for (const status of [400, 404, 405, 406, 409, 410, 415, 422, 499]) {
      expect(Negotiation.classifyFailure("http", transport("Status", status))._tag).toBe("Legacy")
    }
    for (const status of [401, 403, 407, 408, 429, 500, 502, 503, 504]) {
      expect(Negotiation.classifyFailure("http", transport("Status", status))._tag).toBe("Inconclusive")
    }
    for (const reason of ["Connect", "Closed", "Timeout"] as const) {
      expect(Negotiation.classifyFailure("http", transport(reason))._tag).toBe("Inconclusive")
    }
    expect(Negotiation.classifyFailure("http", transport("Decode"))._tag).toBe("Legacy")
  })

  it("over stdio, silence means legacy, a dead process does not", () => {
    expect(Negotiation.classifyFailure("stdio", transport("Timeout"))._tag).toBe("Legacy")
    expect(Negotiation.classifyFailure("stdio", transport("Decode"))._tag).toBe("Legacy")
    expect(Negotiation.classifyFailure("stdio", transport("Closed"))._tag).toBe("Inconclusive")
    expect(Negotiation.classifyFailure("stdio", transport("Connect"))._tag).toBe("Inconclusive")
  })

  it("picks the newest modern version both speak, else the newest legacy one, else none", () => {
    const ours = { modern: ["2026-07-28"], legacy: ["2025-11-25", "2025-06-18"] }
    expect(Negotiation.pick(["2025-06-18", "2026-07-28"], ours)).toEqual({ _tag: "Modern", version: "2026-07-28" })
    expect(Negotiation.pick(["2027-01-01", "2025-06-18", "2025-11-25"], ours)).toEqual({ _tag: "Legacy", version: "2025-11-25" })
    expect(Negotiation.pick(["2027-01-01"], ours)).toBeUndefined()
  })

  it("remembers verdicts per endpoint, ignoring the fragment", () => {
    const cache = Negotiation.makeCache()
    cache.set(Negotiation.endpointKey("http://h:1/mcp#x"), { _tag: "Legacy" })
    expect(cache.get(Negotiation.endpointKey("http://h:1/mcp"))).toEqual({ _tag: "Legacy" })
    expect(cache.get(Negotiation.endpointKey("http://h:1/other"))).toBeUndefined()
    cache.delete(Negotiation.endpointKey("http://h:1/mcp"))
    expect(cache.get(Negotiation.endpointKey("http://h:1/mcp"))).toBeUndefined()
  })
})

const base64 = (text: string) => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`

describe("request headers", () => {
  it("encodes values as the spec's table shows", () => {
    expect(McpHeaders.encodeValue("us-west1")).toBe("us-west1")
    expect(McpHeaders.encodeValue("us west 1")).toBe("us west 1")
    expect(McpHeaders.encodeValue("")).toBe("")
    expect(McpHeaders.encodeValue("Hello, 世界")).toBe("=?base64?SGVsbG8sIOS4lueVjA==?=")
    expect(McpHeaders.encodeValue(" padded ")).toBe("=?base64?IHBhZGRlZCA=?=")
    expect(McpHeaders.encodeValue("line1\nline2")).toBe("=?base64?bGluZTEKbGluZTI=?=")
    expect(McpHeaders.encodeValue("\tindented")).toBe(base64("\tindented"))
    expect(McpHeaders.encodeValue("=?base64?literal?=")).toBe("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")
  })

  it.prop("every value is a safe header that decodes back to itself", { value: FastCheck.string({ unit: "grapheme" }) }, ({ value }) => {
    const encoded = McpHeaders.encodeValue(value)
    expect(/^[\x20-\x7e]*$/.test(encoded)).toBe(true)
    const match = /^=\?base64\?(.*)\?=$/s.exec(encoded)
    expect(match === null ? encoded : Buffer.from(match[1]!, "base64").toString("utf8")).toBe(value)
  })

  it("sends Mcp-Method always and Mcp-Name for tools/call, prompts/get and resources/read", () => {
    expect(McpHeaders.standardHeaders("tools/list", {})).toEqual({ "mcp-method": "tools/list" })
    expect(McpHeaders.standardHeaders("tools/call", { name: "grüße" })).toEqual({ "mcp-method": "tools/call", "mcp-name": base64("grüße") })
    expect(McpHeaders.standardHeaders("prompts/get", { name: "p" })).toEqual({ "mcp-method": "prompts/get", "mcp-name": "p" })
    expect(McpHeaders.standardHeaders("resources/read", { uri: "file:///a%20b" })["mcp-name"]).toBe("file:///a%20b")
  })

  it("mirrors annotated arguments, reached through properties, omitting null, absent and non-primitive values", () => {
    const schema = {
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        priority: { type: "integer", "x-mcp-header": "Priority" },
        verbose: { type: "boolean", "x-mcp-header": "Verbose" },
        target: { type: "object", properties: { zone: { type: "string", "x-mcp-header": "Zone" } } },
        query: { type: "string", default: { "x-mcp-header": "NotAnAnnotation" } }
      }
    }
    const checked = McpHeaders.toolHeaders(schema)
    expect(checked._tag).toBe("Valid")
    if (checked._tag !== "Valid") return
    expect(McpHeaders.paramHeaders(checked.headers, { region: "eu", priority: 42, verbose: false, target: { zone: "z" }, query: "q" }))
      .toEqual({ "mcp-param-region": "eu", "mcp-param-priority": "42", "mcp-param-verbose": "false", "mcp-param-zone": "z" })
    expect(McpHeaders.paramHeaders(checked.headers, { region: null, target: "flat" })).toEqual({})
  })

  it("rejects every invalid annotation the spec names", () => {
    const tool = (properties: Record<string, unknown>) => McpHeaders.toolHeaders({ type: "object", properties })._tag
    expect(tool({ v: { type: "string", "x-mcp-header": "" } })).toBe("Invalid")
    expect(tool({ v: { type: "object", "x-mcp-header": "V" } })).toBe("Invalid")
    expect(tool({ v: { type: "array", items: { type: "string" }, "x-mcp-header": "V" } })).toBe("Invalid")
    expect(tool({ v: { type: "null", "x-mcp-header": "V" } })).toBe("Invalid")
    expect(tool({ v: { type: "number", "x-mcp-header": "V" } })).toBe("Invalid")
    expect(tool({ a: { type: "string", "x-mcp-header": "Region" }, b: { type: "string", "x-mcp-header": "region" } })).toBe("Invalid")
    expect(tool({ v: { type: "string", "x-mcp-header": "My Region" } })).toBe("Invalid")
    expect(tool({ v: { type: "string", "x-mcp-header": "Region:1" } })).toBe("Invalid")
    expect(tool({ v: { type: "string", "x-mcp-header": "Région" } })).toBe("Invalid")
    expect(tool({ v: { type: "string", "x-mcp-header": "Region\t1" } })).toBe("Invalid")
    // off a chain of properties: through items, a composition or $defs
    expect(tool({ v: { type: "array", items: { type: "string", "x-mcp-header": "V" } } })).toBe("Invalid")
    expect(tool({ v: { anyOf: [{ type: "string", "x-mcp-header": "V" }] } })).toBe("Invalid")
    expect(McpHeaders.toolHeaders({ type: "object", $defs: { d: { type: "string", "x-mcp-header": "D" } } })._tag).toBe("Invalid")
    expect(tool({ v: { type: "string" } })).toBe("Valid")
  })
})

describe("errors of the 2026-07-28 codes", () => {
  it("each code has its typed error carrying the server's data; others stay ProtocolError", () => {
    const mismatch = fromAnswer({ server: "s", tool: "t", code: -32020, message: "Mcp-Name does not match" })
    expect(mismatch._tag).toBe("HeaderMismatchError")
    expect(mismatch.message).toBe(`MCP server "s", tool "t": the request's headers do not match its body (JSON-RPC error -32020): Mcp-Name does not match`)
    const missing = fromAnswer({ server: "s", code: -32021, message: "needs elicitation", data: { requiredCapabilities: { elicitation: {} } } })
    expect(missing._tag === "MissingCapabilityError" && missing.required).toEqual({ elicitation: {} })
    expect(missing.message).toContain("(elicitation)")
    const unsupported = fromAnswer({ server: "s", code: -32022, message: "no", data: { supported: ["2026-07-28"], requested: "1900-01-01" } })
    expect(unsupported._tag === "UnsupportedVersionError" && [unsupported.requested, unsupported.supported, unsupported.code])
      .toEqual(["1900-01-01", ["2026-07-28"], -32022])
    // resource not found: -32602 in 2026-07-28, -32002 before, both a ProtocolError with the code
    for (const code of [-32602, -32002]) expect(fromAnswer({ server: "s", code, message: "not found" })).toMatchObject({ _tag: "ProtocolError", code })
  })
})
