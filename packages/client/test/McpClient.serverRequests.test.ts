import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { McpClient, McpElicitation, McpRoots, McpSampling, type McpServerConfig, type McpSession } from "../src/index.js"
import { childPeer } from "./support/childPeer.js"
import { captureLogs, textOf } from "./support/logs.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"
import { SEP_1034 } from "./support/sep1034.js"

// the package has no entry point to resolve, only its `bin`
const everythingBin = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist/index.js"
)
const everythingHttp = fileURLToPath(new URL("./fixtures/everythingHttp.mjs", import.meta.url))
const askingServer = fileURLToPath(new URL("./fixtures/askingServer.mjs", import.meta.url))
const effectAskingServer = fileURLToPath(new URL("./fixtures/effectAskingServer.mjs", import.meta.url))

type Transport = "stdio" | "http"
type Handlers = McpSampling.McpSampling | McpElicitation.McpElicitation | McpRoots.McpRoots

const everything = (transport: Transport) =>
  transport === "stdio"
    ? Effect.succeed<McpServerConfig.Input>({ name: "everything", command: process.execPath, args: [everythingBin, "stdio"] })
    : Effect.map(childPeer(everythingHttp), ({ url }): McpServerConfig.Input => ({ name: "everything", url }))

const asking = (transport: Transport) =>
  transport === "stdio"
    ? Effect.succeed<McpServerConfig.Input>({ name: "asking", command: process.execPath, args: [askingServer] })
    : Effect.map(childPeer(askingServer, ["--http"]), ({ url }): McpServerConfig.Input => ({ name: "asking", url }))

const client = (server: McpServerConfig.Input, handlers: Layer.Layer<Handlers> | Layer.Layer<never> = Layer.empty) =>
  Effect.map(
    Layer.build(McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }).pipe(Layer.provide(handlers))),
    (context) => Context.get(context, McpClient.McpClient)
  )

const texts = (result: { readonly content: ReadonlyArray<unknown> }): ReadonlyArray<string> =>
  result.content.flatMap((block) => typeof block === "object" && block !== null && "text" in block ? [String(block.text)] : [])

/** What the asking server's `ask` tool got back: the client's result or its JSON-RPC error. */
const ask = (mcp: McpClient.Service, method: string, params?: unknown, unrelated = false) =>
  Effect.map(
    mcp.callTool("asking", "ask", { method, ...(params === undefined ? {} : { params }), unrelated }),
    (result) => JSON.parse(texts(result)[0]!) as { readonly result?: Record<string, unknown>; readonly error?: { readonly code: number; readonly message: string } }
  )

const clientSide = (mcp: McpClient.Service) =>
  Effect.map(
    mcp.callTool("asking", "client", {}),
    (result) => JSON.parse(texts(result)[0]!) as { readonly capabilities: Record<string, unknown>; readonly rootsListChanged: number }
  )

const sampled = (text: string): McpSampling.CreateMessageResult => ({
  role: "assistant",
  content: { type: "text", text },
  model: "test-model",
  stopReason: "endTurn"
})

const firstText = (request: McpSampling.CreateMessageRequest): string => {
  const content = request.messages[0]?.content
  const block = Array.isArray(content) ? content[0] : content
  return block !== undefined && "text" in block ? block.text : ""
}

const transports: ReadonlyArray<Transport> = ["stdio", "http"]

