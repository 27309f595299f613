/**
 * Test support: runs the built `effect-mcp` binary as a child process and follows its output,
 * and starts the two example servers with a mcpServers file that points at them.
 */
import { Servers } from "@effect-mcp/examples"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

/** The built binary, as `npx tsc -b` leaves it. */
export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

/** A wait on a child that did not end well: timed out, or the child exited first. */
export class WaitError extends Data.TaggedError("WaitError")<{ readonly message: string }> {}

class NotYet extends Data.TaggedError("NotYet") {}

/** A running `effect-mcp`. */
export interface Child {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /**
   * Waits until stdout (or `stream`), from offset `from`, matches `pattern`; returns the offset
   * just after the match, to wait for what comes next. Fails if the child exits first or after
   * `timeout`.
   */
  readonly waitFor: (
    pattern: RegExp,
    options?: { readonly from?: number; readonly timeout?: Duration.DurationInput; readonly stream?: "stdout" | "stderr" }
  ) => Effect.Effect<number, WaitError>
  readonly signal: (signal: NodeJS.Signals) => Effect.Effect<void>
  /** The exit code, within `timeout` (10 seconds by default). */
  readonly exitCode: (timeout?: Duration.DurationInput) => Effect.Effect<number | null, WaitError>
}

/** What a finished run printed. */
export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The child's environment: ours without MCP_CONFIG, NO_COLOR and EFFECT_MCP_TOKENS, plus `env`. */
const childEnv = (env: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
  const { EFFECT_MCP_TOKENS: _tokens, MCP_CONFIG: _config, NO_COLOR: _noColor, ...rest } = process.env
  return { ...rest, ...env }
}

/** Starts `node dist/bin.js ...args`; the child is killed when the scope closes, if still running. */
export const spawnCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] })),
      (child) =>
        Effect.sync(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        })
    )
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    let exited: number | null | undefined = undefined
    const closed = new Promise<number | null>((resolve) =>
      child.once("close", (code) => {
        exited = code
        resolve(code)
      })
    )
    const describe = () => `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`
    const waitFor: Child["waitFor"] = (pattern, options = {}) => {
      const from = options.from ?? 0
      const timeout = options.timeout ?? Duration.seconds(10)
      const check = Effect.suspend((): Effect.Effect<number, WaitError | NotYet> => {
        const match = pattern.exec((options.stream === "stderr" ? stderr : stdout).slice(from))
        if (match !== null) return Effect.succeed(from + match.index + match[0].length)
        return exited === undefined
          ? Effect.fail(new NotYet())
          : Effect.fail(new WaitError({ message: `exited with ${exited} before printing ${pattern}${describe()}` }))
      })
      return check.pipe(
        Effect.retry({ schedule: Schedule.spaced("20 millis"), while: (error) => error._tag === "NotYet" }),
        Effect.catchTag("NotYet", () => new WaitError({ message: `gave up waiting for ${pattern}${describe()}` })),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new WaitError({ message: `no ${pattern} within ${Duration.format(timeout)}${describe()}` })
        })
      )
    }
    return {
      pid: child.pid ?? -1,
      stdout: () => stdout,
      stderr: () => stderr,
      waitFor,
      signal: (signal) => Effect.sync(() => void child.kill(signal)),
      exitCode: (timeout = Duration.seconds(10)) =>
        Effect.promise(() => closed).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new WaitError({ message: `still running after ${Duration.format(timeout)}${describe()}` })
          })
        )
    }
  })

/** Runs `effect-mcp ...args` to the end (at most 30 seconds). */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Effect.Effect<Result, WaitError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const child = yield* spawnCli(args, env)
      const code = yield* child.exitCode(Duration.seconds(30))
      return { code, stdout: child.stdout(), stderr: child.stderr() }
    })
  )

/** A loopback port nothing listens on: bound, then released. */
export const closedPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Writes `{"mcpServers": servers}` into `dir` and returns its path. */
export const writeConfig = (dir: string, name: string, servers: Readonly<Record<string, unknown>>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = (yield* Path.Path).join(dir, name)
    yield* fs.writeFileString(path, JSON.stringify({ mcpServers: servers }, null, 2))
    return path
  })

/** The two example servers, a closed port, and config files naming them. */
export interface Fixture {
  readonly dir: string
  /**
   * restaurant-search, restaurant-reasoning, offline (closed port, one attempt), legacy-sse
   * (unsupported), restaurant-search-stdio (the search server over stdio).
   */
  readonly config: string
  /** Only `flaky`: a closed port retried often enough to open its circuit during one call. */
  readonly flakyConfig: string
  readonly search: Servers.RunningServer
  readonly reasoning: Servers.RunningServer
}

/** The servers of `Fixture.config`, given the running example servers. */
export const servers = (search: Servers.RunningServer, reasoning: Servers.RunningServer, closed: number) => ({
  "restaurant-search": {
    url: search.url,
    healthPath: "/health",
    tools: ["search_restaurants_by_district", "search_restaurants_by_meal_type", "search_restaurants_combined"]
  },
  // no healthPath: probed with MCP ping
  "restaurant-reasoning": { type: "http", url: reasoning.url },
  offline: { url: `http://127.0.0.1:${closed}/mcp`, retry: { times: 1 } },
  // the legacy HTTP+SSE transport: listed as unsupported, never contacted
  "legacy-sse": { type: "sse", url: `http://127.0.0.1:${closed}/sse` },
  // the search server again, over stdio: each run of the CLI starts it as its child process; the
  // variable is there to show that no environment value is ever printed
  "restaurant-search-stdio": { ...Servers.stdioCommand("restaurant-search"), env: { STDIO_MARKER: STDIO_SECRET } }
})

/** The value of an environment variable given to the stdio server, which no output may show. */
export const STDIO_SECRET = "stdio-env-value-never-printed"

/** The command line `status` shows for `restaurant-search-stdio`. */
export const stdioCommandLine = (() => {
  const { args, command } = Servers.stdioCommand("restaurant-search")
  return [command, ...args].join(" ")
})()

/** @internal */
export class FixtureTag extends Context.Tag("test/Fixture")<FixtureTag, Fixture>() {}

/** Starts the servers and writes the config files; everything stops with the scope. */
export const makeFixture: Effect.Effect<Fixture, never, Scope.Scope | FileSystem.FileSystem | Path.Path> = Effect.gen(
  function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* Effect.orDie(fs.makeTempDirectoryScoped({ prefix: "effect-mcp-cli-" }))
    const search = yield* Servers.restaurantSearch({ port: 0 })
    const reasoning = yield* Servers.restaurantReasoning({ port: 0 })
    const closed = yield* closedPort
    const config = yield* Effect.orDie(writeConfig(dir, "mcp.json", servers(search, reasoning, closed)))
    const flakyConfig = yield* Effect.orDie(writeConfig(dir, "flaky.json", {
      flaky: { url: `http://127.0.0.1:${closed}/mcp`, retry: { times: 8, base: 10, max: 20 } }
    }))
    return { dir, config, flakyConfig, search, reasoning }
  }
)

/** The fixture as a Layer, with the Node platform. */
export const FixtureLive = Layer.scoped(FixtureTag, makeFixture).pipe(Layer.provideMerge(NodeContext.layer))
