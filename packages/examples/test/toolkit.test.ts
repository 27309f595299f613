import { McpClient, McpToolkit } from "@effect-mcp/client"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { restaurantReasoning, restaurantSearch, stdioCommand } from "../src/servers.js"

/** What the scripted model saw on each turn: the tools offered (name and JSON Schema) and the prompt. */
interface Seen {
  readonly tools: ReadonlyArray<{ readonly name: string; readonly parameters: unknown }>
  readonly prompt: Prompt.Prompt
}

/**
 * A language model that answers a prompt whose last message is not a tool result with one call of
 * `tool`, and one whose last message is a tool result with text quoting that result.
 */
const scriptedModel = (tool: string, params: Record<string, unknown>, seen: Array<Seen>) =>
  Layer.effect(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      generateText: (options) =>
        Effect.sync((): Array<Response.PartEncoded> => {
          seen.push({
            tools: options.tools.map((offered) => ({ name: offered.name, parameters: Tool.getJsonSchemaFromSchemaAst(offered.parametersSchema.ast) })),
            prompt: options.prompt
          })
          const last = options.prompt.content.at(-1)
          if (last?.role === "tool") {
            const result = last.content[0]!
            return [{ type: "text", text: `${result.isFailure ? "The tool failed" : "The tool answered"}: ${JSON.stringify(result.result)}` }]
          }
          return [{ type: "tool-call", id: "call-1", name: tool, params }]
        }),
      streamText: () => Stream.dieMessage("the scripted model does not stream")
    })
  )

/** The restaurant servers, and one more whose port is closed, behind a client in the test's scope. */
const setup = Effect.gen(function*() {
  const search = yield* restaurantSearch({ port: 0 })
  const reasoning = yield* restaurantReasoning({ port: 0 })
  const gone = yield* Scope.make()
  const dead = yield* restaurantReasoning({ port: 0 }).pipe(Scope.extend(gone))
  yield* Scope.close(gone, Exit.void)
  const client = yield* Layer.build(McpClient.layerNode({
    servers: [
      { name: "restaurant-search", url: search.url },
      { name: "offline", url: dead.url, retry: { times: 1 } },
      { name: "restaurant-reasoning", url: reasoning.url }
    ]
  }))
  return { search, reasoning, client }
})

/** A user's question in two turns: the model calls a tool, then answers from its result. */
const ask = (question: string) =>
  Effect.gen(function*() {
    const mcp = yield* McpToolkit.make()
    const first = yield* LanguageModel.generateText({ prompt: question, toolkit: mcp.toolkit })
    const history = Prompt.merge(Prompt.make(question), Prompt.fromResponseParts(first.content))
    const second = yield* LanguageModel.generateText({ prompt: history, toolkit: mcp.toolkit })
    return { mcp, first, second }
  })

