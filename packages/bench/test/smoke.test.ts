import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

interface Report {
  readonly smoke: boolean
  readonly rows: ReadonlyArray<{ readonly peer: string; readonly client: string; readonly concurrency: number; readonly callsPerSecond: number }>
  readonly heap: { readonly calls: number }
  readonly scale: { readonly servers: number; readonly everyServerEveryInterval: boolean }
  readonly targets: ReadonlyArray<{ readonly name: string; readonly met: boolean }>
  readonly warnings: { readonly byClient: Readonly<Record<string, number>> }
}

/** The benchmark's smoke mode: the whole machinery, tiny counts, targets reported but not enforced. */
describe("the benchmark in smoke mode", () => {
  it.live("measures every client at both concurrencies against every peer it speaks to and writes its report", () =>
    Effect.gen(function*() {
      const out = join(mkdtempSync(join(tmpdir(), "effect-mcp-bench-")), "report.json")
      const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
      const code = yield* Effect.async<number | null>((resume) => {
        const child = spawn(process.execPath, ["--expose-gc", "--no-warnings", main, "--smoke", "--out", out], { stdio: "ignore" })
        child.on("exit", (exitCode) => resume(Effect.succeed(exitCode)))
        return Effect.sync(() => child.kill("SIGKILL"))
      })
      expect(code).toBe(0)
      const report = JSON.parse(readFileSync(out, "utf8")) as Report
      expect(report.smoke).toBe(true)
      const combinations = report.rows.map((row) => `${row.peer}/${row.client}/${row.concurrency}`)
      const expected = (peer: string, client: string) => {
        for (const concurrency of [1, 16]) expect(combinations).toContain(`${peer}/${client}/${concurrency}`)
      }
      for (const peer of ["minimal", "chunked", "sse-stream", "sdk"]) {
        for (const client of ["raw", "SDK client", "AI SDK client", "effect-mcp", "effect-mcp + tracer", "bare HttpClient", "bare Effect"]) expected(peer, client)
      }
      for (const peer of ["stdio", "stdio-min"]) {
        for (const client of ["raw", "SDK client", "AI SDK client", "effect-mcp"]) expected(peer, client)
      }
      expect(report.rows.every((row) => row.callsPerSecond > 0)).toBe(true)
      expect(report.heap.calls).toBeGreaterThan(0)
      expect(report.scale.servers).toBe(50)
      expect(report.scale.everyServerEveryInterval).toBe(true)
      expect(report.targets.length).toBe(18)
      expect(report.warnings.byClient["effect-mcp"] ?? 0).toBe(0)
    }))
})
