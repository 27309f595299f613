/**
 * A server's `notifications/message` as an Effect log at the matching level, annotated with the
 * server, its logger and its own level: against the progress fixture (the official SDK server
 * over stdio and Streamable HTTP), whose tools send log messages on demand, and server-everything's
 * simulated logging.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { McpSession } from "../src/index.js"
import { eventually } from "./support/effects.js"
import { captureLogs, serverLines } from "./support/logs.js"
import { everything, progressFixture, progressHttp } from "./support/progressPeer.js"

const sessions = {
  stdio: McpSession.make({ server: "logs", command: process.execPath, args: [progressFixture] }),
  http: Effect.flatMap(progressHttp, (url) => McpSession.make({ server: "logs", url }))
}

describe.each(Object.keys(sessions) as ReadonlyArray<keyof typeof sessions>)("McpSession server logs over %s", (transport) => {
  it.scopedLive("each level becomes an Effect log at the matching level, annotated with the server and its logger", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const session = yield* sessions[transport]
      yield* session.callTool("log_levels", {})
      yield* eventually(() => serverLines(lines, "logs").length === 8, "eight log lines")
      expect(serverLines(lines, "logs")).toEqual([
        ["debug", "DEBUG"],
        ["info", "INFO"],
        ["notice", "INFO"],
        ["warning", "WARN"],
        ["error", "ERROR"],
        ["critical", "ERROR"],
        ["alert", "ERROR"],
        ["emergency", "ERROR"]
      ].map(([level, label]) => ({
        level: label,
        message: `${level} message`,
        annotations: { "mcp.server": "logs", "mcp.logger": "levels", "mcp.level": level }
      })))
    }).pipe(Effect.provide(layer), Effect.provide(NodeHttpClient.layerUndici))
  })

  it.scopedLive("data that is not text is logged as a value; a level MCP does not name is Info; no logger, no annotation", () => {
    const { layer, lines } = captureLogs()
    return Effect.gen(function*() {
      const session = yield* sessions[transport]
      yield* session.callTool("log", { level: "warning", data: { rows: 3, table: "orders" } })
      yield* session.callTool("log", { level: "verbose", logger: "lax", data: "odd level" })
      yield* eventually(() => serverLines(lines, "logs").length === 2, "two log lines")
      expect(serverLines(lines, "logs")).toEqual([
        { level: "WARN", message: { rows: 3, table: "orders" }, annotations: { "mcp.server": "logs", "mcp.level": "warning" } },
        { level: "INFO", message: "odd level", annotations: { "mcp.server": "logs", "mcp.logger": "lax", "mcp.level": "verbose" } }
      ])
    }).pipe(Effect.provide(layer), Effect.provide(NodeHttpClient.layerUndici))
  })
})

describe("McpSession server logs with server-everything", () => {
  it.scopedLive("its simulated logging reaches the logs at the level it names, over stdio", () => {
    const { layer, lines } = captureLogs()
    const expected: Record<string, string> = {
      Debug: "DEBUG",
      Info: "INFO",
      Notice: "INFO",
      Warning: "WARN",
      Error: "ERROR",
      Critical: "ERROR",
      Alert: "ERROR",
      Emergency: "ERROR"
    }
    return Effect.gen(function*() {
      const session = yield* McpSession.make({ server: "everything", command: process.execPath, args: [everything, "stdio"] })
      // the first message is sent at once, the next ones every 5 s
      yield* session.callTool("toggle-simulated-logging", {})
      yield* eventually(() => serverLines(lines, "everything").length > 0, "a log line of server-everything")
      const [first] = serverLines(lines, "everything")
      const named = String(first?.message).split(/[- ]/)[0] ?? ""
      expect(first?.level).toBe(expected[named])
      expect(first?.annotations["mcp.level"]).toBe(named.toLowerCase())
      yield* session.callTool("toggle-simulated-logging", {})
    }).pipe(Effect.provide(layer))
  })
})
