/**
 * The MCP 2026-07-28 fixture (`fixtures/server2026.mjs`) behaves as the spec says: spoken to with
 * plain `fetch` (HTTP) and a raw child process (stdio), not with the client, which the other tests
 * run against it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { eventuallyValue } from "./support/effects.js"
import { server2026Http, server2026Stdio } from "./support/server2026Peer.js"

const VERSION = "2026-07-28"
const CLIENT_INFO = { name: "server2026-test", version: "0.0.0" }
type Json = Readonly<Record<string, unknown>>

interface RpcMessage {
  readonly jsonrpc: "2.0"
  readonly id?: string | number | null
  readonly method?: string
  readonly params?: Json
  readonly result?: Json
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown }
}

/** `_meta` of a 2026-07-28 request (basic/index "_meta"). */
const meta = (capabilities: Json = {}, extra: Json = {}): Json => ({
  "io.modelcontextprotocol/protocolVersion": VERSION,
  "io.modelcontextprotocol/clientCapabilities": capabilities,
  "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
  ...extra
})

let ids = 0
/** A request with a fresh id and full `_meta` unless `params` brings its own. */
const rpc = (method: string, params: Json = {}, capabilities: Json = {}): RpcMessage => ({
  jsonrpc: "2.0",
  id: ++ids,
  method,
  params: { _meta: meta(capabilities), ...params }
})

