/**
 * Starts a peer in its own Node process (so that it never competes with the client under test
 * for the event loop) and reads the port it prints.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface Peer {
  readonly origin: string
  readonly stop: () => Promise<void>
}

export const startPeer = (name: "minimal" | "sdk"): Promise<Peer> =>
  new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL(`./peers/${name}.js`, import.meta.url))
    const child: ChildProcess = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    child.stdout?.once("data", (chunk: Buffer) => {
      const port = Number(chunk.toString().trim())
      resolve({
        origin: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
  })
