/**
 * The original manager's two MCP servers, built with `@effect/ai` `McpServer`:
 * `restaurant-search` and `restaurant-reasoning`. Over HTTP each serves MCP at `/mcp`, answers
 * `GET /health`, and records the `Authorization` headers it receives (so the demo can show that
 * the end user's token arrived). Each also runs over stdio, as a child process of its client
 * (`node dist/main/search.js --stdio`, see `stdioCommand`).
 *
 * @since 0.1.0
 */
import * as McpServer from "@effect/ai/McpServer"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeSink from "@effect/platform-node/NodeSink"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { searchCatalog } from "./catalog.js"
import * as Restaurants from "./restaurants.js"

const RestaurantList = Schema.Struct({
  count: Schema.Number,
  restaurants: Schema.Array(Restaurants.Restaurant)
})

const UnknownDistrict = Schema.Struct({
  error: Schema.String,
  knownDistricts: Schema.Array(Schema.String)
})

const SearchByDistrict = Tool.make("search_restaurants_by_district", {
  description: "Find restaurants in a Hong Kong district, best rated first",
  parameters: { district: Schema.String.annotations({ description: "e.g. Central, Wan Chai, Mong Kok" }) },
  success: RestaurantList,
  failure: UnknownDistrict
}).annotate(Tool.Readonly, true)

const SearchByMealType = Tool.make("search_restaurants_by_meal_type", {
  description: "Find restaurants serving a meal: breakfast, brunch, lunch, dinner or late-night",
  parameters: { meal_type: Restaurants.MealType },
  success: RestaurantList
}).annotate(Tool.Readonly, true)

const SearchCombined = Tool.make("search_restaurants_combined", {
  description: "Find restaurants by any combination of district, meal, budget (1-4) and minimum rating",
  parameters: {
    district: Schema.optional(Schema.String),
    meal_type: Schema.optional(Restaurants.MealType),
    max_price_level: Schema.optional(Schema.Number.pipe(Schema.between(1, 4))),
    min_rating: Schema.optional(Schema.Number.pipe(Schema.between(0, 5)))
  },
  success: RestaurantList,
  failure: UnknownDistrict
}).annotate(Tool.Readonly, true)

const SearchToolkit = Toolkit.make(SearchByDistrict, SearchByMealType, SearchCombined)

const listOf = (restaurants: ReadonlyArray<Restaurants.Restaurant>) => ({ count: restaurants.length, restaurants })

const checkDistrict = (district: string | undefined) =>
  district === undefined || Restaurants.isDistrict(district)
    ? Effect.void
    : Effect.fail({ error: `Unknown district "${district}"`, knownDistricts: Restaurants.districts })

const SearchHandlers = SearchToolkit.toLayer({
  search_restaurants_by_district: ({ district }) =>
    Effect.as(checkDistrict(district), listOf(Restaurants.search({ district }))),
  search_restaurants_by_meal_type: ({ meal_type }) => Effect.succeed(listOf(Restaurants.search({ mealType: meal_type }))),
  search_restaurants_combined: (criteria) =>
    Effect.as(
      checkDistrict(criteria.district),
      listOf(Restaurants.search({
        district: criteria.district,
        mealType: criteria.meal_type,
        maxPriceLevel: criteria.max_price_level,
        minRating: criteria.min_rating
      }))
    )
})

const Recommend = Tool.make("recommend_restaurants", {
  description: "Rank candidate restaurants (e.g. a search result) by rating, review sentiment and preferences",
  parameters: {
    restaurants: Schema.Array(Restaurants.Restaurant),
    preferences: Schema.optional(Schema.Struct({
      max_price_level: Schema.optional(Schema.Number),
      cuisine: Schema.optional(Schema.String),
      occasion: Schema.optional(Schema.String)
    })),
    limit: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(1, 10)))
  },
  success: Schema.Struct({
    recommendations: Schema.Array(Schema.Struct({ name: Schema.String, score: Schema.Number, reasons: Schema.Array(Schema.String) }))
  })
}).annotate(Tool.Readonly, true)

const Sentiment = Tool.make("analyze_restaurant_sentiment", {
  description: "Analyze the sentiment of a restaurant's reviews",
  parameters: { restaurant_name: Schema.String },
  success: Schema.Struct({
    restaurant: Schema.String,
    score: Schema.Number,
    label: Schema.Literal("positive", "mixed", "negative"),
    praised: Schema.Array(Schema.String),
    criticized: Schema.Array(Schema.String),
    reviews: Schema.Number
  }),
  failure: Schema.Struct({ error: Schema.String })
}).annotate(Tool.Readonly, true)

const ReasoningToolkit = Toolkit.make(Recommend, Sentiment)

const ReasoningHandlers = ReasoningToolkit.toLayer({
  recommend_restaurants: ({ limit, preferences, restaurants }) =>
    Effect.succeed({
      recommendations: Restaurants.recommend(restaurants, {
        maxPriceLevel: preferences?.max_price_level,
        cuisine: preferences?.cuisine,
        occasion: preferences?.occasion
      }, limit ?? 3)
    }),
  analyze_restaurant_sentiment: ({ restaurant_name }) => {
    const restaurant = Restaurants.restaurants.find((candidate) => candidate.name.toLowerCase() === restaurant_name.trim().toLowerCase())
    return restaurant === undefined
      ? Effect.fail({ error: `No restaurant named "${restaurant_name}"` })
      : Effect.succeed(Restaurants.sentiment(restaurant))
  }
})