/** A header value as a client writes it: plain when safe, else the Base64 sentinel (streamable-http "Value Encoding"). */
const headerValue = (value: string): string =>
  /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !(value.startsWith("=?base64?") && value.endsWith("?="))
    ? value
    : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`

/** The standard headers of `message` (streamable-http "Request Metadata"). */
const standardHeaders = (message: RpcMessage): Record<string, string> => {
  const version = message.params?._meta !== undefined
    ? (message.params._meta as Json)["io.modelcontextprotocol/protocolVersion"]
    : undefined
  const name = message.params?.name ?? message.params?.uri
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(typeof version === "string" ? { "mcp-protocol-version": version } : {}),
    ...(message.method !== undefined ? { "mcp-method": message.method } : {}),
    ...(typeof name === "string" && ["tools/call", "resources/read", "prompts/get"].includes(message.method ?? "")
      ? { "mcp-name": headerValue(name) }
      : {})
  }
}

interface Answer {
  readonly status: number
  readonly headers: Headers
  /** The JSON body, or the JSON-RPC response ending an SSE stream. */
  readonly body: RpcMessage | undefined
  /** Every SSE event's message, in order (empty for a JSON answer). */
  readonly events: ReadonlyArray<RpcMessage>
  readonly text: string
}

const sseMessages = (text: string): Array<RpcMessage> =>
  text.split(/\r?\n\r?\n/).flatMap((event) => {
    const data = event.split(/\r?\n/).filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n")
    return data === "" ? [] : [JSON.parse(data) as RpcMessage]
  })

/**
 * POSTs `message` with its standard headers, changed by `headers` (undefined removes one); a
 * string body is sent as it is.
 */
const post = (url: string, message: RpcMessage | string, headers: Readonly<Record<string, string | undefined>> = {}) =>
  Effect.promise(async (): Promise<Answer> => {
    const merged: Record<string, string> = typeof message === "string" ? { "content-type": "application/json" } : standardHeaders(message)
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) delete merged[name.toLowerCase()]
      else merged[name.toLowerCase()] = value
    }
    const response = await fetch(url, { method: "POST", headers: merged, body: typeof message === "string" ? message : JSON.stringify(message) })
    const text = await response.text()
    const sse = response.headers.get("content-type")?.startsWith("text/event-stream") === true
    const events = sse ? sseMessages(text) : []
    const isJson = response.headers.get("content-type")?.startsWith("application/json") === true
    const body = sse ? events.find((event) => event.method === undefined) : isJson ? JSON.parse(text) as RpcMessage : undefined
    return { status: response.status, headers: response.headers, body, events, text }
  })

interface Stream {
  readonly status: number
  readonly headers: Headers
  /** The next SSE message; undefined once the stream ended. */
  readonly next: Effect.Effect<RpcMessage | undefined>
  /** Closes the stream from the client side: on HTTP, the cancellation of the request. */
  readonly close: Effect.Effect<void>
}

/** POSTs `message` and reads its SSE answer message by message; the stream is closed with the scope. */
const openStream = (url: string, message: RpcMessage): Effect.Effect<Stream, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const controller = new AbortController()
      const response = await fetch(url, {
        method: "POST",
        headers: standardHeaders(message),
        body: JSON.stringify(message),
        signal: controller.signal
      })
      const body = response.body
      if (body === null) throw new Error("no body")
      const reader = body.getReader()
      const decoder = new TextDecoder()
      const ready: Array<RpcMessage> = []
      let buffer = ""
      let ended = false
      const next = async (): Promise<RpcMessage | undefined> => {
        for (;;) {
          const first = ready.shift()
          if (first !== undefined) return first
          if (ended) return undefined
          const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }))
          if (chunk.done) {
            ended = true
            continue
          }
          buffer += decoder.decode(chunk.value, { stream: true })
          const end = buffer.lastIndexOf("\n\n")
          if (end === -1) continue
          ready.push(...sseMessages(buffer.slice(0, end)))
          buffer = buffer.slice(end + 2)
        }
      }
      return { status: response.status, headers: response.headers, next: Effect.promise(next), close: Effect.sync(() => controller.abort()) }
    }),
    (stream) => stream.close
  )

const resultOf = (answer: Answer): Json => {
  if (answer.body?.result === undefined) throw new Error(`expected a result, got ${answer.status} ${answer.text}`)
  return answer.body.result
}
const errorOf = (answer: Answer) => {
  if (answer.body?.error === undefined) throw new Error(`expected an error, got ${answer.status} ${answer.text}`)
  return answer.body.error
}
const SERVER_INFO_META = { "io.modelcontextprotocol/serverInfo": { name: "server2026", version: "1.0.0" } }

describe("server2026 over Streamable HTTP: versioning, _meta and headers", () => {
  it.scopedLive("answers server/discover with its versions, capabilities, identity and caching hints", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const answer = yield* post(server.url, rpc("server/discover"))
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toBe("application/json")
      expect(answer.headers.get("mcp-session-id")).toBeNull()
      expect(resultOf(answer)).toMatchObject({
        resultType: "complete",
        supportedVersions: [VERSION],
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          prompts: { listChanged: true },
          completions: {}
        },
        ttlMs: 0,
        cacheScope: "public",
        _meta: SERVER_INFO_META
      })
    }))

  it.scopedLive("rejects a request without _meta, protocolVersion or clientCapabilities with 400 and -32602; clientInfo is optional", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const withoutVersion = { "io.modelcontextprotocol/clientCapabilities": {} }
      const withoutCapabilities = { "io.modelcontextprotocol/protocolVersion": VERSION }
      for (const params of [{}, { _meta: withoutVersion }, { _meta: withoutCapabilities }]) {
        const message: RpcMessage = { jsonrpc: "2.0", id: ++ids, method: "server/discover", params }
        const answer = yield* post(server.url, message, { "mcp-protocol-version": VERSION })
        expect(answer.status).toBe(400)
        expect(answer.body).toMatchObject({ id: message.id, error: { code: -32602 } })
      }
      const anonymous = yield* post(server.url, rpc("server/discover", { _meta: { ...withoutVersion, ...withoutCapabilities } }))
      expect(anonymous.status).toBe(200)
      expect(resultOf(anonymous).resultType).toBe("complete")
    }))

  it.scopedLive("answers an unsupported version with 400 and -32022 listing what it supports", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const message = rpc("tools/list", { _meta: meta({}, { "io.modelcontextprotocol/protocolVersion": "1900-01-01" }) })
      const answer = yield* post(server.url, message)
      expect(answer.status).toBe(400)
      expect(answer.body).toEqual({
        jsonrpc: "2.0",
        id: message.id,
        error: { code: -32022, message: "Unsupported protocol version", data: { supported: [VERSION], requested: "1900-01-01" } }
      })
    }))

  it.scopedLive("serves the versions --versions names, and -32022 for the others", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--versions", "2027-01-01,2026-07-28"])
      const discovered = yield* post(server.url, rpc("server/discover"))
      expect(resultOf(discovered).supportedVersions).toEqual(["2027-01-01", VERSION])
      const newer = rpc("tools/list", { _meta: meta({}, { "io.modelcontextprotocol/protocolVersion": "2027-01-01" }) })
      expect((yield* post(server.url, newer)).status).toBe(200)
      const only = yield* server2026Http(["--versions", "2027-01-01"])
      const rejected = yield* post(only.url, rpc("tools/list"))
      expect(errorOf(rejected)).toMatchObject({ code: -32022, data: { supported: ["2027-01-01"], requested: VERSION } })
    }))

  it.scopedLive("rejects missing or mismatched MCP-Protocol-Version and Mcp-Method headers with 400 and -32020", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const cases: ReadonlyArray<Readonly<Record<string, string | undefined>>> = [
        { "mcp-protocol-version": undefined },
        { "mcp-method": undefined },
        { "mcp-protocol-version": "2025-11-25" },
        { "mcp-method": "tools/call" },
        { "mcp-method": "TOOLS/LIST" }
      ]
      for (const headers of cases) {
        const message = rpc("tools/list")
        const answer = yield* post(server.url, message, headers)
        expect(answer.status).toBe(400)
        expect(answer.body).toMatchObject({ id: message.id, error: { code: -32020 } })
      }
      // header names are case-insensitive
      const upper = yield* post(server.url, rpc("tools/list"), { "MCP-METHOD": "tools/list" })
      expect(upper.status).toBe(200)
    }))

  it.scopedLive("checks a header mismatch before the version: same unknown version in both is -32022, differing is -32020", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const unknown = rpc("server/discover", { _meta: meta({}, { "io.modelcontextprotocol/protocolVersion": "v999" }) })
      expect(errorOf(yield* post(server.url, unknown)).code).toBe(-32022)
      expect(errorOf(yield* post(server.url, unknown, { "mcp-protocol-version": VERSION })).code).toBe(-32020)
    }))

  it.scopedLive("requires Mcp-Name on tools/call, resources/read and prompts/get, decoding the Base64 form before comparing", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const call = () => rpc("tools/call", { name: "echo", arguments: { x: 1 } })
      for (const headers of [{ "mcp-name": undefined }, { "mcp-name": "add" }, { "mcp-name": "=?base64?not base64?=" }, { "mcp-name": "ECHO" }]) {
        const answer = yield* post(server.url, call(), headers)
        expect(answer.status).toBe(400)
        expect(errorOf(answer).code).toBe(-32020)
      }
      const encoded = yield* post(server.url, call(), { "mcp-name": `=?base64?${Buffer.from("echo").toString("base64")}?=` })
      expect(resultOf(encoded).structuredContent).toEqual({ x: 1 })
      const read = yield* post(server.url, rpc("resources/read", { uri: "mem://static" }), { "mcp-name": "mem://note" })
      expect(errorOf(read).code).toBe(-32020)
      const prompt = yield* post(server.url, rpc("prompts/get", { name: "greet", arguments: { name: "x" } }), { "mcp-name": undefined })
      expect(errorOf(prompt).code).toBe(-32020)
    }))

  it.scopedLive("answers unknown and removed methods (initialize, ping, logging/setLevel, resources/subscribe) with 404 and -32601", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      for (const method of ["unknown/method", "initialize", "ping", "logging/setLevel", "resources/subscribe"]) {
        const message = rpc(method)
        const answer = yield* post(server.url, message)
        expect(answer.status).toBe(404)
        expect(answer.body).toMatchObject({ id: message.id, error: { code: -32601 } })
      }
    }))

  it.scopedLive("rejects a legacy client's initialize (no headers, no _meta) with 400, naming the versions it supports", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const initialize = {
        jsonrpc: "2.0" as const,
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: CLIENT_INFO }
      }
      const answer = yield* post(server.url, initialize, { "mcp-method": undefined })
      expect(answer.status).toBe(400)
      expect(answer.headers.get("mcp-session-id")).toBeNull()
      const error = errorOf(answer)
      expect(error.message).toContain(VERSION)
      expect(error.data).toMatchObject({ supported: [VERSION] })
    }))

  it.scopedLive("speaks only POST, answers GET and DELETE with 405, a bad Origin with 403 and ignores Mcp-Session-Id", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      for (const method of ["GET", "DELETE"]) {
        const response = yield* Effect.promise(() => fetch(server.url, { method }))
        expect(response.status).toBe(405)
      }
      const foreign = yield* post(server.url, rpc("tools/list"), { origin: "http://evil.example" })
      expect(foreign.status).toBe(403)
      const local = yield* post(server.url, rpc("tools/list"), { origin: "http://localhost:3000" })
      expect(local.status).toBe(200)
      const withSession = yield* post(server.url, rpc("tools/list"), { "mcp-session-id": "abc" })
      expect(withSession.status).toBe(200)
      expect(withSession.headers.get("mcp-session-id")).toBeNull()
    }))

  it.scopedLive("answers malformed JSON with -32700, a batch or a response with -32600, and a notification with 202", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const parse = yield* post(server.url, "{not json")
      expect(parse.status).toBe(400)
      expect(parse.body).toMatchObject({ id: null, error: { code: -32700 } })
      const batch = yield* post(server.url, JSON.stringify([rpc("tools/list")]))
      expect(batch.status).toBe(400)
      expect(errorOf(batch).code).toBe(-32600)
      const response = yield* post(server.url, JSON.stringify({ jsonrpc: "2.0", id: 5, result: {} }))
      expect(errorOf(response).code).toBe(-32600)
      const notification = yield* post(server.url, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } })
      expect(notification.status).toBe(202)
      expect(notification.text).toBe("")
    }))

  it.scopedLive("with --bearer answers 401 with a Bearer challenge and no JSON-RPC body until the token comes", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--bearer", "s3cret"])
      const missing = yield* post(server.url, rpc("server/discover"))
      expect(missing.status).toBe(401)
      expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer /)
      expect(missing.text).toBe("Unauthorized")
      const wrong = yield* post(server.url, rpc("server/discover"), { authorization: "Bearer nope" })
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get("www-authenticate")).toContain("invalid_token")
      const right = yield* post(server.url, rpc("server/discover"), { authorization: "Bearer s3cret" })
      expect(right.status).toBe(200)
    }))

  it.scopedLive("records every request with its headers and _meta, and every answer, at GET /received", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const message = rpc("tools/call", { name: "add", arguments: { a: 1, b: 2 } })
      yield* post(server.url, message, { "mcp-protocol-version": "2025-01-01" })
      const records = yield* server.received
      const request = records.find((record) => record.kind === "request" && record.id === message.id)
      expect(request).toMatchObject({
        transport: "http",
        method: "tools/call",
        headers: { "mcp-method": "tools/call", "mcp-name": "add", "mcp-protocol-version": "2025-01-01" },
        meta: message.params?._meta
      })
      expect(records.find((record) => record.kind === "answer" && record.id === message.id)).toMatchObject({ status: 400, code: -32020 })
    }))
})

describe("server2026 over Streamable HTTP: tools", () => {
  it.scopedLive("lists its tools in a fixed order with caching hints; echo, add and fail answer as tools do", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const first = resultOf(yield* post(server.url, rpc("tools/list")))
      const again = resultOf(yield* post(server.url, rpc("tools/list")))
      expect(first.tools).toEqual(again.tools)
      expect(first).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "public", _meta: SERVER_INFO_META })
      expect(first.nextCursor).toBeUndefined()
      const names = (first.tools as ReadonlyArray<{ readonly name: string }>).map((tool) => tool.name)
      expect(names.slice(0, 6)).toEqual(["echo", "add", "regional", "fail", "confirm", "slow"])

      const echo = resultOf(yield* post(server.url, rpc("tools/call", { name: "echo", arguments: { text: "hi", n: 2 } })))
      expect(echo).toMatchObject({
        resultType: "complete",
        content: [{ type: "text", text: JSON.stringify({ text: "hi", n: 2 }) }],
        structuredContent: { text: "hi", n: 2 },
        isError: false
      })
      const add = resultOf(yield* post(server.url, rpc("tools/call", { name: "add", arguments: { a: 2, b: 40 } })))
      expect(add).toMatchObject({ content: [{ type: "text", text: "42" }], structuredContent: { sum: 42 }, isError: false })
      const badAdd = resultOf(yield* post(server.url, rpc("tools/call", { name: "add", arguments: { a: "2", b: 40 } })))
      expect(badAdd.isError).toBe(true)
      const failed = resultOf(yield* post(server.url, rpc("tools/call", { name: "fail", arguments: {} })))
      expect(failed).toMatchObject({ resultType: "complete", isError: true })
    }))

  it.scopedLive("answers an unknown tool with -32602", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const answer = yield* post(server.url, rpc("tools/call", { name: "nope", arguments: {} }))
      expect(answer.status).toBe(200)
      expect(errorOf(answer).code).toBe(-32602)
    }))

  it.scopedLive("checks every x-mcp-header argument against its Mcp-Param header, decoded, integers numerically", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const call = (args: Json) => rpc("tools/call", { name: "regional", arguments: args })
      const ok = yield* post(server.url, call({ region: "us-west1", query: "SELECT 1" }), { "mcp-param-region": "us-west1" })
      expect(resultOf(ok).structuredContent).toEqual({ region: "us-west1", query: "SELECT 1" })
      const all = yield* post(
        server.url,
        call({ region: "Zürich", priority: 42, verbose: false, target: { zone: " a " } }),
        {
          "mcp-param-region": headerValue("Zürich"),
          "mcp-param-priority": "42.0",
          "mcp-param-verbose": "false",
          "mcp-param-zone": headerValue(" a ")
        }
      )
      expect(resultOf(all).isError).toBe(false)
      const rejected: ReadonlyArray<readonly [Json, Readonly<Record<string, string | undefined>>]> = [
        [{ region: "us-west1" }, {}], // value in the body, no header
        [{ region: "us-west1" }, { "mcp-param-region": "us-east1" }],
        [{ region: "us-west1" }, { "mcp-param-region": "US-WEST1" }],
        [{ region: "us-west1" }, { "mcp-param-region": "=?base64?!!!?=" }],
        [{ region: "us-west1", priority: 7 }, { "mcp-param-region": "us-west1", "mcp-param-priority": "8" }],
        [{ region: "us-west1", verbose: true }, { "mcp-param-region": "us-west1", "mcp-param-verbose": "True" }],
        [{ region: "us-west1", target: { zone: "b" } }, { "mcp-param-region": "us-west1" }],
        [{ region: "us-west1" }, { "mcp-param-region": "us-west1", "mcp-param-priority": "1" }] // header without a body value
      ]
      for (const [args, headers] of rejected) {
        const answer = yield* post(server.url, call(args), headers)
        expect(answer.status).toBe(400)
        expect(errorOf(answer).code).toBe(-32020)
      }
      // null is no value: no header expected
      const nulled = yield* post(server.url, call({ region: "eu", priority: null }), { "mcp-param-region": "eu" })
      expect(resultOf(nulled).isError).toBe(false)
      // unknown Mcp-Param headers are ignored
      const extra = yield* post(server.url, call({ region: "eu" }), { "mcp-param-region": "eu", "mcp-param-other": "x" })
      expect(resultOf(extra).isError).toBe(false)
    }))
})

describe("server2026 over Streamable HTTP: input_required (MRTR)", () => {
  const confirm = (args: Json, capabilities: Json, extra: Json = {}) => rpc("tools/call", { name: "confirm", arguments: args, ...extra }, capabilities)

  it.scopedLive("asks for elicitation with a requestState, and answers the retry that echoes it with the user's answer", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const first = resultOf(yield* post(server.url, confirm({}, { elicitation: {} })))
      expect(first).toMatchObject({
        resultType: "input_required",
        inputRequests: { elicitation: { method: "elicitation/create", params: { mode: "form", requestedSchema: { type: "object" } } } }
      })
      expect(first.ttlMs).toBeUndefined()
      expect(typeof first.requestState).toBe("string")
      const retry = confirm({}, { elicitation: {} }, {
        inputResponses: { elicitation: { action: "accept", content: { confirmed: true } } },
        requestState: first.requestState
      })
      const done = resultOf(yield* post(server.url, retry))
      expect(done).toMatchObject({
        resultType: "complete",
        isError: false,
        structuredContent: { elicitation: { action: "accept", content: { confirmed: true } } }
      })
    }))

  it.scopedLive("asks for sampling and roots at once, or one per round with --sequential, carrying earlier answers in the state", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const caps = { sampling: {}, roots: {}, elicitation: {} }
      const sampled = { role: "assistant", content: { type: "text", text: "sure" }, model: "m", stopReason: "endTurn" }
      const rooted = { roots: [{ uri: "file:///work" }] }
      const together = resultOf(yield* post(server.url, confirm({ ask: ["sampling", "roots"] }, caps)))
      expect(Object.keys(together.inputRequests as Json)).toEqual(["sampling", "roots"])
      expect(together.inputRequests).toMatchObject({ sampling: { method: "sampling/createMessage" }, roots: { method: "roots/list" } })
      const answered = resultOf(yield* post(server.url, confirm({ ask: ["sampling", "roots"] }, caps, {
        inputResponses: { sampling: sampled, roots: rooted },
        requestState: together.requestState
      })))
      expect(answered.structuredContent).toEqual({ sampling: { text: "sure" }, roots: { uris: ["file:///work"] } })

      const args = { ask: ["elicitation", "sampling", "roots"], sequential: true }
      const round1 = resultOf(yield* post(server.url, confirm(args, caps)))
      expect(Object.keys(round1.inputRequests as Json)).toEqual(["elicitation"])
      const round2 = resultOf(yield* post(server.url, confirm(args, caps, {
        inputResponses: { elicitation: { action: "decline" } },
        requestState: round1.requestState
      })))
      expect(round2.resultType).toBe("input_required")
      expect(Object.keys(round2.inputRequests as Json)).toEqual(["sampling"])
      const round3 = resultOf(yield* post(server.url, confirm(args, caps, {
        inputResponses: { sampling: sampled },
        requestState: round2.requestState
      })))
      expect(Object.keys(round3.inputRequests as Json)).toEqual(["roots"])
      const last = resultOf(yield* post(server.url, confirm(args, caps, {
        inputResponses: { roots: rooted, extra: { ignored: true } },
        requestState: round3.requestState
      })))
      expect(last).toMatchObject({
        resultType: "complete",
        structuredContent: { elicitation: { action: "decline" }, sampling: { text: "sure" }, roots: { uris: ["file:///work"] } }
      })
    }))

  it.scopedLive("answers -32021 with 400 when the request lacks a capability the inputs need", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const answer = yield* post(server.url, confirm({ ask: ["elicitation", "sampling"] }, { sampling: {} }))
      expect(answer.status).toBe(400)
      expect(errorOf(answer)).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } })
    }))

  it.scopedLive("rejects a tampered requestState or one of another request with -32602, and asks again when it is missing", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const caps = { elicitation: {} }
      const first = resultOf(yield* post(server.url, confirm({}, caps)))
      const state = String(first.requestState)
      const accept = { elicitation: { action: "accept", content: { confirmed: true } } }
      const tampered = yield* post(server.url, confirm({}, caps, { inputResponses: accept, requestState: `${state}-TAMPERED` }))
      expect(errorOf(tampered).code).toBe(-32602)
      const flipped = `${state.slice(0, 5)}${state[5] === "A" ? "B" : "A"}${state.slice(6)}`
      expect(errorOf(yield* post(server.url, confirm({}, caps, { inputResponses: accept, requestState: flipped }))).code).toBe(-32602)
      const otherArgs = yield* post(server.url, confirm({ ask: ["elicitation"], sequential: true }, caps, { inputResponses: accept, requestState: state }))
      expect(errorOf(otherArgs).code).toBe(-32602)
      const missing = resultOf(yield* post(server.url, confirm({}, caps, { inputResponses: accept })))
      expect(missing.resultType).toBe("input_required")
      const wrongKey = resultOf(yield* post(server.url, confirm({}, caps, { inputResponses: { other: accept.elicitation }, requestState: state })))
      expect(wrongKey.resultType).toBe("input_required")
      const malformed = yield* post(server.url, confirm({}, caps, { inputResponses: { elicitation: { action: "maybe" } }, requestState: state }))
      expect(errorOf(malformed).code).toBe(-32602)
    }))
})

describe("server2026 over Streamable HTTP: subscriptions/listen and cancellation", () => {
  const SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId"

  it.scopedLive("acknowledges first, then delivers only the opted-in notifications tagged with the subscription id", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const listen = rpc("subscriptions/listen", {
        notifications: { toolsListChanged: true, resourceSubscriptions: ["mem://note"], unknownKind: true }
      })
      const stream = yield* openStream(server.url, listen)
      expect(stream.status).toBe(200)
      expect(stream.headers.get("content-type")).toBe("text/event-stream")
      expect(stream.headers.get("x-accel-buffering")).toBe("no")
      expect(yield* stream.next).toEqual({
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { _meta: { [SUBSCRIPTION]: listen.id }, notifications: { toolsListChanged: true, resourceSubscriptions: ["mem://note"] } }
      })
      const prompts = rpc("subscriptions/listen", { notifications: { promptsListChanged: true } })
      const promptStream = yield* openStream(server.url, prompts)
      expect((yield* promptStream.next)?.method).toBe("notifications/subscriptions/acknowledged")

      yield* post(server.url, rpc("tools/call", { name: "add_prompt", arguments: { name: "p1" } }))
      yield* post(server.url, rpc("tools/call", { name: "add_tool", arguments: { name: "t1" } }))
      yield* post(server.url, rpc("tools/call", { name: "set_note", arguments: { text: "second" } }))
      yield* post(server.url, rpc("tools/call", { name: "add_resource", arguments: {} }))
      // nothing for prompts or the resource list arrives on the first stream, in between or after
      expect(yield* stream.next).toEqual({
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { [SUBSCRIPTION]: listen.id } }
      })
      expect(yield* stream.next).toEqual({
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: "mem://note", _meta: { [SUBSCRIPTION]: listen.id } }
      })
      expect(yield* promptStream.next).toEqual({
        jsonrpc: "2.0",
        method: "notifications/prompts/list_changed",
        params: { _meta: { [SUBSCRIPTION]: prompts.id } }
      })
      const tools = resultOf(yield* post(server.url, rpc("tools/list")))
      expect((tools.tools as ReadonlyArray<{ readonly name: string }>).map((tool) => tool.name)).toContain("t1")

      yield* post(server.url, rpc("tools/call", { name: "close_subscriptions", arguments: { mode: "result" } }))
      expect(yield* stream.next).toEqual({
        jsonrpc: "2.0",
        id: listen.id,
        result: { resultType: "complete", _meta: { [SUBSCRIPTION]: listen.id, ...SERVER_INFO_META } }
      })
      expect(yield* stream.next).toBeUndefined()
      expect((yield* promptStream.next)?.id).toBe(prompts.id)
      expect(yield* promptStream.next).toBeUndefined()
    }))

  it.scopedLive("ends subscriptions with notifications/cancelled or by dropping the stream when told to", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const listen = rpc("subscriptions/listen", { notifications: { toolsListChanged: true } })
      const stream = yield* openStream(server.url, listen)
      yield* stream.next
      yield* post(server.url, rpc("tools/call", { name: "close_subscriptions", arguments: { mode: "cancelled" } }))
      expect(yield* stream.next).toMatchObject({ method: "notifications/cancelled", params: { requestId: listen.id } })
      expect(yield* stream.next).toBeUndefined()
      const dropped = yield* openStream(server.url, rpc("subscriptions/listen", { notifications: { toolsListChanged: true } }))
      yield* dropped.next
      yield* post(server.url, rpc("tools/call", { name: "close_subscriptions", arguments: { mode: "drop" } }))
      expect(yield* dropped.next).toBeUndefined()
      const records = yield* server.received
      expect(records.filter((record) => record.kind === "subscription-ended").map((record) => record.mode)).toEqual(["cancelled", "drop"])
      // ended by the server: no request was cancelled
      expect(records.some((record) => record.kind === "cancelled")).toBe(false)
    }))

  it.scopedLive("takes the client closing a listen stream as its end, and leaves it out of later notifications", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const listen = rpc("subscriptions/listen", { notifications: { toolsListChanged: true } })
      const stream = yield* openStream(server.url, listen)
      yield* stream.next
      yield* stream.close
      const records = yield* eventuallyValue(server.received, (all) => all.some((record) => record.kind === "subscription-ended"))
      expect(records.find((record) => record.kind === "subscription-ended")).toMatchObject({ id: listen.id, mode: "client" })
      expect(records.find((record) => record.kind === "cancelled")).toMatchObject({ id: listen.id, via: "stream closed" })
      yield* post(server.url, rpc("tools/call", { name: "add_tool", arguments: {} }))
    }))

  it.scopedLive("rejects subscriptions/listen without a notifications filter with -32602", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      expect(errorOf(yield* post(server.url, rpc("subscriptions/listen"))).code).toBe(-32602)
    }))

  it.scopedLive("streams slow's progress and log messages on its own response, and takes the stream's closing as cancellation", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const slow = rpc("tools/call", {
        name: "slow",
        arguments: { ms: 600_000 },
        _meta: meta({}, { progressToken: "p1", "io.modelcontextprotocol/logLevel": "info" })
      })
      const stream = yield* openStream(server.url, slow)
      expect(stream.headers.get("content-type")).toBe("text/event-stream")
      expect(yield* stream.next).toEqual({
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "p1", progress: 0, total: 600_000, message: "started" }
      })
      expect(yield* stream.next).toMatchObject({ method: "notifications/message", params: { level: "info", logger: "slow" } })
      yield* stream.close
      const records = yield* eventuallyValue(server.received, (all) => all.some((record) => record.kind === "cancelled"))
      expect(records.find((record) => record.kind === "cancelled")).toMatchObject({ id: slow.id, method: "tools/call", via: "stream closed" })
      expect(records.some((record) => record.kind === "answer" && record.id === slow.id)).toBe(false)
    }))

  it.scopedLive("sends no log message to a request without a logLevel, and ends slow's stream with its result", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const answer = yield* post(server.url, rpc("tools/call", { name: "slow", arguments: { ms: 1 }, _meta: meta({}, { progressToken: 7 }) }))
      expect(answer.events.map((event) => event.method ?? "response")).toEqual(["notifications/progress", "notifications/progress", "response"])
      expect(resultOf(answer)).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "waited 1 ms" }] })
    }))
})

describe("server2026 over Streamable HTTP: caching, paging, resources, prompts and completion", () => {
  it.scopedLive("puts the --ttl-ms and --cache-scope hints on every cacheable result", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--ttl-ms", "5000", "--cache-scope", "private"])
      const cacheable = [
        rpc("server/discover"),
        rpc("tools/list"),
        rpc("prompts/list"),
        rpc("resources/list"),
        rpc("resources/templates/list"),
        rpc("resources/read", { uri: "mem://note" })
      ]
      for (const message of cacheable) {
        expect(resultOf(yield* post(server.url, message))).toMatchObject({ resultType: "complete", ttlMs: 5000, cacheScope: "private" })
      }
      const call = resultOf(yield* post(server.url, rpc("tools/call", { name: "echo", arguments: {} })))
      expect(call.ttlMs).toBeUndefined()
    }))

  it.scopedLive("pages lists by --page-size with opaque cursors, and answers a bad cursor with -32602", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--page-size", "2"])
      const whole = yield* server2026Http()
      const all = resultOf(yield* post(whole.url, rpc("tools/list"))).tools as ReadonlyArray<Json>
      const paged: Array<Json> = []
      let cursor: unknown = undefined
      let pages = 0
      do {
        const page = resultOf(yield* post(server.url, rpc("tools/list", cursor === undefined ? {} : { cursor })))
        expect((page.tools as ReadonlyArray<Json>).length).toBeLessThanOrEqual(2)
        expect(page).toMatchObject({ ttlMs: 0, cacheScope: "public" })
        paged.push(...(page.tools as ReadonlyArray<Json>))
        cursor = page.nextCursor
        pages++
      } while (cursor !== undefined)
      expect(paged).toEqual(all)
      expect(pages).toBe(Math.ceil(all.length / 2))
      const resources = resultOf(yield* post(server.url, rpc("resources/list")))
      expect(typeof resources.nextCursor).toBe("string")
      const crossed = yield* post(server.url, rpc("tools/list", { cursor: resources.nextCursor }))
      expect(errorOf(crossed).code).toBe(-32602)
      expect(errorOf(yield* post(server.url, rpc("prompts/list", { cursor: "garbage" }))).code).toBe(-32602)
    }))

  it.scopedLive("lists and reads resources and templates; set_note changes mem://note; a missing one is -32602 with its uri", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const list = resultOf(yield* post(server.url, rpc("resources/list")))
      expect((list.resources as ReadonlyArray<Json>).map((resource) => resource.uri)).toEqual(["mem://note", "mem://static", "mem://blob", "mem://guarded"])
      const templates = resultOf(yield* post(server.url, rpc("resources/templates/list")))
      expect(templates.resourceTemplates).toEqual([{ uriTemplate: "mem://items/{id}", name: "item", mimeType: "text/plain" }])
      const read = (uri: string) => post(server.url, rpc("resources/read", { uri }))
      expect(resultOf(yield* read("mem://note")).contents).toEqual([{ uri: "mem://note", mimeType: "text/plain", text: "first note" }])
      yield* post(server.url, rpc("tools/call", { name: "set_note", arguments: { text: "changed" } }))
      expect(resultOf(yield* read("mem://note")).contents).toMatchObject([{ text: "changed" }])
      expect(resultOf(yield* read("mem://blob")).contents).toMatchObject([{ blob: "AAECAw==" }])
      expect(resultOf(yield* read("mem://items/7")).contents).toMatchObject([{ uri: "mem://items/7", text: "item 7" }])
      const missing = yield* read("mem://missing")
      expect(errorOf(missing)).toEqual({ code: -32602, message: "Resource not found", data: { uri: "mem://missing" } })
      const guarded = resultOf(yield* post(server.url, rpc("resources/read", { uri: "mem://guarded" }, { elicitation: {} })))
      expect(guarded.resultType).toBe("input_required")
      const opened = resultOf(yield* post(server.url, rpc("resources/read", {
        uri: "mem://guarded",
        inputResponses: { elicitation: { action: "accept", content: { confirmed: true } } },
        requestState: guarded.requestState
      }, { elicitation: {} })))
      expect(opened.contents).toMatchObject([{ text: "guarded text" }])
    }))

  it.scopedLive("lists and gets prompts, asks before confirm_prompt, and completes arguments", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const list = resultOf(yield* post(server.url, rpc("prompts/list")))
      expect((list.prompts as ReadonlyArray<Json>).map((prompt) => prompt.name)).toEqual(["greet", "confirm_prompt"])
      const greet = resultOf(yield* post(server.url, rpc("prompts/get", { name: "greet", arguments: { name: "Ada" } })))
      expect(greet).toMatchObject({ resultType: "complete", messages: [{ role: "user", content: { type: "text", text: "Hello, Ada!" } }] })
      expect(errorOf(yield* post(server.url, rpc("prompts/get", { name: "greet", arguments: {} }))).code).toBe(-32602)
      expect(errorOf(yield* post(server.url, rpc("prompts/get", { name: "nope" }))).code).toBe(-32602)
      const asked = resultOf(yield* post(server.url, rpc("prompts/get", { name: "confirm_prompt" }, { elicitation: {} })))
      expect(asked).toMatchObject({ resultType: "input_required", inputRequests: { elicitation: { method: "elicitation/create" } } })
      const got = resultOf(yield* post(server.url, rpc("prompts/get", {
        name: "confirm_prompt",
        inputResponses: { elicitation: { action: "accept", content: { confirmed: true } } },
        requestState: asked.requestState
      }, { elicitation: {} })))
      expect(got).toMatchObject({ resultType: "complete", messages: [{ content: { text: "confirmed: true" } }] })
      const completion = resultOf(yield* post(server.url, rpc("completion/complete", {
        ref: { type: "ref/prompt", name: "greet" },
        argument: { name: "name", value: "al" }
      })))
      expect(completion.completion).toEqual({ values: ["alice", "albert"], total: 2, hasMore: false })
      const ids = resultOf(yield* post(server.url, rpc("completion/complete", {
        ref: { type: "ref/resource", uri: "mem://items/{id}" },
        argument: { name: "id", value: "1" }
      })))
      expect(ids.completion).toMatchObject({ values: ["1", "10"] })
    }))

  it.scopedLive("answers every request as SSE with --sse-always, and takes Base64 Mcp-Name for a non-ASCII tool name", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--sse-always", "--unicode-names"])
      const answer = yield* post(server.url, rpc("tools/call", { name: "grüße", arguments: { a: 1 } }))
      expect(answer.headers.get("content-type")).toBe("text/event-stream")
      expect(resultOf(answer).structuredContent).toEqual({ a: 1 })
      const received = yield* server.received
      expect(received.find((record) => record.kind === "request" && record.method === "tools/call")?.headers?.["mcp-name"])
        .toBe(`=?base64?${Buffer.from("grüße").toString("base64")}?=`)
    }))

  it.scopedLive("lists the tools with invalid x-mcp-header annotations that --invalid-header-tools adds", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--invalid-header-tools"])
      const tools = resultOf(yield* post(server.url, rpc("tools/list"))).tools as ReadonlyArray<Json>
      const invalid = tools.filter((tool) => String(tool.name).startsWith("invalid_"))
      expect(invalid.map((tool) => tool.name)).toEqual([
        "invalid_empty_header",
        "invalid_number_header",
        "invalid_duplicate_header",
        "invalid_space_header",
        "invalid_array_header"
      ])
      expect(invalid.every((tool) => !("invalidHeaders" in tool))).toBe(true)
    }))
})

describe("server2026 over Streamable HTTP with --legacy-too (dual-era)", () => {
  it.scopedLive("opens a 2025-11-25 session on initialize, serves it without 2026 fields, and serves modern requests beside it", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-too"])
      const legacy = (id: number, method: string, params: Json = {}): RpcMessage => ({ jsonrpc: "2.0", id, method, params })
      const init = yield* post(server.url, legacy(1, "initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: CLIENT_INFO }), {
        "mcp-method": undefined
      })
      expect(init.status).toBe(200)
      const session = init.headers.get("mcp-session-id")
      expect(session).toMatch(/^[\x21-\x7e]+$/)
      expect(resultOf(init)).toMatchObject({ protocolVersion: "2025-11-25", serverInfo: { name: "server2026" } })
      const inSession = { "mcp-session-id": session ?? "", "mcp-protocol-version": "2025-11-25" }
      const initialized = yield* post(server.url, { jsonrpc: "2.0", method: "notifications/initialized" }, inSession)
      expect(initialized.status).toBe(202)
      const tools = resultOf(yield* post(server.url, legacy(2, "tools/list"), inSession))
      expect(tools.resultType).toBeUndefined()
      expect(tools.ttlMs).toBeUndefined()
      expect(Array.isArray(tools.tools)).toBe(true)
      expect(resultOf(yield* post(server.url, legacy(3, "ping"), inSession))).toEqual({})
      const echo = resultOf(yield* post(server.url, legacy(4, "tools/call", { name: "echo", arguments: { x: 1 } }), inSession))
      expect(echo).toEqual({ content: [{ type: "text", text: "{\"x\":1}" }], structuredContent: { x: 1 }, isError: false })

      const discovered = resultOf(yield* post(server.url, rpc("server/discover")))
      expect(discovered.supportedVersions).toEqual([VERSION, "2025-11-25", "2025-06-18", "2025-03-26"])
      const old = yield* post(server.url, rpc("tools/list", { _meta: meta({}, { "io.modelcontextprotocol/protocolVersion": "1900-01-01" }) }))
      expect(errorOf(old).data).toEqual({ supported: [VERSION, "2025-11-25", "2025-06-18", "2025-03-26"], requested: "1900-01-01" })

      const deleted = yield* Effect.promise(() => fetch(server.url, { method: "DELETE", headers: { "mcp-session-id": session ?? "" } }))
      expect(deleted.status).toBe(200)
      const gone = yield* post(server.url, legacy(5, "tools/list"), inSession)
      expect(gone.status).toBe(404)
    }))
})

describe("server2026 over stdio", () => {
  const stdioRpc = (method: string, params: Json = {}, capabilities: Json = {}) => rpc(method, params, capabilities)
  const answerTo = (id: RpcMessage["id"]) => (message: Json) => message.id === id && !("method" in message)

  it.scopedLive("answers discover and tools with the same _meta rules, one JSON message per line, records on stderr", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio()
      const discover = stdioRpc("server/discover")
      yield* server.send(discover)
      expect(yield* server.next(answerTo(discover.id))).toMatchObject({ result: { resultType: "complete", supportedVersions: [VERSION] } })
      const bare = { jsonrpc: "2.0", id: "bare", method: "tools/list", params: {} }
      yield* server.send(bare)
      expect(yield* server.next(answerTo("bare"))).toMatchObject({ error: { code: -32602 } })
      const unsupported = stdioRpc("tools/list", { _meta: meta({}, { "io.modelcontextprotocol/protocolVersion": "1900-01-01" }) })
      yield* server.send(unsupported)
      expect(yield* server.next(answerTo(unsupported.id))).toMatchObject({ error: { code: -32022, data: { supported: [VERSION], requested: "1900-01-01" } } })
      const ping = stdioRpc("ping")
      yield* server.send(ping)
      expect(yield* server.next(answerTo(ping.id))).toMatchObject({ error: { code: -32601 } })
      // x-mcp-header means nothing without HTTP headers
      const regional = stdioRpc("tools/call", { name: "regional", arguments: { region: "eu" } })
      yield* server.send(regional)
      expect(yield* server.next(answerTo(regional.id))).toMatchObject({ result: { structuredContent: { region: "eu" } } })
      const initialize = { jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: CLIENT_INFO } }
      yield* server.send(initialize)
      const refused = yield* server.next(answerTo("init"))
      expect(refused).toMatchObject({ error: { data: { supported: [VERSION] } } })
      expect(JSON.stringify(refused)).toContain(VERSION)
      const record = yield* server.record((entry) => entry.kind === "request" && entry.id === regional.id)
      expect(record).toMatchObject({ transport: "stdio", method: "tools/call", meta: regional.params?._meta })
      expect(record.headers).toBeUndefined()
      expect(yield* server.closeInput).toBe(0)
    }))

  it.scopedLive("runs input_required rounds and rejects a tampered state", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio()
      const first = stdioRpc("tools/call", { name: "confirm", arguments: { ask: ["roots"] } }, { roots: {} })
      yield* server.send(first)
      const asked = yield* server.next(answerTo(first.id))
      const state = (asked.result as Json).requestState
      expect(asked.result).toMatchObject({ resultType: "input_required", inputRequests: { roots: { method: "roots/list" } } })
      const retry = stdioRpc("tools/call", { name: "confirm", arguments: { ask: ["roots"] }, inputResponses: { roots: { roots: [] } }, requestState: state }, { roots: {} })
      yield* server.send(retry)
      expect(yield* server.next(answerTo(retry.id))).toMatchObject({ result: { resultType: "complete", structuredContent: { roots: { uris: [] } } } })
      const tampered = stdioRpc("tools/call", { name: "confirm", arguments: { ask: ["roots"] }, inputResponses: { roots: { roots: [] } }, requestState: `x${String(state)}` }, { roots: {} })
      yield* server.send(tampered)
      expect(yield* server.next(answerTo(tampered.id))).toMatchObject({ error: { code: -32602 } })
    }))

  it.scopedLive("acknowledges a listen first, delivers its notifications tagged, and ends it on notifications/cancelled without an answer", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio()
      const listen = stdioRpc("subscriptions/listen", { notifications: { resourcesListChanged: true, promptsListChanged: true } })
      yield* server.send(listen)
      const ack = yield* server.next((message) => message.method === "notifications/subscriptions/acknowledged")
      expect(ack).toEqual({
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { _meta: { "io.modelcontextprotocol/subscriptionId": listen.id }, notifications: { resourcesListChanged: true, promptsListChanged: true } }
      })
      const add = stdioRpc("tools/call", { name: "add_resource", arguments: {} })
      yield* server.send(add)
      expect(yield* server.next((message) => message.method === "notifications/resources/list_changed")).toMatchObject({
        params: { _meta: { "io.modelcontextprotocol/subscriptionId": listen.id } }
      })
      yield* server.next(answerTo(add.id))
      yield* server.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: listen.id, reason: "done" } })
      expect(yield* server.record((record) => record.kind === "subscription-ended")).toMatchObject({ id: listen.id, mode: "client" })
      const prompt = stdioRpc("tools/call", { name: "add_prompt", arguments: { name: "later" } })
      yield* server.send(prompt)
      yield* server.next(answerTo(prompt.id))
      const messages = yield* server.messages
      expect(messages.some((message) => message.method === "notifications/prompts/list_changed")).toBe(false)
      expect(messages.some(answerTo(listen.id))).toBe(false)
    }))

  it.scopedLive("ends a listen with its result or notifications/cancelled when close_subscriptions says so", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio()
      const first = stdioRpc("subscriptions/listen", { notifications: { toolsListChanged: true } })
      yield* server.send(first)
      yield* server.next((message) => message.method === "notifications/subscriptions/acknowledged")
      const close = stdioRpc("tools/call", { name: "close_subscriptions", arguments: {} })
      yield* server.send(close)
      expect(yield* server.next(answerTo(first.id))).toEqual({
        jsonrpc: "2.0",
        id: first.id,
        result: { resultType: "complete", _meta: { "io.modelcontextprotocol/subscriptionId": first.id, ...SERVER_INFO_META } }
      })
      const second = stdioRpc("subscriptions/listen", { notifications: { toolsListChanged: true } })
      yield* server.send(second)
      yield* server.next((message) => message.method === "notifications/subscriptions/acknowledged")
      yield* server.send(stdioRpc("tools/call", { name: "close_subscriptions", arguments: { mode: "cancelled" } }))
      expect(yield* server.next((message) => message.method === "notifications/cancelled")).toMatchObject({ params: { requestId: second.id } })
    }))

  it.scopedLive("stops slow on notifications/cancelled and never answers it", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio()
      const slow = stdioRpc("tools/call", { name: "slow", arguments: { ms: 600_000 }, _meta: meta({}, { progressToken: "t" }) })
      yield* server.send(slow)
      expect(yield* server.next((message) => message.method === "notifications/progress")).toMatchObject({ params: { progressToken: "t", progress: 0 } })
      yield* server.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: slow.id } })
      expect(yield* server.record((record) => record.kind === "cancelled")).toMatchObject({ id: slow.id, via: "notifications/cancelled" })
      const after = stdioRpc("tools/list")
      yield* server.send(after)
      yield* server.next(answerTo(after.id))
      expect((yield* server.messages).some(answerTo(slow.id))).toBe(false)
      // a cancellation of an unknown request is ignored
      yield* server.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "nobody" } })
      expect(yield* server.closeInput).toBe(0)
    }))

  it.scopedLive("with --legacy-too, initialize turns the process legacy for requests without _meta, modern ones still served", () =>
    Effect.gen(function*() {
      const server = yield* server2026Stdio(["--legacy-too"])
      yield* server.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: CLIENT_INFO } })
      expect(yield* server.next(answerTo(1))).toMatchObject({ result: { protocolVersion: "2025-06-18", serverInfo: { name: "server2026" } } })
      yield* server.send({ jsonrpc: "2.0", method: "notifications/initialized" })
      yield* server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "add", arguments: { a: 1, b: 1 } } })
      expect(yield* server.next(answerTo(2))).toEqual({
        jsonrpc: "2.0",
        id: 2,
        result: { content: [{ type: "text", text: "2" }], structuredContent: { sum: 2 }, isError: false }
      })
      const modern = stdioRpc("tools/list")
      yield* server.send(modern)
      expect(yield* server.next(answerTo(modern.id))).toMatchObject({ result: { resultType: "complete" } })
    }))
})
