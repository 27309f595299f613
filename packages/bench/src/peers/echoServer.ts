/** The official SDK `Server` with the same `echo` tool as the minimal responder, for the HTTP and stdio SDK peers. */
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js"

export const makeServer = () => {
  const server = new Server({ name: "sdk-bench", version: "1.0.0" }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [{ name: "echo", inputSchema: { type: "object" as const }, annotations: { readOnlyHint: true } }]
  }))
  server.setRequestHandler(CallToolRequestSchema, (request) => ({
    content: [{ type: "text" as const, text: String(request.params.arguments?.text ?? "") }]
  }))
  return server
}