/**
 * A server that is listening.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningServer {
  readonly name: string
  readonly port: number
  /** The MCP endpoint. */
  readonly url: string
  /** Every `Authorization` header received, in order. */
  readonly authorizations: ReadonlyArray<string>
  /** Every `tools/call` received, in order: the tool, its arguments and the `Authorization` header it came with. */
  readonly toolCalls: ReadonlyArray<ToolCallReceived>
}

/**
 * A `tools/call` as a server received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCallReceived {
  readonly tool: string
  readonly arguments: unknown
  readonly authorization: string | undefined
}

/** The tool calls of a POST body (one message or a batch); none when it is not JSON-RPC. */
const toolCallsOf = (body: string, authorization: string | undefined): ReadonlyArray<ToolCallReceived> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return []
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((message: unknown) => {
    if (typeof message !== "object" || message === null || !("method" in message) || message.method !== "tools/call") return []
    const params: unknown = "params" in message ? message.params : undefined
    if (typeof params !== "object" || params === null || !("name" in params) || typeof params.name !== "string") return []
    return [{ tool: params.name, arguments: "arguments" in params ? params.arguments : undefined, authorization }]
  })
}

/**
 * Where to listen; port 0 picks a free one.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  readonly port: number
  readonly host?: string | undefined
}

const serve = (
  name: string,
  tools: Layer.Layer<never, never, McpServer.McpServer>,
  options: ListenOptions
): Effect.Effect<RunningServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const authorizations: Array<string> = []
    const toolCalls: Array<ToolCallReceived> = []
    class Router extends HttpRouter.Tag(`@effect-mcp/examples/${name}`)<Router>() {}
    const health = Router.use((router) => router.get("/health", HttpServerResponse.json({ status: "ok", server: name })))
    const recordAuthorization = HttpMiddleware.make((app) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const authorization = request.headers.authorization
        if (authorization !== undefined) authorizations.push(authorization)
        if (request.method !== "POST") return app
        // the body is read once and kept: the MCP handler reads the same text
        return Effect.zipRight(
          Effect.tap(Effect.orElseSucceed(request.text, () => ""), (body) => {
            toolCalls.push(...toolCallsOf(body, authorization))
          }),
          app
        )
      })
    )
    const host = options.host ?? "127.0.0.1"
    const context = yield* Layer.build(
      Layer.mergeAll(tools, health, Router.serve(recordAuthorization)).pipe(
        Layer.provide(McpServer.layerHttp({ name, version: "1.0.0", path: "/mcp", routerTag: Router })),
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host }))
      )
    ).pipe(Effect.orDie)
    const address = Context.get(context, HttpServer.HttpServer).address
    const port = address._tag === "TcpAddress" ? address.port : options.port
    return { name, port, url: `http://${host}:${port}/mcp`, authorizations, toolCalls }
  })

/**
 * `restaurant-search`: search_restaurants_by_district, search_restaurants_by_meal_type,
 * search_restaurants_combined; the resources and the prompt of `catalog.ts`. Stops when the
 * scope closes.
 *
 * @since 0.1.0
 * @category servers
 */
export const restaurantSearch = (options: ListenOptions): Effect.Effect<RunningServer, never, Scope.Scope> =>
  serve("restaurant-search", toolsOf("restaurant-search"), options)

/**
 * `restaurant-reasoning`: recommend_restaurants, analyze_restaurant_sentiment. Stops when the
 * scope closes.
 *
 * @since 0.1.0
 * @category servers
 */
export const restaurantReasoning = (options: ListenOptions): Effect.Effect<RunningServer, never, Scope.Scope> =>
  serve("restaurant-reasoning", toolsOf("restaurant-reasoning"), options)

/**
 * The name of one of the two servers.
 *
 * @since 0.1.0
 * @category models
 */
export type ServerName = "restaurant-search" | "restaurant-reasoning"

const toolsOf = (name: ServerName): Layer.Layer<never, never, McpServer.McpServer> =>
  name === "restaurant-search"
    ? Layer.merge(McpServer.toolkit(SearchToolkit).pipe(Layer.provide(SearchHandlers)), searchCatalog)
    : McpServer.toolkit(ReasoningToolkit).pipe(Layer.provide(ReasoningHandlers))

/**
 * One server over stdio: MCP messages on this process's stdin and stdout, one JSON object a
 * line, and the log on stderr, since anything else on stdout would corrupt the protocol. Runs
 * until stdin ends or the process is interrupted (`Layer.launch`).
 *
 * @since 0.1.0
 * @category servers
 */
export const layerStdio = (name: ServerName): Layer.Layer<never> =>
  toolsOf(name).pipe(
    Layer.provide(McpServer.layerStdio({ name, version: "1.0.0", stdin: NodeStream.stdin, stdout: NodeSink.stdout })),
    Layer.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true })))
  )

/**
 * How a client starts one server over stdio: this Node (`process.execPath`) and the built entry
 * point with `--stdio`, no shell. Use it as a stdio entry of `McpClient`:
 * `{ name, ...stdioCommand("restaurant-search") }`. The built file must exist (`tsc -b`).
 *
 * @since 0.1.0
 * @category servers
 */
export const stdioCommand = (name: ServerName): { readonly command: string; readonly args: ReadonlyArray<string> } => ({
  command: process.execPath,
  args: [
    // `../dist/main/` from this module: the built entry points whether this module runs built
    // (dist/servers.js) or from source under a test runner (src/servers.ts)
    fileURLToPath(new URL(`../dist/main/${name === "restaurant-search" ? "search" : "reasoning"}.js`, import.meta.url)),
    "--stdio"
  ]
})
