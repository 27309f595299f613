import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { McpClient } from "../src/index.js"
import { eventually, failureOf } from "./support/effects.js"

const fixture = fileURLToPath(new URL("./fixtures/stdioServer.mjs", import.meta.url))
const effectFixture = fileURLToPath(new URL("./fixtures/effectStdioServer.mjs", import.meta.url))
// the package has no entry point to resolve, only its `bin`
const everything = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist/index.js"
)

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

/** A stdio server entry for the SDK fixture; each tool run is counted in a file of its own. */
const sdkStdio = (name: string, flags: ReadonlyArray<string> = []) => {
  const executions = join(mkdtempSync(join(tmpdir(), "effect-mcp-stdio-")), "executions")
  const runs = (tool: string) =>
    existsSync(executions) ? readFileSync(executions, "utf8").split("\n").filter((line) => line === tool).length : 0
  return {
    server: { name, command: process.execPath, args: [fixture, ...flags], env: { EXECUTIONS_FILE: executions } },
    runs
  }
}

const textOf = (result: { readonly content: ReadonlyArray<unknown> }): string => {
  const first = result.content[0]
  return typeof first === "object" && first !== null && "text" in first ? String(first.text) : ""
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("McpClient with stdio servers", () => {
  it.scopedLive("treats a stdio server like an HTTP one: tools, calls, health by ping, status", () =>
    Effect.gen(function*() {
      const { server } = sdkStdio("local")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const result = yield* mcp.callTool("local", "echo", { text: "over stdio" })
      expect(textOf(result)).toBe("over stdio")
      const tools = yield* mcp.availableTools
      expect(tools.map((tool) => tool.qualifiedName)).toContain("local__echo")
      const health = yield* mcp.checkHealth("local")
      expect(health.status).toBe("healthy")
      const [status] = yield* mcp.status
      expect(status?.transport).toBe("stdio")
      expect(status?.url).toBeUndefined()
      expect(status?.command).toBe(`${process.execPath} ${fixture}`)
      expect(status?.session?.protocolVersion).toBe("2025-11-25")
      expect(status?.openSessions).toBe(1)
    }))

  it.scopedLive("refuses a bearer token or headers for a stdio server before anything is sent", () =>
    Effect.gen(function*() {
      const { runs, server } = sdkStdio("local")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const error = yield* failureOf(mcp.callTool("local", "echo", { text: "x" }, { auth: "user-jwt" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("local is a stdio server: a bearer token or HTTP headers cannot be forwarded to a child process")
      expect(error.message).not.toContain("user-jwt")
      const headers = yield* failureOf(mcp.callTool("local", "echo", { text: "x" }, { headers: { "X-A": "1" } }))
      expect(headers._tag).toBe("ProtocolError")
      expect(runs("echo")).toBe(0)
    }))

  it.scopedLive("a crash fails an unsafe call once, without a retry, and the next call starts the process again", () =>
    Effect.gen(function*() {
      const { runs, server } = sdkStdio("local")
      const mcp = yield* client({ servers: [{ ...server, retry: { base: "5 millis", max: "10 millis" } }], healthInterval: "1 hour" })
      const pid = Number(textOf(yield* mcp.callTool("local", "pid", {})))
      const error = yield* failureOf(mcp.callTool("local", "crash", {}))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain(`MCP server "local", tool "crash": Closed: the server process exited with code 3`)
      expect(error.message).toContain("about to crash")
      expect(runs("crash")).toBe(1)
      const health = (yield* mcp.status)[0]?.health
      expect(health?.consecutiveFailures).toBe(1)
      const restarted = Number(textOf(yield* mcp.callTool("local", "pid", {})))
      expect(restarted).not.toBe(pid)
      expect(isAlive(pid)).toBe(false)
    }))

  it.scopedLive("a safe call cut by a crash is retried on a new process", () =>
    Effect.gen(function*() {
      const { runs, server } = sdkStdio("local")
      const mcp = yield* client({ servers: [{ ...server, retry: { base: "5 millis", max: "10 millis" } }], healthInterval: "1 hour" })
      const result = yield* mcp.callTool("local", "crash_once", {})
      expect(textOf(result)).toBe("survived")
      expect(runs("crash_once")).toBe(2)
    }))

  it.scopedLive("a line past maxMessageSize fails its call with Decode; the next call gets a new process", () =>
    Effect.gen(function*() {
      const { runs, server } = sdkStdio("local")
      const mcp = yield* client({ servers: [{ ...server, maxMessageSize: 64 * 1024 }], healthInterval: "1 hour" })
      const pid = Number(textOf(yield* mcp.callTool("local", "pid", {})))
      const error = yield* failureOf(mcp.callTool("local", "big", { bytes: 200_000 }))
      expect(error.message).toBe(`MCP server "local", tool "big": Decode: the server wrote a line larger than the limit of 65536 bytes`)
      expect(runs("big")).toBe(1)
      const restarted = Number(textOf(yield* mcp.callTool("local", "pid", {})))
      expect(restarted).not.toBe(pid)
    }))

  it.scopedLive("a deadline on a stdio call sends notifications/cancelled", () =>
    Effect.gen(function*() {
      const { runs, server } = sdkStdio("local")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      yield* mcp.listTools("local")
      const error = yield* failureOf(mcp.callTool("local", "slow", {}, { timeout: "300 millis" }))
      expect(error.message).toContain(`MCP server "local", tool "slow": Timeout`)
      yield* eventually(() => runs("cancelled") === 1, "the cancellation to reach the tool")
    }))

  it.scoped("an idle process is shut down after sessionIdleTimeToLive", () =>
    Effect.gen(function*() {
      const { server } = sdkStdio("local")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour", sessionIdleTimeToLive: "1 second" })
      const pid = Number(textOf(yield* mcp.callTool("local", "pid", {})))
      expect(isAlive(pid)).toBe(true)
      yield* TestClock.adjust("2 seconds")
      yield* TestServices.provideLive(eventually(() => !isAlive(pid), "the idle process to end"))
      expect((yield* mcp.status)[0]?.openSessions).toBe(0)
    }))

  it.scopedLive("closing the client ends every process, even one that ignores EOF and SIGTERM", () =>
    Effect.gen(function*() {
      const { server } = sdkStdio("stubborn", ["--ignore-eof"])
      const pid = yield* Effect.scoped(
        Effect.gen(function*() {
          const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
          return Number(textOf(yield* mcp.callTool("stubborn", "pid", {})))
        })
      )
      expect(isAlive(pid)).toBe(false)
    }))

  it.scopedLive("talks to an @effect/ai McpServer over stdio", () =>
    Effect.gen(function*() {
      const mcp = yield* client({ servers: [{ name: "effect", command: process.execPath, args: [effectFixture] }], healthInterval: "1 hour" })
      const tools = yield* mcp.listTools("effect")
      expect(tools.map((tool) => tool.name)).toEqual(["list_items", "greet"])
      const result = yield* mcp.callTool("effect", "greet", { name: "stdio" })
      expect(result.structuredContent).toEqual({ greeting: "Hello, stdio!" })
      expect((yield* mcp.checkHealth("effect")).status).toBe("healthy")
    }))

  it.scopedLive("talks to the reference server-everything over stdio", () =>
    Effect.gen(function*() {
      const mcp = yield* client({ servers: [{ name: "everything", command: process.execPath, args: [everything, "stdio"] }], healthInterval: "1 hour" })
      const tools = yield* mcp.listTools("everything")
      expect(tools.map((tool) => tool.name)).toContain("echo")
      const result = yield* mcp.callTool("everything", "echo", { message: "hi" })
      expect(textOf(result)).toContain("hi")
      const [status] = yield* mcp.status
      expect(status?.session?.serverInfo.name).toContain("everything")
    }))
})
