/**
 * An HTTP MCP server run as a child process that prints "port <n>" once it listens, owned by
 * the test's scope: killed when the scope closes.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"

export const childPeer = (script: string, args: ReadonlyArray<string> = []): Effect.Effect<{ readonly url: string }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly kill: () => Promise<void> }>((resume) => {
      const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      let found = false
      const kill = () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once("exit", () => resolve())
          child.kill("SIGKILL")
        })
      // both pipes are read to the end, or a chatty server would block on a full pipe
      const read = (chunk: Buffer) => {
        if (found) return
        output += chunk.toString("utf8")
        const port = /^port (\d+)$/m.exec(output)
        if (port === null) return
        found = true
        resume(Effect.succeed({ url: `http://127.0.0.1:${port[1]}/mcp`, kill }))
      }
      child.stdout.on("data", read)
      child.stderr.on("data", read)
      child.once("exit", (code) => {
        if (!found) resume(Effect.dieMessage(`${script} exited with ${code} before listening: ${output.slice(-500)}`))
      })
      return Effect.promise(kill)
    }),
    (peer) => Effect.promise(peer.kill)
  ).pipe(Effect.map(({ url }) => ({ url })))
