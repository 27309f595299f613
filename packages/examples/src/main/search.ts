/**
 * Runs `restaurant-search` on its own: `SEARCH_PORT` (default 8001), `SEARCH_HOST` (127.0.0.1).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import { restaurantSearch } from "../servers.js"

Effect.gen(function*() {
  const port = yield* Config.integer("SEARCH_PORT").pipe(Config.withDefault(8001))
  const host = yield* Config.string("SEARCH_HOST").pipe(Config.withDefault("127.0.0.1"))
  const server = yield* restaurantSearch({ port, host })
  yield* Effect.log(`restaurant-search listening on ${server.url} (health: http://${host}:${server.port}/health)`)
  return yield* Effect.never
}).pipe(Effect.scoped, NodeRuntime.runMain)
