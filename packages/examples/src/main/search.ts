/**
 * Runs `restaurant-search` on its own: over HTTP on `SEARCH_PORT` (default 8001) and
 * `SEARCH_HOST` (127.0.0.1), or, with `--stdio`, over stdin and stdout (its log on stderr).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { layerStdio, restaurantSearch } from "../servers.js"

const http = Effect.gen(function*() {
  const port = yield* Config.integer("SEARCH_PORT").pipe(Config.withDefault(8001))
  const host = yield* Config.string("SEARCH_HOST").pipe(Config.withDefault("127.0.0.1"))
  const server = yield* restaurantSearch({ port, host })
  yield* Effect.log(`restaurant-search listening on ${server.url} (health: http://${host}:${server.port}/health)`)
  return yield* Effect.never
}).pipe(Effect.scoped)

if (process.argv.includes("--stdio")) {
  // the pretty logger runMain would add writes to stdout, which is the protocol's here
  Layer.launch(layerStdio("restaurant-search")).pipe(NodeRuntime.runMain({ disablePrettyLogger: true }))
} else {
  http.pipe(NodeRuntime.runMain)
}
