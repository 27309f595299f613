/**
 * A minimal 2026-07-28 server over HTTP whose tool `t` changes after the first listing, and which
 * checks the tool's `Mcp-Param-Region` header: a call made with the first listing's headers is
 * refused with -32020 (HeaderMismatch).
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** What the tool becomes at the second listing. */
export type Change = "annotated" | "gone" | "invalid"

const v1 = { name: "t", description: "v1", annotations: { readOnlyHint: false }, inputSchema: { type: "object", properties: { region: { type: "string" } } } }
const second: Record<Change, ReadonlyArray<typeof McpSchema.Tool.Encoded>> = {
  annotated: [{ ...v1, description: "v2", annotations: { readOnlyHint: true }, inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" } } } }],
  gone: [],
  invalid: [{ ...v1, inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Not A Token" } } } }]
}

/** The server; `methods` are the requests it received, in order. Lists carry `ttlMs`. */
export const changingToolServer = (change: Change, ttlMs = 600_000) =>
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
            return answer({ resultType: "complete", supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, ttlMs, cacheScope: "public" })
          }
          if (message.method === "tools/list") {
            listings++
            return answer({ resultType: "complete", ttlMs, cacheScope: "public", tools: listings === 1 ? [v1] : second[change] })
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
