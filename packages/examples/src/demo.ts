/**
 * The effect-mcp demo: both restaurant servers on loopback, `McpClient.layerNode` with the
 * original manager's configuration plus `restaurant-search-stdio` (the search server again, over
 * stdio, started by the client as a child process), and a walk through inventory, a search
 * feeding a recommendation (with the end user's token), a call over stdio, health, a fault,
 * recovery and a clean shutdown.
 *
 * The servers' settings are the original's (30 s timeout, 3 attempts from 1 s to 10 s, /health);
 * the health interval is 5 s rather than 30 s so that recovery shows within the minute.
 * `--fast` (or `DEMO_FAST=1`) shortens the retry delays and the health interval, for CI.
 * Ports: `SEARCH_PORT` (8001) and `REASONING_PORT` (8002), 0 for any free port. The client's URLs:
 * `RESTAURANT_SEARCH_URL` and `RESTAURANT_REASONING_URL`, by default those servers on 127.0.0.1.
 */
import { McpClient, type McpError, type McpHealth } from "@effect-mcp/client"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { relative } from "node:path"
import { restaurantReasoning, restaurantSearch, stdioCommand } from "./servers.js"
import * as T from "./terminal.js"

const say = (text: string) => Effect.sync(() => process.stdout.write(`${text}\n`))

interface Found {
  readonly count: number
  readonly restaurants: ReadonlyArray<{ readonly name: string; readonly rating: number; readonly district: string }>
}

interface Ranked {
  readonly recommendations: ReadonlyArray<{ readonly name: string; readonly score: number; readonly reasons: ReadonlyArray<string> }>
}

const healthTable = (states: ReadonlyMap<string, McpHealth.ServerHealth>) =>
  T.table(
    ["server", "status", "latency", "failures", "circuit", "last check", "error"],
    [...states.values()].map((state) => [
      state.server,
      T.status(state.status),
      state.responseTimeMs === undefined ? "-" : `${state.responseTimeMs} ms`,
      String(state.consecutiveFailures),
      state.circuit,
      state.lastCheck === undefined ? "-" : DateTime.formatIso(state.lastCheck).slice(11, 23),
      state.error === undefined ? "" : T.dim(state.error.length > 60 ? `${state.error.slice(0, 60)}…` : state.error)
    ])
  )

const masked = (authorization: string) => authorization.replace(/^(Bearer \S{6})\S*/, "$1…")

/** Waits until `server`'s health passes `until`, driven by the client's own health fiber. */
const awaitHealth = (mcp: McpClient.Service, server: string, until: (state: McpHealth.ServerHealth) => boolean) =>
  mcp.health.changes.pipe(
    Stream.filter((states) => {
      const state = states.get(server)
      return state !== undefined && until(state)
    }),
    Stream.runHead
  )