describe.each(transports)("server requests from server-everything (%s)", (transport) => {
  const conditionalTools = ["get-roots-list", "trigger-elicitation-request", "trigger-url-elicitation", "trigger-sampling-request"]

  it.scopedLive("announces sampling, elicitation and roots only when their handlers are provided", () =>
    Effect.gen(function*() {
      const bare = yield* client(yield* everything(transport))
      const offered = (yield* bare.listTools("everything")).map((tool) => tool.name)
      for (const name of conditionalTools) expect(offered).not.toContain(name)
      const handlers = Layer.mergeAll(
        McpSampling.layer(() => Effect.succeed(sampled("unused"))),
        McpElicitation.layer({ form: () => Effect.succeed({ action: "decline" }), url: () => Effect.succeed({ action: "decline" }) }),
        McpRoots.layer([])
      )
      const equipped = yield* client(yield* everything(transport), handlers)
      const all = (yield* equipped.listTools("everything")).map((tool) => tool.name)
      for (const name of conditionalTools) expect(all).toContain(name)
    }))

  it.scopedLive("a sampling result reaches the tool, and the handler learns which server and which tool asked", () =>
    Effect.gen(function*() {
      const asked: Array<{ readonly request: McpSampling.CreateMessageRequest; readonly context: McpSession.ServerRequestContext }> = []
      const sampling = McpSampling.layer((request, context) =>
        Effect.sync(() => {
          asked.push({ request, context })
          return sampled(`echo of ${firstText(request)}`)
        })
      )
      const mcp = yield* client(yield* everything(transport), sampling)
      const result = yield* mcp.callTool("everything", "trigger-sampling-request", { prompt: "the capital of France?", maxTokens: 7 })
      const text = texts(result).join("\n")
      expect(text).toContain("echo of Resource trigger-sampling-request context: the capital of France?")
      expect(text).toContain(`"model": "test-model"`)
      expect(asked).toHaveLength(1)
      expect(asked[0]!.request.maxTokens).toBe(7)
      expect(asked[0]!.request.systemPrompt).toBe("You are a helpful test server.")
      expect(asked[0]!.context).toEqual({ server: "everything", method: "tools/call", tool: "trigger-sampling-request" })
    }))

  it.scopedLive("an accepted form gets the requested schema's defaults for the fields the handler left out", () =>
    Effect.gen(function*() {
      const forms: Array<McpElicitation.FormRequest> = []
      const elicitation = McpElicitation.layer({
        form: (request) => Effect.sync(() => (forms.push(request), { action: "accept", content: { name: "Ada", check: true } }))
      })
      const mcp = yield* client(yield* everything(transport), elicitation)
      const result = yield* mcp.callTool("everything", "trigger-elicitation-request", {})
      const raw = texts(result).find((text) => text.includes("Raw result:"))!
      const sent = JSON.parse(raw.slice(raw.indexOf("{"))) as { action: string; content: Record<string, unknown> }
      expect(sent.action).toBe("accept")
      expect(sent.content).toEqual({
        name: "Ada",
        check: true,
        firstLine: "It was a dark and stormy night.",
        integer: 42,
        number: 3.14,
        untitledSingleSelectEnum: "Monica",
        untitledMultipleSelectEnum: ["Guitar"],
        titledSingleSelectEnum: "hero-1",
        titledMultipleSelectEnum: ["fish-1"],
        legacyTitledEnum: "pet-1"
      })
      expect(forms[0]?.requestedSchema.required).toEqual(["name"])
      expect(forms[0]?.requestedSchema.properties.email).toEqual({
        type: "string",
        title: "String with email format",
        format: "email",
        description: "Your email address (will be verified, and never shared with anyone else)"
      })
    }))

  it.scopedLive("an answer outside the requested schema is refused locally, named in a log line; the call completes", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      yield* Effect.gen(function*() {
        const elicitation = McpElicitation.layer({
          form: () => Effect.succeed({ action: "accept", content: { name: "Ada", integer: 500, email: "ada-at-example" } })
        })
        const mcp = yield* client(yield* everything(transport), elicitation)
        const error = yield* failureOf(mcp.callTool("everything", "trigger-elicitation-request", {}))
        expect(error._tag).toBe("ToolCallError")
        const said = error._tag === "ToolCallError" ? texts(error).join("\n") : ""
        expect(said).toContain("-32603")
        expect(said).toContain(`field "integer" must be at most 100`)
        expect(said).not.toContain("ada-at-example")
        const warning = logs.lines.find((line) => line.level === "WARN" && textOf(line).includes("elicitation/create was not sent"))
        expect(warning === undefined ? "" : textOf(warning)).toContain(`field "email" must be an email address`)
        expect(warning?.annotations).toMatchObject({ server: "everything", method: "elicitation/create", tool: "trigger-elicitation-request" })
        const echo = yield* mcp.callTool("everything", "echo", { message: "still here" })
        expect(texts(echo).join()).toContain("still here")
      }).pipe(Effect.provide(logs.layer))
    }))

  it.scopedLive("URL mode: the handler gets the URL to show, the server gets only the action", () =>
    Effect.gen(function*() {
      const urls: Array<McpElicitation.UrlRequest> = []
      const elicitation = McpElicitation.layer({
        url: (request) => Effect.sync(() => (urls.push(request), { action: "accept" }))
      })
      const mcp = yield* client(yield* everything(transport), elicitation)
      const result = yield* mcp.callTool("everything", "trigger-url-elicitation", { url: "https://example.com/connect", elicitationId: "e-1" })
      expect(texts(result).join("\n")).toContain("User completed the URL elicitation flow")
      expect(urls).toEqual([{ mode: "url", message: "Please open the link to complete this action.", url: "https://example.com/connect", elicitationId: "e-1" }])
    }))

  it.scopedLive("a failing handler is answered -32603 and logged; the call still completes and the next one works", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      yield* Effect.gen(function*() {
        let calls = 0
        const sampling = McpSampling.layer(() =>
          ++calls === 1 ? Effect.fail(new Error("the model is down")) : calls === 2 ? Effect.die("a bug") : Effect.succeed(sampled("fine"))
        )
        const mcp = yield* client(yield* everything(transport), sampling)
        for (let i = 0; i < 2; i++) {
          const error = yield* failureOf(mcp.callTool("everything", "trigger-sampling-request", { prompt: "x" }))
          expect(error._tag === "ToolCallError" ? texts(error).join() : error.message).toContain("-32603")
        }
        const result = yield* mcp.callTool("everything", "trigger-sampling-request", { prompt: "x" })
        expect(texts(result).join()).toContain("fine")
        const failures = logs.lines.filter((line) => line.level === "WARN" && textOf(line) === "a server request's handler failed")
        expect(failures).toHaveLength(2)
        expect(failures[0]?.annotations).toMatchObject({ server: "everything", method: "sampling/createMessage" })
      }).pipe(Effect.provide(logs.layer))
    }))

  it.scopedLive("roots are listed, and a change makes the server ask again", () =>
    Effect.gen(function*() {
      const roots = yield* McpRoots.make([{ uri: "file:///srv/one", name: "one" }])
      const mcp = yield* client(yield* everything(transport), Layer.succeed(McpRoots.McpRoots, roots))
      const listed = mcp.callTool("everything", "get-roots-list", {}).pipe(Effect.map((result) => texts(result).join()))
      const first = yield* eventuallyValue(listed, (text) => text.includes("Current MCP Roots"))
      expect(first).toContain("Current MCP Roots (1 total)")
      expect(first).toContain("URI: file:///srv/one")
      yield* SubscriptionRef.set(roots.roots, [{ uri: "file:///srv/one", name: "one" }, { uri: "file:///srv/two" }])
      const second = yield* eventuallyValue(listed, (text) => text.includes("(2 total)"))
      expect(second).toContain("URI: file:///srv/two")
    }))
})

