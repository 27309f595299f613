/**
 * The AI SDK's MCP client (`@ai-sdk/mcp`, `createMCPClient`), over its Streamable HTTP transport
 * (`type: "http"`) or its stdio transport. It has no `callTool`: tools are called the way a model
 * would, through the `execute` of the tool set `tools()` builds from `tools/list`.
 *
 * The 1.x line is used: 2.x declares `engines.node >= 22` and this project runs on Node 20.
 * Known quirk, left alone: its HTTP transport passes the transport's one `AbortSignal` to every
 * `fetch`, whose abort listeners pile up on it faster than they are released, so once 1 500 are
 * held Node raises a `MaxListenersExceededWarning` per call (thousands per run; the official SDK
 * client does the same). They are counted like any process warning, against the client that ran.
 */
import { createMCPClient, type MCPClient, type MCPClientConfig } from "@ai-sdk/mcp"
import { Experimental_StdioMCPTransport } from "@ai-sdk/mcp/mcp-stdio"
import { type BenchClient, type Connected, loops } from "../loops.js"

const connect = async (transport: MCPClientConfig["transport"]): Promise<Connected> => {
  const client: MCPClient = await createMCPClient({ transport })
  const echo = (await client.tools()).echo
  if (echo === undefined) throw new Error("the peer offers no echo tool")
  const options = { toolCallId: "bench", messages: [] }
  const call = async () => echo.execute({ text: "hi" }, options)
  return { run: (workers, bound, latencies) => loops(workers, bound, latencies, call), close: () => client.close() }
}

export const aiSdkClient: BenchClient = {
  name: "AI SDK client",
  http: (url) => connect({ type: "http", url }),
  stdio: (server) => connect(new Experimental_StdioMCPTransport({ command: server.command, args: [...server.args] }))
}
