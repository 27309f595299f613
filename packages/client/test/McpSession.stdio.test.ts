import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import { mkdtempSync, readFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { McpSession } from "../src/index.js"
import { eventually, failureOf } from "./support/effects.js"

const fixture = fileURLToPath(new URL("./fixtures/stdioServer.mjs", import.meta.url))

/** The SDK stdio server with `flags`; each tool run is counted in a file of its own. */
const stdioOptions = (flags: ReadonlyArray<string> = [], extra: Partial<McpSession.StdioOptions> = {}) => {
  const executions = join(mkdtempSync(join(tmpdir(), "effect-mcp-stdio-")), "executions")
  const options: McpSession.StdioOptions = {
    server: "local",
    command: process.execPath,
    args: [fixture, ...flags],
    env: { EXECUTIONS_FILE: executions },
    ...extra
  }
  const runs = (tool: string) =>
    existsSync(executions) ? readFileSync(executions, "utf8").split("\n").filter((line) => line === tool).length : 0
  return { options, runs }
}

describe("McpSession over stdio against the official SDK server", () => {
  it.scopedLive("initializes, lists tools and calls them, many in flight at once, matched by id", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions()
      const session = yield* McpSession.make(options)
      const info = yield* session.info
      expect(info.transport).toBe("stdio")
      expect(info.sessionId).toBeUndefined()
      expect(info.protocolVersion).toBe("2025-11-25")
      expect(info.serverInfo.name).toBe("sdk-stdio-peer")
      const tools = yield* session.listTools()
      expect(tools.map((tool) => tool.name)).toContain("echo")
      const sums = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => session.callTool("add", { a: i, b: 1 }),
        { concurrency: "unbounded" }
      )
      expect(sums.map((result) => result.content[0])).toEqual(
        Array.from({ length: 50 }, (_, i) => ({ type: "text", text: String(i + 1) }))
      )
      yield* session.ping()
    }))

  it.scopedLive("passes on only HOME, LOGNAME, PATH, SHELL, TERM, USER and the configured variables", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions([], { env: { EXTRA: "1" } })
      const session = yield* McpSession.make(options)
      const result = yield* session.callTool("env", {})
      const first = result.content[0]
      const names = first?.type === "text" ? first.text.split(",") : []
      expect(names).toContain("EXTRA")
      expect(names).toContain("PATH")
      for (const name of names) {
        expect(["EXTRA", "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"]).toContain(name)
      }
    }))

  it.scopedLive("a process that dies fails its calls with Closed, naming the exit code and the stderr tail", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions()
      const session = yield* McpSession.make(options)
      const error = yield* failureOf(session.callTool("crash", {}))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain(`MCP server "local", tool "crash": Closed: the server process exited with code 3`)
      expect(error.message).toContain("about to crash")
      const later = yield* failureOf(session.callTool("echo", { text: "x" }))
      expect(later.message).toContain("exited with code 3")
    }))

  it.scopedLive("a stderr line past 500 bytes is cut, so the error's stderr tail stays bounded", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions(["--long-stderr"])
      const session = yield* McpSession.make(options)
      const error = yield* failureOf(session.callTool("crash", {}))
      expect(error.message).toContain(`its last stderr lines: ${"y".repeat(500)}… | about to crash`)
      expect(error.message.length).toBeLessThan(1_000)
    }))

  it.scopedLive("a process that exits at start fails make with Closed and its stderr", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions(["--exit-at-start"])
      const error = yield* failureOf(McpSession.make(options))
      expect(error.message).toContain("exited with code 7")
      expect(error.message).toContain("refusing to start")
    }))

  it.scopedLive("a command that cannot be started fails with Connect, without quoting its arguments", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(McpSession.make({ server: "local", command: "/nonexistent/mcp-server", args: ["--token=s3cret"] }))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toBe(`MCP server "local": Connect: cannot start "/nonexistent/mcp-server": spawn /nonexistent/mcp-server ENOENT`)
      const cwd = yield* failureOf(McpSession.make({ server: "local", command: process.execPath, cwd: "/nonexistent/dir" }))
      expect(cwd.message).toContain("Connect: cannot start")
      expect(cwd.message).toContain("/nonexistent/dir")
    }))

  it.scopedLive("lines on stdout that are not JSON-RPC are skipped: the real answers still arrive", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions(["--garbage"])
      const session = yield* McpSession.make(options)
      const result = yield* session.callTool("echo", { text: "through" })
      expect(result.content).toEqual([{ type: "text", text: "through" }])
    }))

  it.scopedLive("a line larger than maxMessageSize ends the process and fails the call with Decode", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions([], { maxMessageSize: 64 * 1024 })
      const session = yield* McpSession.make(options)
      const error = yield* failureOf(session.callTool("big", { bytes: 200_000 }))
      expect(error.message).toContain("Decode: the server wrote a line larger than the limit of 65536 bytes")
    }))

  it.scopedLive("a flood on stderr does not stop the answers", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions(["--flood-stderr"])
      const session = yield* McpSession.make(options)
      const results = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => session.callTool("echo", { text: String(i) }))
      expect(results).toHaveLength(20)
    }))

  it.scopedLive("an interrupted call sends notifications/cancelled", () =>
    Effect.gen(function*() {
      const { options, runs } = stdioOptions()
      const session = yield* McpSession.make(options)
      const call = yield* Effect.fork(session.callTool("slow", {}))
      yield* eventually(() => runs("slow") === 1, "the call to start")
      yield* Fiber.interrupt(call)
      yield* eventually(() => runs("cancelled") === 1, "the cancellation to reach the tool")
    }))

  it.scopedLive("closing ends a server that ignores EOF and SIGTERM, within the bound", () =>
    Effect.gen(function*() {
      const { options } = stdioOptions(["--ignore-eof"], { closeTimeout: "200 millis" })
      const scope = yield* Scope.make()
      const session = yield* McpSession.make(options).pipe(Scope.extend(scope))
      yield* session.ping()
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      const closed = yield* Fiber.join(closing).pipe(Effect.timeout("5 seconds"), Effect.exit)
      expect(Exit.isSuccess(closed)).toBe(true)
      const error = yield* failureOf(session.ping())
      expect(error.message).toContain("Closed")
    }))
})
