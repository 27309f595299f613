/**
 * Runs `restaurant-reasoning` on its own: over HTTP on `REASONING_PORT` (default 8002) and
 * `REASONING_HOST` (127.0.0.1), or, with `--stdio`, over stdin and stdout (its log on stderr).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { layerStdio, restaurantReasoning } from "../servers.js"

const http = Effect.gen(function*() {
  const port = yield* Config.integer("REASONING_PORT").pipe(Config.withDefault(8002))
  const host = yield* Config.string("REASONING_HOST").pipe(Config.withDefault("127.0.0.1"))
  const server = yield* restaurantReasoning({ port, host })
  yield* Effect.log(`restaurant-reasoning listening on ${server.url} (health: http://${host}:${server.port}/health)`)
  return yield* Effect.never
}).pipe(Effect.scoped)

if (process.argv.includes("--stdio")) {
  // the pretty logger runMain would add writes to stdout, which is the protocol's here
  Layer.launch(layerStdio("restaurant-reasoning")).pipe(NodeRuntime.runMain({ disablePrettyLogger: true }))
} else {
  http.pipe(NodeRuntime.runMain)
}