describe.each(transports)("server requests from an SDK server (%s)", (transport) => {
  it.scopedLive("without handlers, nothing is announced and every request is answered -32601", () =>
    Effect.gen(function*() {
      const mcp = yield* client(yield* asking(transport))
      expect((yield* clientSide(mcp)).capabilities).toEqual({})
      for (const method of ["sampling/createMessage", "elicitation/create", "roots/list"]) {
        expect((yield* ask(mcp, method, {})).error?.code).toBe(-32601)
      }
      expect((yield* ask(mcp, "ping")).result).toEqual({})
    }))

  it.scopedLive("announces exactly the handlers given", () =>
    Effect.gen(function*() {
      const handlers = Layer.mergeAll(
        McpSampling.layer(() => Effect.succeed(sampled("x")), { tools: true }),
        McpElicitation.layer({ form: () => Effect.succeed({ action: "cancel" }) }),
        McpRoots.layer([])
      )
      const mcp = yield* client(yield* asking(transport), handlers)
      expect((yield* clientSide(mcp)).capabilities).toEqual({
        sampling: { tools: {} },
        elicitation: { form: {} },
        roots: { listChanged: true }
      })
      const urlOnly = yield* client(yield* asking(transport), McpElicitation.layer({ url: () => Effect.succeed({ action: "cancel" }) }))
      expect((yield* clientSide(urlOnly)).capabilities).toEqual({ elicitation: { url: {} } })
    }))

  it.scopedLive("the conformance scenario of SEP-1034: an empty accepted form is sent with every default", () =>
    Effect.gen(function*() {
      const mcp = yield* client(yield* asking(transport), McpElicitation.layer({ form: () => Effect.succeed({ action: "accept", content: {} }) }))
      const answer = yield* ask(mcp, "elicitation/create", { message: "please accept with defaults", requestedSchema: SEP_1034 })
      expect(answer.result).toEqual({
        action: "accept",
        content: { name: "John Doe", age: 30, score: 95.5, status: "active", verified: true }
      })
    }))

  it.scopedLive("a malformed request is answered -32602 and never reaches a handler", () =>
    Effect.gen(function*() {
      let ran = 0
      const handlers = Layer.mergeAll(
        McpSampling.layer(() => Effect.sync(() => (ran++, sampled("x")))),
        McpElicitation.layer({ form: () => Effect.sync(() => (ran++, { action: "cancel" as const })) })
      )
      const mcp = yield* client(yield* asking(transport), handlers)
      const user = (text: string) => ({ role: "user", content: { type: "text", text } })
      const cases: ReadonlyArray<readonly [string, unknown, string]> = [
        ["sampling/createMessage", { messages: [user("no maxTokens")] }, "Invalid sampling request"],
        ["sampling/createMessage", {
          messages: [
            user("weather?"),
            { role: "assistant", content: [{ type: "tool_use", id: "c1", name: "weather", input: {} }] },
            { role: "user", content: [{ type: "tool_result", toolUseId: "c1", content: [] }, { type: "text", text: "and" }] }
          ],
          maxTokens: 10
        }, "Tool results mixed with other content"],
        ["sampling/createMessage", {
          messages: [user("weather?"), { role: "assistant", content: [{ type: "tool_use", id: "c1", name: "weather", input: {} }] }, user("so?")],
          maxTokens: 10
        }, "Tool result missing in request"],
        ["elicitation/create", { mode: "url", message: "go", url: "https://example.com", elicitationId: "e" }, "does not support URL-mode"],
        ["elicitation/create", { message: "nested", requestedSchema: { type: "object", properties: { a: { type: "object" } } } }, "Invalid requested schema"],
        ["elicitation/create", { mode: "telepathy", message: "hm" }, "Unknown elicitation mode"],
        ["elicitation/create", { message: "no schema" }, "Invalid form elicitation request"]
      ]
      for (const [method, params, says] of cases) {
        const { error } = yield* ask(mcp, method, params)
        expect(error?.code, says).toBe(-32602)
        expect(error?.message).toContain(says)
      }
      expect(ran).toBe(0)
    }))

  it.scopedLive("SamplingRejected is answered -1 with its message; an invalid result is never sent", () =>
    Effect.gen(function*() {
      let call = 0
      const sampling = McpSampling.layer(() =>
        ++call === 1
          ? Effect.fail(new McpSampling.SamplingRejected({}))
          // the handler escapes its types: the result is checked before it is sent
          : Effect.succeed(
            JSON.parse(`{"role":"robot","content":{"type":"text","text":"the user's secret answer"},"model":"m"}`) as McpSampling.CreateMessageResult
          )
      )
      const mcp = yield* client(yield* asking(transport), sampling)
      const params = { messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 }
      const rejected = (yield* ask(mcp, "sampling/createMessage", params)).error
      expect(rejected?.code).toBe(-1)
      expect(rejected?.message).toContain("User rejected sampling request")
      const invalid = (yield* ask(mcp, "sampling/createMessage", params)).error
      expect(invalid?.code).toBe(-32603)
      expect(invalid?.message).toContain("does not match CreateMessageResult: role has the wrong type")
      // what the application wrote is its own: the server learns where the answer is wrong, not what it said
      expect(invalid?.message).not.toContain("robot")
      expect(invalid?.message).not.toContain("secret answer")
    }))

  it.scopedLive("roots/list answers the current roots; a change reaches every open session once", () =>
    Effect.gen(function*() {
      const roots = yield* McpRoots.make([{ uri: "file:///srv/a", name: "a" }])
      const mcp = yield* client(yield* asking(transport), Layer.succeed(McpRoots.McpRoots, roots))
      expect((yield* ask(mcp, "roots/list")).result).toEqual({ roots: [{ uri: "file:///srv/a", name: "a" }] })
      expect((yield* clientSide(mcp)).rootsListChanged).toBe(0)
      // an HTTP server holds one session per bearer token: both are told
      const sessions = transport === "http" ? 2 : 1
      if (transport === "http") yield* mcp.callTool("asking", "client", {}, { auth: "user-token" })
      yield* SubscriptionRef.set(roots.roots, [{ uri: "file:///srv/b" }])
      yield* eventuallyValue(clientSide(mcp), (side) => side.rootsListChanged === sessions)
      expect((yield* ask(mcp, "roots/list")).result).toEqual({ roots: [{ uri: "file:///srv/b" }] })
      yield* SubscriptionRef.set(roots.roots, [{ uri: "https://example.com/not-a-file" }])
      const refused = (yield* ask(mcp, "roots/list")).error
      expect(refused?.code).toBe(-32603)
      expect(refused?.message).toContain("root 1 of 1 is not a file:// URI")
      expect(refused?.message).not.toContain("example.com")
    }))

  it.scopedLive("a handler still waiting when the client closes is interrupted; closing does not wait for it", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const sampling = McpSampling.layer(() =>
        Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
      )
      const scope = yield* Scope.make()
      const mcp = yield* Scope.extend(client(yield* asking(transport), sampling), scope)
      const call = yield* Effect.fork(ask(mcp, "sampling/createMessage", { messages: [], maxTokens: 1 }))
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      yield* Deferred.await(interrupted)
      expect(Exit.isSuccess(yield* Fiber.await(call))).toBe(false)
    }))
})

