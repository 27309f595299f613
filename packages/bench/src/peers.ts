/**
 * The peers. An HTTP peer runs in a Node process of its own (so that it never competes with the
 * client under test for the event loop), started here, which prints the port it listens on. The
 * stdio peer is a command: each client starts its own child process, as stdio clients do.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { StdioServer } from "./loops.js"

export interface HttpPeer {
  readonly origin: string
  readonly stop: () => Promise<void>
}

const script = (name: string) => fileURLToPath(new URL(`./peers/${name}.js`, import.meta.url))

/**
 * `minimal` answers JSON with Content-Length, `chunked` the same JSON chunked, `sse-stream` a
 * notification event and then the answer (see peers/minimal.ts); `sdk` is the official SDK server.
 */
export const httpPeerNames = ["minimal", "chunked", "sse-stream", "sdk"] as const
export type HttpPeerName = (typeof httpPeerNames)[number]

const commands: Record<HttpPeerName, ReadonlyArray<string>> = {
  minimal: [script("minimal"), "length"],
  chunked: [script("minimal"), "chunked"],
  "sse-stream": [script("minimal"), "sse"],
  sdk: [script("sdk")]
}

export const startPeer = (name: HttpPeerName): Promise<HttpPeer> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...commands[name]], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`peer ${name} exited with ${code}`)))
    child.stdout?.once("data", (chunk: Buffer) => {
      const port = Number(chunk.toString().trim())
      resolve({
        origin: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done()
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
  })

/** The official SDK server over stdio. */
export const stdioPeer: StdioServer = { command: process.execPath, args: [script("stdio")] }

/** The minimal responder over stdio. */
export const minimalStdioPeer: StdioServer = { command: process.execPath, args: [script("minimalStdio")] }
