import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { McpClient, McpServerConfig } from "../src/index.js"
import { failureOf } from "./support/effects.js"
import { sdkPeer } from "./support/sdkPeer.js"

const fixture = fileURLToPath(new URL("./fixtures/stdioServer.mjs", import.meta.url))

const writeConfig = (json: unknown): string => {
  const path = join(mkdtempSync(join(tmpdir(), "effect-mcp-config-")), "mcp.json")
  writeFileSync(path, typeof json === "string" ? json : JSON.stringify(json))
  return path
}

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const fromConfig = (env: Record<string, string>) =>
  Layer.build(McpClient.layerConfig().pipe(Layer.provide(Layer.merge(McpClient.layerUndici, NodeFileSystem.layer)))).pipe(
    Effect.map((context) => Context.get(context, McpClient.McpClient)),
    withEnv(env)
  )

describe("McpClient.layerConfig", () => {
  it.scopedLive("reads a mcpServers file named by MCP_CONFIG, expanding ${VAR} and ${env:VAR}", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const [origin] = peer.url.split("/mcp")
      const path = writeConfig({
        mcpServers: {
          search: {
            type: "http",
            url: "${SEARCH_ORIGIN}/mcp",
            headers: { "X-Api-Key": "${env:API_KEY}" },
            timeout: "5 seconds",
            retry: { times: 2, base: 10, max: 50 },
            tools: ["echo", "not_there"]
          },
          local: { command: "${NODE}", args: ["${env:FIXTURE}"], env: { EXECUTIONS_FILE: "${EXECUTIONS}" } },
          legacy: { type: "sse", url: "http://127.0.0.1:1/sse" }
        }
      })
      const executions = join(mkdtempSync(join(tmpdir(), "effect-mcp-config-")), "executions")
      const mcp = yield* fromConfig({
        MCP_CONFIG: path,
        SEARCH_ORIGIN: origin!,
        API_KEY: "k-123",
        NODE: process.execPath,
        FIXTURE: fixture,
        EXECUTIONS: executions
      })
      const result = yield* mcp.callTool("search", "echo", { text: "from file" })
      expect(result.content).toEqual([{ type: "text", text: "from file" }])
      expect(peer.requests.at(-1)?.headers["x-api-key"]).toBe("k-123")
      const status = yield* mcp.status
      expect(status.map((entry) => [entry.server, entry.transport, entry.unsupported])).toEqual([
        ["search", "http", undefined],
        ["local", "stdio", undefined],
        ["legacy", undefined, "legacy HTTP+SSE transport; effect-mcp speaks Streamable HTTP and stdio"]
      ])
      expect(status[0]?.missingTools).toEqual(["not_there"])
      expect(status[0]?.session?.protocolVersion).toBe("2025-11-25")
      const local = yield* mcp.callTool("local", "add", { a: 1, b: 2 })
      expect(local.content).toEqual([{ type: "text", text: "3" }])
      expect(readFileSync(executions, "utf8")).toBe("add\n")
      const legacy = yield* failureOf(mcp.callTool("legacy", "anything", {}))
      expect(legacy.message).toContain(`MCP server "legacy", tool "anything": Connect: cannot be used: legacy HTTP+SSE transport`)
    }))

  it.scopedLive("accepts the servers key and inline JSON in MCP_CONFIG", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const mcp = yield* fromConfig({ MCP_CONFIG: JSON.stringify({ servers: { one: { type: "streamable-http", url: peer.url } } }) })
      expect((yield* mcp.callTool("one", "add", { a: 2, b: 5 })).content).toEqual([{ type: "text", text: "7" }])
    }))

  it.scoped("names the file, the server and the field of a malformed configuration", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ mcpServers: { a: { url: "not a url" } } }, "at mcpServers.a.url: is not a URL"],
        [{ mcpServers: { a: {} } }, "at mcpServers.a.url: is missing"],
        [{ mcpServers: { a: { url: "http://x/mcp", timeout: "soon" } } }, `at mcpServers.a.timeout: must be milliseconds or a duration`],
        [{ mcpServers: { a: { url: "http://x/mcp", retry: { times: 0 } } } }, "at mcpServers.a.retry.times: must be a whole number of attempts"],
        [{ mcpServers: { a: { url: "http://x/mcp", headers: { A: 1 } } } }, "at mcpServers.a.headers.A: must be a string, got a number"],
        [{ mcpServers: { a: { url: "http://x/mcp", headers: { "Bad Name": "x" } } } }, `at mcpServers.a.headers: has an invalid header name "Bad Name"`],
        [{ mcpServers: { a: { url: "http://x/mcp", type: "websocket" } } }, `at mcpServers.a.type: must be "http" or "streamable-http"`],
        [{ mcpServers: { a: { url: "${MISSING_VAR}/mcp" } } }, "at mcpServers.a.url: environment variable MISSING_VAR is not set"],
        [{ mcpServers: { a: { command: 7 } } }, "at mcpServers.a.command: must be a string, got a number"],
        [{ mcpServers: { a: { type: "stdio" } } }, "at mcpServers.a.command: is missing"],
        [{ mcpServers: { a: { command: "x", args: "--flag" } } }, "at mcpServers.a.args: must be a list of strings"],
        [{ mcpServers: { a: { command: "x", env: { A: 1 } } } }, "at mcpServers.a.env.A: must be a string, got a number"],
        [{ mcpServers: { a: { command: "x", url: "http://x/mcp" } } }, "at mcpServers.a.url: has no meaning for a stdio server"],
        [{ mcpServers: { a: { command: "x", args: ["${MISSING_VAR}"] } } }, "at mcpServers.a.args[0]: environment variable MISSING_VAR is not set"],
        [{ other: {} }, `has neither a "mcpServers" nor a "servers" key`],
        ["{ nope", "is not valid JSON"]
      ]
      for (const [json, expected] of cases) {
        const path = writeConfig(json)
        const error = yield* failureOf(fromConfig({ MCP_CONFIG: path }))
        expect(error._tag).toBe("McpConfigError")
        expect(error.message).toContain(path)
        expect(error.message).toContain(expected)
      }
      const secret = writeConfig({ mcpServers: { a: { url: "http://x/mcp", headers: { Authorization: "Bearer ${TOKEN}", "X-Retries": 3 } } } })
      const leak = yield* failureOf(fromConfig({ MCP_CONFIG: secret, TOKEN: "s3cret" }))
      expect(leak.message).toContain("at mcpServers.a.headers.X-Retries: must be a string, got a number")
      expect(leak.message).not.toContain("s3cret")
      const badValue = writeConfig({ mcpServers: { a: { url: "http://x/mcp", headers: { "X-Key": "${KEY}" } } } })
      const injected = yield* failureOf(fromConfig({ MCP_CONFIG: badValue, KEY: "k\r\nX-Evil: 1" }))
      expect(injected.message).toContain("at mcpServers.a.headers.X-Key: has characters not allowed in an HTTP header value")
      expect(injected.message).not.toContain("Evil")
      const missing = yield* failureOf(fromConfig({}))
      expect(missing.message).toContain("env at MCP_CONFIG: names no configuration file")
      const unreadable = yield* failureOf(fromConfig({ MCP_CONFIG: "/nonexistent/mcp.json" }))
      expect(unreadable.message).toContain("/nonexistent/mcp.json: cannot be read")
    }))

  it.scoped("rejects bad servers given in code, naming the field", () =>
    Effect.gen(function*() {
      const duplicate = yield* failureOf(McpServerConfig.makeAll([{ name: "a", url: "http://x/mcp" }, { name: "a", url: "http://y/mcp" }]))
      expect(duplicate.message).toBe(`options at servers[1].name: duplicate server name "a"`)
      const retry = yield* failureOf(McpServerConfig.make({ name: "a", url: "http://x/mcp", retry: { base: "5 seconds", max: "1 second" } }))
      expect(retry.message).toBe("options at a.retry.max: must not be shorter than retry.base")
      const scheme = yield* failureOf(McpServerConfig.make({ name: "a", url: "ftp://x/mcp" }))
      expect(scheme.message).toBe("options at a.url: must be http or https, got ftp:")
      const layer = yield* failureOf(Layer.build(McpClient.layerNode({ servers: [{ name: "", url: "http://x/mcp" }] })))
      expect(layer.message).toBe("options at servers[0].name: must be a non-empty string")
    }))
})
