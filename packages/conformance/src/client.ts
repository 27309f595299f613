#!/usr/bin/env node
/**
 * The client program of the official MCP conformance suite
 * (`@modelcontextprotocol/conformance`), written on the public API of `@effect-mcp/client`.
 *
 * The suite starts a test server for a scenario, then runs this program with the server's URL as
 * the last argument and the scenario's name in `MCP_CONFORMANCE_SCENARIO` (and, for some
 * scenarios, a JSON object in `MCP_CONFORMANCE_CONTEXT`). The program does what the scenario
 * expects of a client and exits 0, or prints what went wrong and exits 1; the suite then judges
 * what it saw on the wire.
 *
 * Every scenario goes through one `McpClient` with one server, `conformance`, as an application
 * would use it. The `auth/*` scenarios configure that server with `oauth` (pre-registered
 * credentials from the context, else a Client ID Metadata Document URL that the client uses when
 * the authorization server supports it, else dynamic registration) and an `Authorizer` that
 * follows the authorization URL without a browser. What a scenario needs that the client cannot
 * do yet (DPoP, enterprise-managed authorization) fails here or in the
 * suite's checks, and the scenario is listed in `expected-failures.yml`.
 *
 * @since 0.1.0
 */
import { McpClient, McpElicitation, McpError, McpOAuth, McpSession } from "@effect-mcp/client"
import type * as McpSchema from "@effect/ai/McpSchema"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/**
 * The user of this program accepts every form as it is offered: the fields take the defaults of
 * the requested schema. URL-mode elicitation is not offered.
 */
const AcceptDefaults = McpElicitation.layer({ form: () => Effect.succeed({ action: "accept", content: {} } as const) })

/**
 * The user of this program authorizes whatever is asked, without a browser: the suite's
 * authorization endpoint answers at once with a redirect, whose `Location` carries the code.
 */
const FollowRedirect = Layer.succeed(McpOAuth.Authorizer, {
  authorize: (request) =>
    Effect.tryPromise({
      try: async () => {
        const response = await fetch(request.url, { redirect: "manual" })
        const location = response.headers.get("location")
        if (location === null) throw new Error(`the authorization endpoint answered HTTP ${response.status} without a redirect`)
        return new URL(location, request.url)
      },
      catch: (error) =>
        new McpError.AuthorizationError({
          server: request.server,
          step: "Authorization",
          detail: error instanceof Error ? error.message : String(error)
        })
    })
})

/** The Client ID Metadata Document URL the suite expects of a client that offers one. */
const CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"

/** The OAuth settings of a scenario: pre-registered credentials come in its context. */
const oauthFor = (scenario: string, context: Readonly<Record<string, unknown>> | undefined): McpOAuth.Input | undefined => {
  if (!scenario.startsWith("auth/")) return undefined
  const text = (key: string) => typeof context?.[key] === "string" ? context[key] as string : undefined
  const base = { redirectUrl: "http://localhost:3000/callback", clientName: "effect-mcp-conformance" }
  const clientId = text("client_id")
  if (scenario === "auth/client-credentials-jwt" && clientId !== undefined) {
    const key = text("private_key_pem")
    return {
      ...base,
      grant: "client_credentials",
      clientId,
      ...(key === undefined ? {} : { privateKey: Redacted.make(key) }),
      signingAlgorithm: text("signing_algorithm") ?? "ES256"
    }
  }
  if (scenario.startsWith("auth/client-credentials") && clientId !== undefined) {
    const secret = text("client_secret")
    return { ...base, grant: "client_credentials", clientId, ...(secret === undefined ? {} : { clientSecret: Redacted.make(secret) }) }
  }
  if (clientId !== undefined) {
    const secret = text("client_secret")
    return { ...base, clientId, ...(secret === undefined ? {} : { clientSecret: Redacted.make(secret) }) }
  }
  return { ...base, clientMetadataUrl: CLIENT_METADATA_URL }
}

/** The one server every scenario talks to. */
const SERVER = "conformance"

/** The context some scenarios pass in `MCP_CONFORMANCE_CONTEXT`, when it is a JSON object. */
const readContext = (text: string | undefined): Readonly<Record<string, unknown>> | undefined => {
  if (text === undefined || text === "") return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value } : undefined
  } catch {
    return undefined
  }
}

const toolNamed = (tools: ReadonlyArray<McpSchema.Tool>, name: string) =>
  Effect.suspend(() => {
    const tool = tools.find((candidate) => candidate.name === name)
    return tool === undefined
      ? Effect.fail(new Error(`the server offers no tool "${name}" (it offers: ${tools.map((t) => t.name).join(", ") || "none"})`))
      : Effect.succeed(tool)
  })

const call = (tool: string, args: Readonly<Record<string, unknown>>) =>
  Effect.flatMap(McpClient.McpClient, (client) => client.callTool(SERVER, tool, args)).pipe(
    Effect.tap((result) => Console.error(`called ${tool}: ${JSON.stringify(result.content)}`))
  )

const listTools = Effect.flatMap(McpClient.McpClient, (client) => client.listTools(SERVER)).pipe(
  Effect.tap((tools) => Console.error(`listed ${tools.length} tool(s): ${tools.map((tool) => tool.name).join(", ")}`))
)

/** Connect (negotiating the revision) and list the tools; then nothing. */
const connectAndList = Effect.asVoid(listTools)

/**
 * Connect, list the tools and call the first one with two numbers (what `tools_call` and, behind
 * authorization, the `auth/*` scenarios expect; a server with no tools is only listed).
 */