describe("McpToolkit with a language model", () => {
  it.scopedLive("the model's tool call runs on the server with the user's token, and the model reads the result", () =>
    Effect.gen(function*() {
      const { client, search } = yield* setup
      const seen: Array<Seen> = []
      const model = scriptedModel("restaurant-search__search_restaurants_combined", { district: "Central", meal_type: "dinner" }, seen)
      const { first, mcp, second } = yield* Effect.flatMap(McpToolkit.make(), (built) =>
        ask("Dinner in Central?").pipe(Effect.provide(built.layer))).pipe(
          McpToolkit.withAuth("jwt-alice"),
          Effect.provide(Layer.merge(model, Layer.succeedContext(client)))
        )

      // a dead server's tools are simply absent
      expect(mcp.tools.map((tool) => tool.qualifiedName)).toEqual([
        "restaurant-search__search_restaurants_by_district",
        "restaurant-search__search_restaurants_by_meal_type",
        "restaurant-search__search_restaurants_combined",
        "restaurant-reasoning__recommend_restaurants",
        "restaurant-reasoning__analyze_restaurant_sentiment"
      ])
      // the provider was offered every tool with the server's own inputSchema
      const listed = yield* Effect.flatMap(Effect.provide(McpClient.McpClient, client), (service) => service.listTools("restaurant-search"))
      const combined = listed.find((tool) => tool.name === "search_restaurants_combined")!
      expect(seen[0]!.tools.map((tool) => tool.name)).toEqual(mcp.tools.map((tool) => tool.qualifiedName))
      expect(seen[0]!.tools.find((tool) => tool.name === "restaurant-search__search_restaurants_combined")!.parameters).toEqual(combined.inputSchema)

      // the call ran on the server, with alice's token
      expect(search.authorizations).toContain("Bearer jwt-alice")
      const result = first.toolResults[0]!
      expect(result.isFailure).toBe(false)
      const output = result.result as typeof McpToolkit.Output.Type
      const found = output.structuredContent as { restaurants: ReadonlyArray<{ name: string }> }
      expect(found.restaurants.map((restaurant) => restaurant.name)).toEqual(["Harbour Lantern", "Lan Kwai Grill"])

      // the second turn saw the result and answered with text quoting it
      expect(second.toolCalls).toEqual([])
      expect(second.text.startsWith("The tool answered: ")).toBe(true)
      expect(second.text).toContain("Harbour Lantern")
    }))

  it.scopedLive("an isError result reaches the model as an error result it can read", () =>
    Effect.gen(function*() {
      const { client, search } = yield* setup
      const seen: Array<Seen> = []
      const model = scriptedModel("restaurant-search__search_restaurants_by_district", { district: "Atlantis" }, seen)
      const { first, second } = yield* Effect.flatMap(McpToolkit.make(), (built) => ask("Food in Atlantis?").pipe(Effect.provide(built.layer))).pipe(
        McpToolkit.withAuth("jwt-bob"),
        Effect.provide(Layer.merge(model, Layer.succeedContext(client)))
      )
      expect(search.authorizations).toContain("Bearer jwt-bob")
      const result = first.toolResults[0]!
      expect(result.isFailure).toBe(true)
      expect(result.result).toMatchObject({ isError: true })
      expect((result.result as typeof McpToolkit.ErrorOutput.Type).error).toContain("Unknown district \\\"Atlantis\\\"")
      const toolMessage = seen[1]!.prompt.content.at(-1)!
      expect(toolMessage.role).toBe("tool")
      expect(second.text.startsWith("The tool failed: ")).toBe(true)
      expect(second.text).toContain("Atlantis")
    }))

  it.scopedLive("the handlers need nothing once built: withHandler serves requests of different users, each call with its user's token", () =>
    Effect.gen(function*() {
      const { client, reasoning } = yield* setup
      const built = yield* Effect.provide(McpToolkit.make({ servers: ["restaurant-reasoning"] }), client)
      const turn = (jwt: string, restaurant: string) =>
        LanguageModel.generateText({ prompt: `How is ${restaurant}?`, toolkit: built.withHandler }).pipe(
          McpToolkit.withAuth(jwt),
          Effect.provide(scriptedModel("restaurant-reasoning__analyze_restaurant_sentiment", { restaurant_name: restaurant }, []))
        )
      const users = [["jwt-carol", "Star Ferry Breakfast Club"], ["jwt-dave", "Harbour Lantern"], ["jwt-erin", "Lan Kwai Grill"]] as const
      // interleaved: every turn runs at once, twice over
      const responses = yield* Effect.all([...users, ...users].map(([jwt, restaurant]) => turn(jwt, restaurant)), { concurrency: "unbounded" })
      expect(Object.keys(built.toolkit.tools)).toEqual(["restaurant-reasoning__recommend_restaurants", "restaurant-reasoning__analyze_restaurant_sentiment"])
      for (const response of responses) expect(response.toolResults[0]!.isFailure).toBe(false)
      const calls = reasoning.toolCalls.filter((call) => call.tool === "analyze_restaurant_sentiment")
      expect(calls).toHaveLength(users.length * 2)
      for (const call of calls) {
        const restaurant = (call.arguments as { readonly restaurant_name: string }).restaurant_name
        const user = users.find(([, name]) => name === restaurant)
        expect(call.authorization).toBe(`Bearer ${user![0]}`)
      }
    }))

  it.scopedLive("a toolkit made for a user lists only the chosen servers, in that user's session", () =>
    Effect.gen(function*() {
      const { client, reasoning, search } = yield* setup
      const built = yield* McpToolkit.make({ servers: ["restaurant-search"] }).pipe(
        McpToolkit.withAuth("jwt-frank"),
        Effect.provide(client)
      )
      expect(built.tools.map((tool) => tool.server)).toEqual(["restaurant-search", "restaurant-search", "restaurant-search"])
      // nothing but the listing has run: it reached the chosen server with the user's token, and no other server
      expect(search.toolCalls).toEqual([])
      expect(search.authorizations).toContain("Bearer jwt-frank")
      expect(reasoning.authorizations).toEqual([])
    }))

  it.scopedLive("inside withAuth a stdio server's tools are offered and called without the token, which it has no header to carry", () =>
    Effect.gen(function*() {
      const client = yield* Layer.build(McpClient.layerNode({
        servers: [{ name: "local", ...stdioCommand("restaurant-reasoning") }],
        healthInterval: "1 hour"
      }))
      const model = scriptedModel("local__analyze_restaurant_sentiment", { restaurant_name: "Harbour Lantern" }, [])
      const { built, response } = yield* Effect.gen(function*() {
        const built = yield* McpToolkit.make()
        const response = yield* LanguageModel.generateText({ prompt: "How is Harbour Lantern?", toolkit: built.withHandler })
        return { built, response }
      }).pipe(McpToolkit.withAuth("jwt-grace"), Effect.provide(Layer.merge(model, Layer.succeedContext(client))))
      expect(built.tools.map((tool) => tool.qualifiedName)).toEqual(["local__recommend_restaurants", "local__analyze_restaurant_sentiment"])
      expect(response.toolResults[0]!.isFailure).toBe(false)
    }))
})
