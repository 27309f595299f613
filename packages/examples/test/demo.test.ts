import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built demo (`tsc -b` writes dist/) in fast mode on free ports. */
const runDemo = Effect.async<Run>((resume) => {
  const demo = fileURLToPath(new URL("../dist/demo.js", import.meta.url))
  const child = spawn(process.execPath, [demo, "--fast"], {
    env: { ...process.env, SEARCH_PORT: "0", REASONING_PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  child.on("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  return Effect.sync(() => child.kill("SIGKILL"))
}).pipe(Effect.timeoutFail({ duration: "50 seconds", onTimeout: () => new Error("the demo did not exit on its own") }))

const section = (stdout: string, step: number): string => {
  const start = stdout.indexOf(`━━ ${step}.`)
  const end = stdout.indexOf(`━━ ${step + 1}.`)
  return start === -1 ? "" : stdout.slice(start, end === -1 ? undefined : end)
}

describe("the demo", () => {
  it.live("runs every step in fast mode and exits 0 by itself", () =>
    Effect.gen(function*() {
      const { code, stderr, stdout } = yield* runDemo
      expect(stderr).toBe("")
      expect(code).toBe(0)
      expect(stdout).not.toMatch(/\u001b\[/)

      expect(section(stdout, 1)).toMatch(/restaurant-search\s+http:\/\/127\.0\.0\.1:\d+\/mcp/)
      expect(section(stdout, 1)).toMatch(/restaurant-reasoning\s+http:\/\/127\.0\.0\.1:\d+\/mcp/)
      expect(section(stdout, 1)).toMatch(/restaurant-search-stdio\s+stdio: node \S*dist\/main\/search\.js --stdio\s+MCP ping/)

      const inventory = section(stdout, 2)
      for (
        const tool of [
          "restaurant-search__search_restaurants_by_district",
          "restaurant-search__search_restaurants_by_meal_type",
          "restaurant-search__search_restaurants_combined",
          "restaurant-reasoning__recommend_restaurants",
          "restaurant-reasoning__analyze_restaurant_sentiment",
          "restaurant-search-stdio__search_restaurants_by_district",
          "restaurant-search-stdio__search_restaurants_by_meal_type",
          "restaurant-search-stdio__search_restaurants_combined"
        ]
      ) expect(inventory).toContain(tool)
      expect(inventory).toContain("resources: restaurant-search__districts (restaurants://districts), restaurant-search-stdio__districts")
      expect(inventory).toMatch(/prompts: restaurant-search__plan_dinner\(district, budget\), restaurant-search-stdio__plan_dinner/)
      expect(inventory).toContain(`completion of plan_dinner's district from "C": Central, Causeway Bay`)

      const calls = section(stdout, 3)
      expect(calls).toContain("found 2: Harbour Lantern (4.6), Lan Kwai Grill (4.4)")
      expect(calls).toMatch(/1\. Harbour Lantern score [\d.]+ — rated 4\.6/)
      expect(calls).toContain("restaurant-reasoning received Authorization: Bearer demo-u…")
      expect(calls).not.toContain("c2lnbmF0dXJl")
      expect(calls).toMatch(/restaurant-search-stdio\.search_restaurants_by_meal_type .* over stdio\n\s+✓ found 6: Tai Ping Shan Tea House, /)
      expect(calls).toContain("ProtocolError")
      expect(calls).toContain("restaurant-search-stdio is a stdio server: a bearer token or HTTP headers cannot be forwarded")

      expect(section(stdout, 4)).toMatch(/restaurant-search\s+healthy/)
      expect(section(stdout, 4)).toMatch(/restaurant-reasoning\s+healthy/)
      expect(section(stdout, 4)).toMatch(/restaurant-search-stdio\s+healthy/)

      const fault = section(stdout, 5)
      expect(fault).toMatch(/⚠ MCP call failed; retrying in \d+ms server=restaurant-reasoning/)
      expect(fault).toContain("attempt=2/3")
      expect(fault).toContain("✗ typed error TransportError (Connect)")
      expect(fault).toMatch(/restaurant-reasoning\s+unhealthy\s+\d+ ms\s+5\s+open/)
      expect(fault).toContain("now calls fail fast with ServerUnavailableError")
      expect(fault).toContain("✓ restaurant-search keeps working: 4 restaurants in Wan Chai")
      expect(fault).toMatch(/restaurant-search-stdio\s+healthy\s+\d+ ms\s+0\s+closed/)

      const recovery = section(stdout, 6)
      expect(recovery).toMatch(/restaurant-reasoning\s+healthy\s+\d+ ms\s+0\s+closed/)
      expect(recovery).toContain(`✓ analyze_restaurant_sentiment("Harbour Lantern"): positive`)

      // the demo exiting by itself also proves the stdio child ended: its pipes would keep Node alive
      expect(section(stdout, 7)).toMatch(/✓ all sessions closed and the stdio server ended in \d+ ms/)
    }))
})
