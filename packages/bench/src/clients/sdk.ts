/** The official SDK client: `Client` with `StreamableHTTPClientTransport`, or with `StdioClientTransport`. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { type BenchClient, type Connected, loops } from "../loops.js"

const connected = (client: Client, terminate: () => Promise<void>): Connected => {
  const call = () => client.callTool({ name: "echo", arguments: { text: "hi" } })
  return {
    run: (workers, bound, latencies) => loops(workers, bound, latencies, call),
    close: async () => {
      await terminate().catch(() => undefined)
      await client.close()
    }
  }
}

export const sdkClient: BenchClient = {
  name: "SDK client",
  http: async (url) => {
    const client = new Client({ name: "bench", version: "1.0.0" })
    const transport = new StreamableHTTPClientTransport(new URL(url))
    await client.connect(transport)
    return connected(client, () => transport.terminateSession())
  },
  stdio: async (server) => {
    const client = new Client({ name: "bench", version: "1.0.0" })
    await client.connect(new StdioClientTransport({ command: server.command, args: [...server.args] }))
    return connected(client, () => Promise.resolve())
  }
}