describe("where a server request comes from", () => {
  it.scopedLive("HTTP: a request on the GET stream is answered, and belongs to no request of the client", () =>
    Effect.gen(function*() {
      const contexts: Array<McpSession.ServerRequestContext> = []
      const handlers = Layer.mergeAll(
        McpSampling.layer((_, context) => Effect.sync(() => (contexts.push(context), sampled("from the side")))),
        McpRoots.layer([{ uri: "file:///srv/side" }])
      )
      const mcp = yield* client(yield* asking("http"), handlers)
      expect((yield* ask(mcp, "roots/list", undefined, true)).result).toEqual({ roots: [{ uri: "file:///srv/side" }] })
      const params = { messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 }
      expect((yield* ask(mcp, "sampling/createMessage", params, true)).result?.model).toBe("test-model")
      yield* ask(mcp, "sampling/createMessage", params)
      expect(contexts).toEqual([
        { server: "asking", method: undefined, tool: undefined },
        { server: "asking", method: "tools/call", tool: "ask" }
      ])
    }))

  it.scopedLive("HTTP: the handler learns whose session the server asked in (its bearer token), so it can tell end users apart", () =>
    Effect.gen(function*() {
      const asked: Array<{ readonly prompt: string; readonly auth: string | undefined }> = []
      const sampling = McpSampling.layer((request, context) =>
        Effect.sync(() => {
          asked.push({ prompt: firstText(request), auth: context.auth === undefined ? undefined : Redacted.value(context.auth) })
          return sampled("ok")
        })
      )
      const mcp = yield* client(yield* everything("http"), sampling)
      const ask = (prompt: string, auth?: string) =>
        mcp.callTool("everything", "trigger-sampling-request", { prompt, maxTokens: 5 }, auth === undefined ? {} : { auth })
      yield* Effect.all([ask("for alice", "alice-jwt"), ask("for bob", "bob-jwt"), ask("for nobody")], { concurrency: "unbounded" })
      const whose = (fragment: string) => asked.find((entry) => entry.prompt.includes(fragment))?.auth
      expect(asked).toHaveLength(3)
      expect(whose("for alice")).toBe("alice-jwt")
      expect(whose("for bob")).toBe("bob-jwt")
      expect(whose("for nobody")).toBeUndefined()
    }))

  it.scopedLive("stdio: a request is tied to the tool call in flight only when there is exactly one", () =>
    Effect.gen(function*() {
      const contexts: Array<McpSession.ServerRequestContext> = []
      const release = yield* Deferred.make<void>()
      const sampling = McpSampling.layer((_, context) =>
        Effect.sync(() => contexts.push(context)).pipe(Effect.zipRight(Deferred.await(release)), Effect.as(sampled("ok")))
      )
      const mcp = yield* client(yield* asking("stdio"), sampling)
      const params = { messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 }
      const first = yield* Effect.fork(ask(mcp, "sampling/createMessage", params))
      yield* eventually(() => contexts.length === 1, "the first request")
      const second = yield* Effect.fork(ask(mcp, "sampling/createMessage", params))
      yield* eventually(() => contexts.length === 2, "the second request")
      yield* Deferred.succeed(release, undefined)
      expect((yield* Fiber.join(first)).result?.model).toBe("test-model")
      expect((yield* Fiber.join(second)).result?.model).toBe("test-model")
      expect(contexts).toEqual([
        { server: "asking", method: "tools/call", tool: "ask" },
        { server: "asking", method: undefined, tool: undefined }
      ])
    }))
})

describe("server requests from an @effect/ai McpServer (stdio)", () => {
  it.scopedLive("McpServer.elicit gets the form's defaults and decodes the answer", () =>
    Effect.gen(function*() {
      const forms: Array<McpElicitation.FormRequest> = []
      const elicitation = McpElicitation.layer({
        form: (request) => Effect.sync(() => (forms.push(request), { action: "accept", content: { name: "Ada" } }))
      })
      const mcp = yield* client({ name: "effect", command: process.execPath, args: [effectAskingServer] }, elicitation)
      const result = yield* mcp.callTool("effect", "sign_up", {})
      expect(result.structuredContent).toEqual({ signedUp: "Ada on free" })
      expect(forms[0]?.message).toBe("Who are you?")
      expect(forms[0]?.requestedSchema.properties.plan).toMatchObject({ type: "string", enum: ["free", "pro"], default: "free" })
      expect(forms[0]?.requestedSchema.required).toEqual(["name", "plan"])
    }))
})
