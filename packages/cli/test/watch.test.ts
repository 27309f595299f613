import { Servers } from "@effect-mcp/examples"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { rates } from "../src/watch.js"
import { closedPort, servers, spawnCli, STDIO_SECRET, stdioCommandLine, writeConfig } from "./support.js"

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ (healthy|unhealthy|unknown) (\d+ms|-) failures=\d+ circuit=(closed|open|half-open) transport=(http|stdio) req\/s=(\d+\.\d\d|-) p50=(\d+ms|-) p99=(\d+ms|-)( error=".*")?$/

describe("effect-mcp watch", () => {
  it("rates: requests per second between two samples, quantiles in milliseconds", () => {
    const summary = { server: "s", count: 6, failures: 0, sum: 0.05, p50: 0.003, p99: 0.009 }
    const measured = rates({ count: 2, at: 1_000 }, summary, 3_000)
    expect(measured.requestsPerSecond).toBe(2)
    expect(measured.p50Ms).toBeCloseTo(3)
    expect(measured.p99Ms).toBeCloseTo(9)
    expect(rates({ count: 0, at: 1_000 }, undefined, 3_000)).toEqual({ requestsPerSecond: 0, p50Ms: null, p99Ms: null })
    expect(rates({ count: 0, at: 3_000 }, summary, 3_000).requestsPerSecond).toBeNull()
  })

  it.scopedLive("prints a line per change as a server goes down and comes back, and ends cleanly on SIGINT", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "effect-mcp-watch-" })
      const search = yield* Servers.restaurantSearch({ port: 0 })
      // the reasoning server lives in its own scope, so that it can be stopped mid-test
      const reasoningScope = yield* Scope.make()
      yield* Effect.addFinalizer(() => Scope.close(reasoningScope, Exit.void))
      const reasoning = yield* Scope.extend(Servers.restaurantReasoning({ port: 0 }), reasoningScope)
      const config = yield* writeConfig(dir, "mcp.json", servers(search, reasoning, yield* closedPort))

      const child = yield* spawnCli(["watch", "--interval", "200 millis", "--config", config])
      const up = yield* child.waitFor(/ restaurant-reasoning healthy \d+ms failures=0 circuit=closed transport=http req\/s=\S+ p50=\S+ p99=\S+\n/)
      yield* child.waitFor(/ restaurant-search healthy \d+ms failures=0 circuit=closed transport=http req\/s=\S+ p50=\S+ p99=\S+\n/)
      yield* child.waitFor(/ legacy-sse unsupported "legacy HTTP\+SSE/)
      yield* child.waitFor(/ restaurant-search-stdio healthy \d+ms failures=0 circuit=closed transport=stdio req\/s=\S+ p50=\S+ p99=\S+\n/)

      yield* Scope.close(reasoningScope, Exit.void)
      const down = yield* child.waitFor(/ restaurant-reasoning unhealthy \S+ failures=\d+ circuit=\S+ transport=http req\/s=\S+ p50=\S+ p99=\S+ error="[^\n]+"\n/, { from: up })

      // the same port again
      yield* Servers.restaurantReasoning({ port: reasoning.port })
      yield* child.waitFor(/ restaurant-reasoning healthy \d+ms failures=0 circuit=closed transport=http req\/s=\S+ p50=\S+ p99=\S+\n/, { from: down })

      yield* child.signal("SIGINT")
      expect(yield* child.exitCode()).toBe(0)
      const lines = child.stdout().trimEnd().split("\n").filter((line) => !line.includes(" unsupported "))
      for (const line of lines) expect(line).toMatch(LINE)
      expect(child.stderr()).toBe("")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("--json prints one object per change", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "effect-mcp-watch-" })
      const search = yield* Servers.restaurantSearch({ port: 0 })
      const reasoning = yield* Servers.restaurantReasoning({ port: 0 })
      const config = yield* writeConfig(dir, "mcp.json", servers(search, reasoning, yield* closedPort))

      const child = yield* spawnCli(["watch", "--json", "--interval", "200", "--config", config])
      yield* child.waitFor(/"server":"offline","transport":"http".*"status":"unhealthy".*"consecutiveFailures":2/)
      // its first probe starts the process, so it may come after the offline server's failures
      yield* child.waitFor(/"server":"restaurant-search-stdio","transport":"stdio".*"status":"healthy"/)
      yield* child.signal("SIGINT")
      expect(yield* child.exitCode()).toBe(0)

      const events: ReadonlyArray<{
        server: string
        status: string
        transport: string | null
        command: string | null
        consecutiveFailures: number | null
        time: string
        requestsPerSecond: number | null
        p50Ms: number | null
        p99Ms: number | null
      }> = child
        .stdout().trimEnd().split("\n").map((line) => JSON.parse(line))
      const last = (server: string) => events.filter((e) => e.server === server).at(-1)
      expect(last("restaurant-search")?.status).toBe("healthy")
      expect(last("restaurant-reasoning")?.status).toBe("healthy")
      expect(last("legacy-sse")?.status).toBe("unsupported")
      expect(last("restaurant-search")?.transport).toBe("http")
      expect(last("restaurant-search-stdio")).toMatchObject({ status: "healthy", transport: "stdio", command: stdioCommandLine })
      // the stdio server's probes are pings: requests the metrics measured
      const piped = last("restaurant-search-stdio")!
      expect(piped.p50Ms).toBeGreaterThan(0)
      expect(piped.p99Ms).toBeGreaterThanOrEqual(piped.p50Ms!)
      expect(piped.requestsPerSecond).toBeGreaterThanOrEqual(0)
      expect(child.stdout()).not.toContain(STDIO_SECRET)
      // the offline server's failures counted up, one object each
      expect(events.filter((e) => e.server === "offline" && e.status === "unhealthy").map((e) => e.consecutiveFailures))
        .toEqual(expect.arrayContaining([1, 2]))
      expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))
})