const callFirstTool = Effect.gen(function*() {
  const tools = yield* listTools
  const first = tools[0]
  if (first !== undefined) yield* call(first.name, { a: 2, b: 3 })
})

/** Connect, list the tools and call the one named, without arguments. */
const callTool = (name: string) =>
  Effect.gen(function*() {
    const tools = yield* listTools
    const tool = yield* toolNamed(tools, name)
    yield* call(tool.name, {})
  })

/**
 * List the tools and hand the focal tool's `inputSchema`, as the client decoded it, back to the
 * echo tool: the suite diffs it against what it sent, keyword by keyword.
 */
const echoInputSchema = Effect.gen(function*() {
  const tools = yield* listTools
  const focal = yield* toolNamed(tools, "json_schema_2020_12_tool")
  yield* toolNamed(tools, "json_schema_echo")
  yield* call("json_schema_echo", { schema: focal.inputSchema })
})

/** List the tools and call each one the client kept (tools with invalid headers are left out). */
const callEveryTool = Effect.gen(function*() {
  const tools = yield* listTools
  for (const tool of tools) yield* call(tool.name, {})
})

/** Use every kind of request that names something: tools, resources and prompts. */
const useEverything = Effect.gen(function*() {
  const client = yield* McpClient.McpClient
  yield* callFirstTool
  const resources = yield* client.listResources(SERVER)
  const first = resources[0]
  if (first !== undefined) yield* client.readResource(SERVER, first.uri)
  const prompts = yield* client.listPrompts(SERVER)
  const prompt = prompts[0]
  if (prompt !== undefined) yield* client.getPrompt(SERVER, prompt.name)
})

/** The tool calls the scenario's context lists, with their arguments. */
const contextCalls = (context: Readonly<Record<string, unknown>> | undefined) =>
  Effect.gen(function*() {
    yield* listTools
    const calls = Array.isArray(context?.["toolCalls"]) ? context["toolCalls"] : []
    for (const entry of calls) {
      if (typeof entry !== "object" || entry === null || !("name" in entry) || typeof entry.name !== "string") continue
      const args = "arguments" in entry && typeof entry.arguments === "object" && entry.arguments !== null ? entry.arguments : {}
      yield* call(entry.name, { ...args })
    }
  })

/** What each scenario expects of a client; a scenario not listed gets `callFirstTool`. */
const scenarios: Readonly<Record<string, Effect.Effect<void, unknown, McpClient.McpClient>>> = {
  // every tool of the server, each answered with input_required at first: the elicitation
  // handler answers, and the call is sent again with the responses and the state echoed
  "sep-2322-client-request-state": callEveryTool,
  "http-invalid-tool-headers": callEveryTool,
  "http-standard-headers": useEverything,
  initialize: connectAndList,
  tools_call: callFirstTool,
  // the server closes the call's SSE stream after a priming event with `retry:`; the client
  // resumes it with GET and `Last-Event-ID` after that delay and gets the answer there
  "sse-retry": callTool("test_reconnection"),
  // while the call runs, the server asks (on the session's GET stream) for a form whose every
  // property has a `default`; the handler below accepts without filling anything in, and the
  // client fills each field from its default (SEP-1034)
  "elicitation-sep1034-client-defaults": callTool("test_client_elicitation_defaults"),
  "json-schema-2020-12-preservation": echoInputSchema,
  // the schema `$ref`s a network URI that the client must never fetch; only tools/list is served
  "json-schema-ref-no-deref": connectAndList
}

const main = Effect.gen(function*() {
  const url = process.argv.at(-1)
  const scenario = process.env["MCP_CONFORMANCE_SCENARIO"]
  if (url === undefined || process.argv.length < 3 || scenario === undefined || scenario === "") {
    return yield* Effect.fail(new Error("usage: MCP_CONFORMANCE_SCENARIO=<scenario> client.js <server-url>"))
  }
  const context = readContext(process.env["MCP_CONFORMANCE_CONTEXT"])
  const wanted = process.env["MCP_CONFORMANCE_PROTOCOL_VERSION"]
  yield* Console.error(`scenario ${scenario} at ${url}${context === undefined ? "" : ` with context keys ${Object.keys(context).join(", ")}`}`)
  if (wanted !== undefined && !McpSession.supportedProtocolVersions.includes(wanted)) {
    yield* Console.error(
      `protocol ${wanted} was asked for; effect-mcp speaks ${McpSession.supportedProtocolVersions.join(", ")} and offers ${McpSession.supportedProtocolVersions[0]}`
    )
  }
  const run = scenario === "http-custom-headers" ? contextCalls(context) : scenarios[scenario] ?? callFirstTool
  const oauth = oauthFor(scenario, context)
  yield* run.pipe(
    Effect.provide(
      McpClient.layerNode({
        servers: [{ name: SERVER, url, timeout: "20 seconds", ...(oauth === undefined ? {} : { oauth }) }],
        // one round of probes at start is enough: a scenario lasts seconds
        healthInterval: "1 hour",
        clientInfo: { name: "effect-mcp-conformance", version: "0.1.0" }
      }).pipe(Layer.provide(Layer.mergeAll(AcceptDefaults, FollowRedirect, McpOAuth.layerMemory)))
    )
  )
  yield* Console.error(`scenario ${scenario}: done`)
})

// a failure is logged with its cause and the process exits 1
NodeRuntime.runMain(main)
