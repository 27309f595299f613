/**
 * Runs `restaurant-reasoning` on its own: `REASONING_PORT` (default 8002), `REASONING_HOST` (127.0.0.1).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import { restaurantReasoning } from "../servers.js"

Effect.gen(function*() {
  const port = yield* Config.integer("REASONING_PORT").pipe(Config.withDefault(8002))
  const host = yield* Config.string("REASONING_HOST").pipe(Config.withDefault("127.0.0.1"))
  const server = yield* restaurantReasoning({ port, host })
  yield* Effect.log(`restaurant-reasoning listening on ${server.url} (health: http://${host}:${server.port}/health)`)
  return yield* Effect.never
}).pipe(Effect.scoped, NodeRuntime.runMain)