const program = Effect.gen(function*() {
  const fast = process.argv.includes("--fast") || (yield* Config.boolean("DEMO_FAST").pipe(Config.withDefault(false)))
  const searchPort = yield* Config.integer("SEARCH_PORT").pipe(Config.withDefault(8001))
  const reasoningPort = yield* Config.integer("REASONING_PORT").pipe(Config.withDefault(8002))
  const token = Redacted.make("demo-user.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl")

  yield* say(T.bold(`effect-mcp demo${fast ? " (fast mode)" : ""}`))
  yield* say(T.heading(1, "Starting the two restaurant MCP servers on loopback (and one over stdio)"))
  const search = yield* restaurantSearch({ port: searchPort })
  const reasoningScope = yield* Scope.make()
  const reasoning = yield* restaurantReasoning({ port: reasoningPort }).pipe(Scope.extend(reasoningScope))
  const searchUrl = yield* Config.string("RESTAURANT_SEARCH_URL").pipe(Config.withDefault(search.url))
  const reasoningUrl = yield* Config.string("RESTAURANT_REASONING_URL").pipe(Config.withDefault(reasoning.url))
  const stdio = stdioCommand("restaurant-search")
  // shown relative to the working directory, to keep the row short; the client runs the absolute path
  const shownCommand = ["node", ...stdio.args.map((arg) => arg.startsWith("/") ? relative(process.cwd(), arg) : arg)].join(" ")
  yield* say(T.table(["server", "MCP endpoint", "health"], [
    [search.name, searchUrl, `http://127.0.0.1:${search.port}/health`],
    [reasoning.name, reasoningUrl, `http://127.0.0.1:${reasoning.port}/health`],
    ["restaurant-search-stdio", `stdio: ${shownCommand}`, "MCP ping"]
  ]))
  yield* say(T.dim("  restaurant-search-stdio is started by the client itself, as a child process, when first used"))

  const retry = fast
    ? { times: 3, base: Duration.millis(100), max: Duration.millis(400) }
    : { times: 3, base: Duration.seconds(1), max: Duration.seconds(10) }
  const clientScope = yield* Scope.make()
  const context = yield* Layer.build(McpClient.layerNode({
    servers: [
      {
        name: "restaurant-search",
        url: searchUrl,
        timeout: "30 seconds",
        retry,
        healthPath: "/health",
        tools: ["search_restaurants_by_district", "search_restaurants_by_meal_type", "search_restaurants_combined"]
      },
      {
        name: "restaurant-reasoning",
        url: reasoningUrl,
        timeout: "30 seconds",
        retry,
        healthPath: "/health",
        tools: ["recommend_restaurants", "analyze_restaurant_sentiment"]
      },
      {
        // the same search server over stdio: this Node and the built entry point, never a shell
        name: "restaurant-search-stdio",
        ...stdio,
        timeout: "30 seconds",
        retry,
        tools: ["search_restaurants_by_district", "search_restaurants_by_meal_type", "search_restaurants_combined"]
      }
    ],
    healthInterval: fast ? "300 millis" : "5 seconds",
    circuitResetAfter: "1 minute"
  })).pipe(Scope.extend(clientScope))
  const mcp = Context.get(context, McpClient.McpClient)

  yield* say(T.heading(2, "Inventory: tools, resources, prompts (McpClient.availableTools, availableResources, availablePrompts)"))
  const tools = yield* mcp.availableTools
  yield* say(T.table(["qualified name", "description", "hints"], tools.map((tool) => [
    tool.qualifiedName,
    tool.tool.description ?? "",
    tool.tool.annotations?.readOnlyHint === true ? T.green("read-only") : T.yellow("may write")
  ])))

  // besides tools: restaurant-search also offers resources and a prompt, with completion
  const resources = yield* mcp.availableResources
  const prompts = yield* mcp.availablePrompts
  const suggested = yield* mcp.complete("restaurant-search", { type: "ref/prompt", name: "plan_dinner" }, { name: "district", value: "C" })
  yield* say(`  resources: ${resources.map((resource) => `${resource.qualifiedName} (${resource.uri})`).join(", ")}`)
  yield* say(`  prompts: ${
    prompts.map((prompt) => `${prompt.qualifiedName}(${(prompt.prompt.arguments ?? []).map((argument) => argument.name).join(", ")})`).join(", ")
  }`)
  yield* say(`  completion of plan_dinner's district from "C": ${suggested.completion.values.join(", ")}`)

  yield* say(T.heading(3, "A search, then a recommendation built on its result, as the end user"))
  const criteria = { district: "Central", meal_type: "dinner" }
  yield* say(`  → restaurant-search.search_restaurants_combined ${JSON.stringify(criteria)}`)
  const found = (yield* mcp.callTool("restaurant-search", "search_restaurants_combined", criteria, { auth: token }))
    .structuredContent as Found
  yield* say(`    found ${found.count}: ${found.restaurants.map((r) => `${r.name} (${r.rating})`).join(", ")}`)
  yield* say(`  → restaurant-reasoning.recommend_restaurants with those ${found.count} restaurants, for an anniversary`)
  const ranked = (yield* mcp.callTool("restaurant-reasoning", "recommend_restaurants", {
    restaurants: found.restaurants,
    preferences: { occasion: "anniversary celebration" },
    limit: 2
  }, { auth: token })).structuredContent as Ranked
  for (const [i, pick] of ranked.recommendations.entries()) {
    yield* say(`    ${i + 1}. ${T.bold(pick.name)} ${T.dim(`score ${pick.score}`)} — ${pick.reasons.join("; ")}`)
  }
  const received = reasoning.authorizations.at(-1)
  yield* say(`  token forwarded: restaurant-reasoning received ${T.green(`Authorization: ${received === undefined ? "(none)" : masked(received)}`)}`)
  yield* say(`  → restaurant-search-stdio.search_restaurants_by_meal_type {"meal_type":"breakfast"} over stdio`)
  const breakfast = (yield* mcp.callTool("restaurant-search-stdio", "search_restaurants_by_meal_type", { meal_type: "breakfast" }))
    .structuredContent as Found
  yield* say(`    ${T.green("✓")} found ${breakfast.count}: ${breakfast.restaurants.map((r) => r.name).join(", ")}`)
  // a child process has no Authorization header to carry the token: the client refuses rather than drop it
  const refused = yield* Effect.flip(
    mcp.callTool("restaurant-search-stdio", "search_restaurants_by_meal_type", { meal_type: "breakfast" }, { auth: token })
  )
  yield* say(`    with the end user's token it is refused, nothing sent: ${T.bold(refused._tag)}: ${refused.message}`)

  yield* say(T.heading(4, "Health (probes: GET /health over HTTP, MCP ping over stdio)"))
  yield* say(healthTable(yield* mcp.checkAllHealth))

  yield* say(T.heading(5, "Fault: restaurant-reasoning stops"))
  yield* Scope.close(reasoningScope, Exit.void)
  yield* say(`  restaurant-reasoning is down; calling recommend_restaurants (safe to retry: read-only)`)
  const failure = yield* Effect.flip(mcp.callTool("restaurant-reasoning", "recommend_restaurants", { restaurants: found.restaurants }, { auth: token }))
  yield* say(`  ${T.red("✗")} typed error ${T.bold(failure._tag)}${describeReason(failure)}: ${failure.message}`)
  yield* awaitHealth(mcp, "restaurant-reasoning", (state) => state.circuit === "open")
  yield* say(`  the health fiber keeps probing; after 5 consecutive failures the circuit is open:`)
  yield* say(healthTable(yield* mcp.health.get))
  const fastFailure = yield* Effect.flip(mcp.callTool("restaurant-reasoning", "analyze_restaurant_sentiment", { restaurant_name: "Harbour Lantern" }, { auth: token }))
  yield* say(`  ${T.red("✗")} now calls fail fast with ${T.bold(fastFailure._tag)}: ${fastFailure.message}`)
  const still = (yield* mcp.callTool("restaurant-search", "search_restaurants_by_district", { district: "Wan Chai" }, { auth: token }))
    .structuredContent as Found
  yield* say(`  ${T.green("✓")} restaurant-search keeps working: ${still.count} restaurants in Wan Chai`)

  yield* say(T.heading(6, "restaurant-reasoning restarts on the same port"))
  yield* restaurantReasoning({ port: reasoning.port })
  yield* awaitHealth(mcp, "restaurant-reasoning", (state) => state.status === "healthy")
  yield* say(`  the health fiber saw it come back, without restarting anything:`)
  yield* say(healthTable(yield* mcp.health.get))
  const mood = (yield* mcp.callTool("restaurant-reasoning", "analyze_restaurant_sentiment", { restaurant_name: "Harbour Lantern" }, { auth: token }))
    .structuredContent as { readonly label: string; readonly praised: ReadonlyArray<string> }
  yield* say(`  ${T.green("✓")} analyze_restaurant_sentiment("Harbour Lantern"): ${mood.label}, praised for ${mood.praised.join(", ")}`)

  yield* say(T.heading(7, "Shutdown"))
  const open = (yield* mcp.status).reduce((sum, server) => sum + server.openSessions, 0)
  yield* say(`  closing the client's scope: health fiber, ${open} open sessions, sockets, the stdio server's process`)
  const started = Date.now()
  yield* Scope.close(clientScope, Exit.void)
  yield* say(`  ${T.green("✓")} all sessions closed and the stdio server ended in ${Date.now() - started} ms; the HTTP servers stop next`)
})

const describeReason = (error: McpError.McpClientError): string => error._tag === "TransportError" ? ` (${error.reason})` : ""

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.replace(Logger.defaultLogger, T.logger)),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
