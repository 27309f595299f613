/**
 * The official SDK server over stdio (`StdioServerTransport`), with the `echo` tool: started as a
 * child process by each client under test; it ends when the client closes its stdin.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { makeServer } from "./echoServer.js"

await makeServer().connect(new StdioServerTransport())
