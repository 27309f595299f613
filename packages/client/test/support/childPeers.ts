/**
 * MCP servers run as child processes, owned by the test's scope: `@modelcontextprotocol/server-everything`
 * and the `featuresServer.mjs` fixture, each over stdio (as a server entry the client starts) or
 * over Streamable HTTP on a loopback port (started here, killed when the scope closes).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { createRequire } from "node:module"
import * as Net from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { McpServerConfig } from "../../src/index.js"

/** server-everything's entry point (the package has no `main`, only its `bin`). */
export const everythingBin = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist/index.js"
)

export const featuresFixture = fileURLToPath(new URL("../fixtures/featuresServer.mjs", import.meta.url))

export type Transport = "stdio" | "http"

const freePort = Effect.async<number>((resume) => {
  const probe = Net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** Starts `args` with Node and waits until a line of its output passes `ready`, which gives the URL. */
const child = (args: ReadonlyArray<string>, env: Record<string, string>, ready: (line: string) => string | undefined) =>
  Effect.acquireRelease(
    Effect.async<{ readonly process: ChildProcess; readonly url: string }, Error>((resume) => {
      const process_ = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
      let settled = false
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          const url = ready(line)
          if (url !== undefined && !settled) {
            settled = true
            resume(Effect.succeed({ process: process_, url }))
          }
        }
      }
      process_.stdout.on("data", onData)
      process_.stderr.on("data", onData)
      process_.on("exit", (code) => {
        if (!settled) {
          settled = true
          resume(Effect.fail(new Error(`${args.join(" ")} exited with ${code} before it was ready`)))
        }
      })
    }),
    ({ process: process_ }) =>
      Effect.async<void>((resume) => {
        if (process_.exitCode !== null || process_.signalCode !== null) return resume(Effect.void)
        process_.once("exit", () => resume(Effect.void))
        process_.kill("SIGKILL")
      })
  )

/** server-everything as a server entry named `name`, over `transport`. */
export const everything = (name: string, transport: Transport): Effect.Effect<McpServerConfig.Input, Error, Scope.Scope> =>
  transport === "stdio"
    ? Effect.succeed({ name, command: process.execPath, args: [everythingBin, "stdio"] })
    : Effect.flatMap(freePort, (port) =>
      Effect.map(
        child([everythingBin, "streamableHttp"], { PORT: String(port) }, (line) =>
          line.includes("listening on port") ? `http://127.0.0.1:${port}/mcp` : undefined),
        ({ url }) => ({ name, url })
      ))

/** The features fixture as a server entry named `name`, over `transport`. */
export const features = (
  name: string,
  transport: Transport,
  flags: ReadonlyArray<string> = []
): Effect.Effect<McpServerConfig.Input, Error, Scope.Scope> =>
  transport === "stdio"
    ? Effect.succeed({ name, command: process.execPath, args: [featuresFixture, ...flags] })
    : Effect.map(
      child([featuresFixture, "--http", ...flags], {}, (line) => {
        const match = /^PORT (\d+)$/.exec(line.trim())
        return match === null ? undefined : `http://127.0.0.1:${match[1]}/mcp`
      }),
      ({ url }) => ({ name, url })
    )
