/**
 * An `@effect/ai` `McpServer` over HTTP (stateless, JSON answers) on an ephemeral loopback port,
 * owned by the test's scope. Its `list_items` tool answers an array, which the server sends as
 * array-shaped `structuredContent`.
 */
import * as McpServer from "@effect/ai/McpServer"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { createServer } from "node:http"

const ListItems = Tool.make("list_items", {
  description: "Lists the items that start with a prefix",
  parameters: { prefix: Schema.String },
  success: Schema.Array(Schema.String)
}).annotate(Tool.Readonly, true)

const Greet = Tool.make("greet", {
  description: "Greets someone",
  parameters: { name: Schema.String },
  success: Schema.Struct({ greeting: Schema.String })
})

const PeerToolkit = Toolkit.make(ListItems, Greet)

const items = ["apple", "apricot", "banana", "blueberry", "cherry"]

const ToolHandlers = PeerToolkit.toLayer({
  list_items: ({ prefix }) => Effect.succeed(items.filter((item) => item.startsWith(prefix))),
  greet: ({ name }) => Effect.succeed({ greeting: `Hello, ${name}!` })
})

export interface EffectPeer {
  readonly url: string
}

/** Starts the `@effect/ai` server; it stops when the scope closes. */
export const effectPeer = Effect.gen(function*() {
  const context = yield* Layer.build(
    Layer.mergeAll(McpServer.toolkit(PeerToolkit), HttpRouter.Default.serve()).pipe(
      Layer.provide(ToolHandlers),
      Layer.provide(McpServer.layerHttp({ name: "effect-peer", version: "1.0.0", path: "/mcp" })),
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    )
  )
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
  const peer: EffectPeer = { url: `http://127.0.0.1:${address.port}/mcp` }
  return peer
})
