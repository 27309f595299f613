/**
 * A `HeaderMismatch` (-32020) answer to a call, against a minimal 2026-07-28 server whose tool
 * changes after the first listing (and which checks its `Mcp-Param-Region` header): the listing
 * again is the client's list from then on, and the call is sent once more only for a tool still
 * offered with valid annotations.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { McpClient } from "../src/index.js"
import { failureOf } from "./support/effects.js"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** What the tool becomes at the second listing. */
type Change = "annotated" | "gone" | "invalid"

const v1 = { name: "t", description: "v1", annotations: { readOnlyHint: false }, inputSchema: { type: "object", properties: { region: { type: "string" } } } }
const second: Record<Change, ReadonlyArray<typeof McpSchema.Tool.Encoded>> = {
  annotated: [{ ...v1, description: "v2", annotations: { readOnlyHint: true }, inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" } } } }],
  gone: [],
  invalid: [{ ...v1, inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Not A Token" } } } }]
}

const changingServer = (change: Change) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly methods: Array<string>; readonly server: Http.Server }>((resume) => {
      const methods: Array<string> = []
      let listings = 0
      const server = Http.createServer((req, res) => {
        let text = ""
        req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
        req.on("end", () => {
          const message = JSON.parse(text) as { id?: number; method: string; params?: { arguments?: { region?: string } } }
          if (message.id === undefined) return res.writeHead(202).end()
          methods.push(message.method)
          const answer = (result: unknown, status = 200) =>
            res.writeHead(status, { "content-type": "application/json" }).end(
              JSON.stringify({ jsonrpc: "2.0", id: message.id, ...(status === 200 ? { result } : { error: result }) })
            )
          if (message.method === "server/discover") {
            return answer({ resultType: "complete", supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, ttlMs: 600_000, cacheScope: "public" })
          }
          if (message.method === "tools/list") {
            listings++
            return answer({ resultType: "complete", ttlMs: 600_000, cacheScope: "public", tools: listings === 1 ? [v1] : second[change] })
          }
          if (message.method !== "tools/call") return answer({ code: -32601, message: "Method not found" }, 404)
          if (req.headers["mcp-param-region"] !== message.params?.arguments?.region) {
            return answer({ code: -32020, message: "Header mismatch: Mcp-Param-Region" }, 400)
          }
          answer({ resultType: "complete", content: [{ type: "text", text: "ok" }] })
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, methods, server })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const client = (url: string) =>
  Effect.map(
    Layer.build(McpClient.layerNode({ servers: [{ name: "changing", url }], healthInterval: "1 hour" })),
    (context) => Context.get(context, McpClient.McpClient)
  )

describe("McpClient and a HeaderMismatch answer (2026-07-28)", () => {
  it.scopedLive("the listing after the mismatch is the client's tool list, annotations included, however fresh the old one's ttlMs", () =>
    Effect.gen(function*() {
      const peer = yield* changingServer("annotated")
      const mcp = yield* client(peer.url)
      expect((yield* mcp.listTools("changing")).map((tool) => tool.description)).toEqual(["v1"])
      const result = yield* mcp.callTool("changing", "t", { region: "eu" })
      expect(result.content).toEqual([{ type: "text", text: "ok" }])
      const tools = yield* mcp.listTools("changing")
      expect(tools.map((tool) => [tool.description, tool.annotations?.readOnlyHint])).toEqual([["v2", true]])
      const available = yield* mcp.availableTools
      expect(available.map((tool) => tool.tool.description)).toEqual(["v2"])
    }))

  it.scopedLive("a tool gone from the listing after the mismatch is not called again: the error names server and tool", () =>
    Effect.gen(function*() {
      const peer = yield* changingServer("gone")
      const mcp = yield* client(peer.url)
      const error = yield* failureOf(mcp.callTool("changing", "t", { region: "eu" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain(`"changing"`)
      expect(error.message).toContain(`"t"`)
      expect(error.message).toContain("no longer include it")
      expect(peer.methods.filter((method) => method === "tools/call")).toHaveLength(1)
    }))

  it.scopedLive("a tool whose annotations became invalid is not called again", () =>
    Effect.gen(function*() {
      const peer = yield* changingServer("invalid")
      const mcp = yield* client(peer.url)
      const error = yield* failureOf(mcp.callTool("changing", "t", { region: "eu" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("x-mcp-header annotations are invalid")
      expect(peer.methods.filter((method) => method === "tools/call")).toHaveLength(1)
    }))
})
