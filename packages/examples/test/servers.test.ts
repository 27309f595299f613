import { McpClient } from "@effect-mcp/client"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { restaurantReasoning, restaurantSearch, stdioCommand } from "../src/servers.js"

describe("the restaurant servers", () => {
  it.scopedLive("offer the original tools, answer /health, and give meaningful answers", () =>
    Effect.gen(function*() {
      const search = yield* restaurantSearch({ port: 0 })
      const reasoning = yield* restaurantReasoning({ port: 0 })
      const context = yield* Layer.build(McpClient.layerNode({
        servers: [
          { name: "restaurant-search", url: search.url, healthPath: "/health" },
          { name: "restaurant-reasoning", url: reasoning.url, healthPath: "/health" }
        ]
      }))
      const mcp = Context.get(context, McpClient.McpClient)
      const tools = yield* mcp.availableTools
      expect(tools.map((tool) => tool.qualifiedName)).toEqual([
        "restaurant-search__search_restaurants_by_district",
        "restaurant-search__search_restaurants_by_meal_type",
        "restaurant-search__search_restaurants_combined",
        "restaurant-reasoning__recommend_restaurants",
        "restaurant-reasoning__analyze_restaurant_sentiment"
      ])
      expect(tools.every((tool) => tool.tool.annotations?.readOnlyHint === true)).toBe(true)
      const health = yield* mcp.checkAllHealth
      expect([...health.values()].map((state) => state.status)).toEqual(["healthy", "healthy"])

      const found = yield* mcp.callTool("restaurant-search", "search_restaurants_combined", { district: "Central", meal_type: "dinner" })
      const list = found.structuredContent as { count: number; restaurants: Array<{ name: string; district: string }> }
      expect(list.restaurants.map((r) => r.name)).toEqual(["Harbour Lantern", "Lan Kwai Grill"])

      const ranked = yield* mcp.callTool("restaurant-reasoning", "recommend_restaurants", {
        restaurants: list.restaurants,
        preferences: { occasion: "anniversary celebration" },
        limit: 1
      }, { auth: "user-jwt" })
      const top = ranked.structuredContent as { recommendations: Array<{ name: string; reasons: Array<string> }> }
      expect(top.recommendations.map((r) => r.name)).toEqual(["Harbour Lantern"])
      expect(reasoning.authorizations).toContain("Bearer user-jwt")

      const mood = yield* mcp.callTool("restaurant-reasoning", "analyze_restaurant_sentiment", { restaurant_name: "Star Ferry Breakfast Club" })
      expect(mood.structuredContent).toMatchObject({ restaurant: "Star Ferry Breakfast Club", label: "mixed" })

      const unknown = yield* Effect.flip(mcp.callTool("restaurant-search", "search_restaurants_by_district", { district: "Atlantis" }))
      expect(unknown._tag).toBe("ToolCallError")
      expect(unknown.message).toContain(`Unknown district \\"Atlantis\\"`)
    }))

  it.scopedLive("run over stdio as child processes of the client (the built entry points with --stdio)", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(McpClient.layerNode({
        servers: [
          { name: "search", ...stdioCommand("restaurant-search") },
          { name: "reasoning", ...stdioCommand("restaurant-reasoning") }
        ],
        healthInterval: "1 hour"
      }))
      const mcp = Context.get(context, McpClient.McpClient)
      const tools = yield* mcp.availableTools
      expect(tools.map((tool) => tool.qualifiedName)).toEqual([
        "search__search_restaurants_by_district",
        "search__search_restaurants_by_meal_type",
        "search__search_restaurants_combined",
        "reasoning__recommend_restaurants",
        "reasoning__analyze_restaurant_sentiment"
      ])
      const health = yield* mcp.checkAllHealth
      expect([...health.values()].map((state) => state.status)).toEqual(["healthy", "healthy"])

      const found = yield* mcp.callTool("search", "search_restaurants_by_district", { district: "Central" })
      const list = found.structuredContent as { count: number; restaurants: Array<{ name: string }> }
      expect(list.count).toBeGreaterThan(0)
      const ranked = yield* mcp.callTool("reasoning", "recommend_restaurants", { restaurants: list.restaurants, limit: 1 })
      expect((ranked.structuredContent as { recommendations: Array<unknown> }).recommendations).toHaveLength(1)

      const status = yield* mcp.status
      expect(status.map((server) => [server.transport, server.session?.serverInfo?.name])).toEqual([
        ["stdio", "restaurant-search"],
        ["stdio", "restaurant-reasoning"]
      ])
      expect(status[0]?.command).toBe(`${process.execPath} ${stdioCommand("restaurant-search").args.join(" ")}`)
    }))
})
