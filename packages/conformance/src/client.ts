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
 * would use it. What a scenario needs that the client cannot do yet (OAuth, the 2026-07-28
 * revision) fails here or in the suite's checks, and the scenario is listed
 * in `expected-failures.yml`.
 *
 * @since 0.1.0
 */
import { McpClient, McpElicitation, McpSession } from "@effect-mcp/client"
import type * as McpSchema from "@effect/ai/McpSchema"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The user of this program accepts every form as it is offered: the fields take the defaults of
 * the requested schema. URL-mode elicitation is not offered.
 */
const AcceptDefaults = McpElicitation.layer({ form: () => Effect.succeed({ action: "accept", content: {} } as const) })

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

/** Connect (initialize, initialized) and list the tools; then nothing. */
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

/** What each scenario expects of a client; a scenario not listed gets `callFirstTool`. */
const scenarios: Readonly<Record<string, Effect.Effect<void, unknown, McpClient.McpClient>>> = {
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
  const run = scenarios[scenario] ?? callFirstTool
  yield* run.pipe(
    Effect.provide(
      McpClient.layerNode({
        servers: [{ name: SERVER, url, timeout: "20 seconds" }],
        // one round of probes at start is enough: a scenario lasts seconds
        healthInterval: "1 hour",
        clientInfo: { name: "effect-mcp-conformance", version: "0.1.0" }
      }).pipe(Layer.provide(AcceptDefaults))
    )
  )
  yield* Console.error(`scenario ${scenario}: done`)
})

// a failure is logged with its cause and the process exits 1
NodeRuntime.runMain(main)
