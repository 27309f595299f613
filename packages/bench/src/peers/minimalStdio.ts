/**
 * The minimal MCP responder over stdio: newline-delimited JSON in and out, as little work per
 * request as the protocol allows, so that the client (not the official SDK server, as on the
 * `stdio` peer) is the bottleneck. Started as a child process by each client under test; it ends
 * when the client closes its stdin.
 */
import { createInterface } from "node:readline"

const tool = {
  name: "echo",
  description: "Echoes its text",
  inputSchema: { type: "object", properties: { text: { type: "string" } } },
  annotations: { readOnlyHint: true }
}

const answer = (id: unknown, result: unknown) => {
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`)
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line) as { id?: unknown; method: string; params?: { protocolVersion?: string; arguments?: { text?: string } } }
  if (message.id === undefined) return
  switch (message.method) {
    case "initialize":
      answer(message.id, {
        protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "minimal", version: "1.0.0" }
      })
      return
    case "tools/call":
      answer(message.id, { content: [{ type: "text", text: message.params?.arguments?.text ?? "" }] })
      return
    case "tools/list":
      answer(message.id, { tools: [tool] })
      return
    default:
      answer(message.id, {})
  }
})
