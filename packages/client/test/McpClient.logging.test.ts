/**
 * Server log messages through `McpClient`: logged with Effect's logger and offered as the
 * `serverLogs` stream, against the progress fixture (the official SDK server over Streamable
 * HTTP and stdio) and server-everything over Streamable HTTP, whose simulated logging comes on
 * the session's GET stream.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { McpClient } from "../src/index.js"
import { eventually } from "./support/effects.js"
import { captureLogs, serverLines } from "./support/logs.js"
import { everythingHttp, progressFixture, progressHttp } from "./support/progressPeer.js"

type Transport = "stdio" | "http"

const entry = (transport: Transport) =>
  transport === "stdio"
    ? Effect.succeed({ name: "logs", command: process.execPath, args: [progressFixture] })
    : Effect.map(progressHttp, (url) => ({ name: "logs", url }))

/** Collects `serverLogs` on a fiber of its own, once the stream is known to be subscribed. */
const collect = (mcp: McpClient.Service, server: string) =>
  Effect.gen(function*() {
    const received: Array<McpClient.ServerLogMessage> = []
    const fiber = yield* mcp.serverLogs.pipe(Stream.runForEach((message) => Effect.sync(() => received.push(message))), Effect.fork)
    // a message sent before the subscription is not seen: send probes until one is
    yield* Effect.repeat(mcp.callTool(server, "log", { level: "debug", data: "probe" }), { until: () => received.length > 0 })
    yield* eventually(() => received.length > 0)
    return { received, fiber }
  })

describe.each(["http", "stdio"] as const)("McpClient server logs over %s", (transport) => {
  it.scopedLive("serverLogs streams every message of the server, as it sent it; each is logged as well", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const server = yield* entry(transport)
      const context = yield* Layer.build(McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }).pipe(Layer.provide(layer)))
      const mcp = Context.get(context, McpClient.McpClient)
      const { received } = yield* collect(mcp, "logs")
      yield* mcp.callTool("logs", "log_levels", {})
      yield* mcp.callTool("logs", "log", { level: "info", data: { n: 1 } })
      const real = () => received.filter((message) => message.data !== "probe")
      yield* eventually(() => real().length === 9, "nine messages on the stream")
      expect(real()).toEqual([
        ...["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"].map((level) => ({
          server: "logs",
          level,
          logger: "levels",
          data: `${level} message`
        })),
        { server: "logs", level: "info", logger: undefined, data: { n: 1 } }
      ])
      const logged = serverLines(lines, "logs").filter((line) => line.message !== "probe")
      expect(logged.map((line) => [line.level, line.message])).toEqual([
        ["DEBUG", "debug message"],
        ["INFO", "info message"],
        ["INFO", "notice message"],
        ["WARN", "warning message"],
        ["ERROR", "error message"],
        ["ERROR", "critical message"],
        ["ERROR", "alert message"],
        ["ERROR", "emergency message"],
        ["INFO", { n: 1 }]
      ])
    })
  })
})

describe("McpClient server logs", () => {
  it.scopedLive("the stream ends when the client's scope closes", () =>
    Effect.gen(function*() {
      const server = yield* entry("http")
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }), scope)
      const mcp = Context.get(context, McpClient.McpClient)
      const { fiber } = yield* collect(mcp, "logs")
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isSuccess(yield* Fiber.await(fiber))).toBe(true)
    }))

  it.scopedLive("server-everything's simulated logging, sent on the GET stream, is logged and streamed", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const url = yield* everythingHttp
      const context = yield* Layer.build(
        McpClient.layerNode({ servers: [{ name: "everything", url }], healthInterval: "1 hour" }).pipe(Layer.provide(layer))
      )
      const mcp = Context.get(context, McpClient.McpClient)
      const first = yield* mcp.serverLogs.pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      // a message sent before the stream subscribed (or the GET stream opened) is missed: toggle
      // until one is seen, each start sending one at once
      yield* Effect.repeat(mcp.callTool("everything", "toggle-simulated-logging", {}), {
        schedule: Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(100)),
        until: () => first.unsafePoll() !== null
      })
      const [message] = Chunk.toReadonlyArray(yield* Fiber.join(first))
      expect(message?.server).toBe("everything")
      expect(String(message?.data).toLowerCase().startsWith(String(message?.level))).toBe(true)
      const logged = serverLines(lines, "everything")
      expect(logged.some((line) => line.message === message?.data && line.annotations["mcp.level"] === message?.level)).toBe(true)
    })
  })
})
