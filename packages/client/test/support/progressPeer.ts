/**
 * The progress fixture (`fixtures/progressServer.mjs`) and `@modelcontextprotocol/server-everything`
 * as child processes owned by the test's scope: over stdio (an entry for the client to start) or
 * over Streamable HTTP (started here, on a loopback port).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { createRequire } from "node:module"
import * as Net from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The progress fixture's script. */
export const progressFixture = fileURLToPath(new URL("../fixtures/progressServer.mjs", import.meta.url))

/** server-everything's entry point (`stdio` or `streamableHttp` as its argument). */
export const everything = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist/index.js"
)

const stopped = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

/** The progress fixture over HTTP; its URL. */
export const progressHttp: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ readonly child: ChildProcess; readonly url: string }>((resume) => {
    const child = spawn(process.execPath, [progressFixture, "--http"], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const end = out.indexOf("\n")
      if (end === -1) return
      child.stdout.off("data", onData)
      resume(Effect.succeed({ child, url: `http://127.0.0.1:${out.slice(0, end)}/mcp` }))
    }
    child.stdout.on("data", onData)
  }),
  ({ child }) => stopped(child)
).pipe(Effect.map(({ url }) => url))

const freePort = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** server-everything over Streamable HTTP on a free loopback port; its URL once it listens. */
export const everythingHttp: Effect.Effect<string, never, Scope.Scope> = Effect.flatMap(freePort, (port) =>
  Effect.acquireRelease(
    Effect.async<ChildProcess>((resume) => {
      const child = spawn(process.execPath, [everything, "streamableHttp"], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, PORT: String(port) }
      })
      let err = ""
      const onData = (chunk: Buffer) => {
        err += chunk.toString("utf8")
        if (!err.includes("listening on port")) return
        child.stderr.off("data", onData)
        child.stderr.resume()
        resume(Effect.succeed(child))
      }
      child.stderr.on("data", onData)
    }),
    stopped
  ).pipe(Effect.as(`http://127.0.0.1:${port}/mcp`)))
