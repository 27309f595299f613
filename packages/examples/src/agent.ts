/**
 * An agent: OpenAI's model answers a question with the tools of the restaurant servers, through
 * `McpToolkit`, calling them with the end user's token. Type-checked with the workspace, never
 * run by the tests or CI (it needs the network and an API key).
 *
 * Start the servers (`pnpm --filter @effect-mcp/examples start:search`, `start:reasoning`), then
 * `OPENAI_API_KEY=… USER_JWT=… node dist/agent.js "Where should we have an anniversary dinner in Central?"`.
 * `OPENAI_MODEL` picks the model (default `gpt-4.1-mini`); the servers' URLs are those of the demo
 * (`RESTAURANT_SEARCH_URL`, `RESTAURANT_REASONING_URL`).
 *
 * @since 0.1.0
 */
import { McpClient, McpToolkit } from "@effect-mcp/client"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

/** The most model turns of one question: each turn may call tools, the last one answers. */
const maxTurns = 6

const system = "You help people choose restaurants in Hong Kong. Use the tools; say which tool gave what."

/**
 * Answers one question for one user: the model calls tools until it answers in text. The toolkit
 * is built again for each turn, so a server's tools/list_changed shows up on the next turn
 * (listing is cached, so this costs nothing otherwise).
 */
const answer = (question: string, userJwt: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    let prompt = Prompt.make([{ role: "system", content: system }, { role: "user", content: question }])
    for (let turn = 0; turn < maxTurns; turn++) {
      const tools = yield* McpToolkit.make()
      const response = yield* LanguageModel.generateText({ prompt, toolkit: tools.withHandler })
      if (response.toolCalls.length === 0) return response.text
      prompt = Prompt.merge(prompt, Prompt.fromResponseParts(response.content))
    }
    return "(no answer within the turn limit)"
  }).pipe(McpToolkit.withAuth(userJwt))

const Mcp = McpClient.layerNode({
  servers: [
    { name: "restaurant-search", url: process.env.RESTAURANT_SEARCH_URL ?? "http://127.0.0.1:8001/mcp", healthPath: "/health" },
    { name: "restaurant-reasoning", url: process.env.RESTAURANT_REASONING_URL ?? "http://127.0.0.1:8002/mcp", healthPath: "/health" }
  ]
})

// MCP tools' schemas are the servers' own, which OpenAI's strict mode would reject (optional
// properties, no `additionalProperties: false`): send them as they are
const Model = OpenAiLanguageModel.layer({ model: process.env.OPENAI_MODEL ?? "gpt-4.1-mini", config: { strict: false } }).pipe(
  Layer.provide(OpenAiClient.layerConfig({ apiKey: Config.redacted("OPENAI_API_KEY") })),
  Layer.provide(NodeHttpClient.layerUndici)
)

const main = Effect.gen(function*() {
  const question = process.argv.slice(2).join(" ") || "Where should we have an anniversary dinner in Central?"
  const jwt = yield* Config.redacted("USER_JWT")
  const text = yield* answer(question, jwt)
  yield* Effect.sync(() => process.stdout.write(`${text}\n`))
})

main.pipe(Effect.provide(Layer.merge(Mcp, Model)), NodeRuntime.runMain)
