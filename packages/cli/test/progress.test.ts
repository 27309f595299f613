import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { runCli } from "./support.js"

/** `@modelcontextprotocol/server-everything` over stdio, as an inline mcpServers file. */
const everything = JSON.stringify({
  mcpServers: {
    everything: {
      command: process.execPath,
      // the package has no `main`, only its `bin`
      args: [
        join(dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json")), "dist", "index.js"),
        "stdio"
      ]
    }
  }
})

describe("effect-mcp call, progress", () => {
  it.live("prints each progress report on stderr as it comes, the result on stdout", () =>
    Effect.gen(function*() {
      const result = yield* runCli([
        "call",
        "everything",
        "trigger-long-running-operation",
        "--arg",
        "duration=1",
        "--arg",
        "steps=3",
        "--config",
        everything
      ])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toContain("Long running operation completed")
      expect(result.stdout).not.toContain("progress")
      expect(result.stderr.split("\n").filter((line) => line !== "")).toEqual(["progress 1/3", "progress 2/3", "progress 3/3"])
    }), { timeout: 30_000 })
})
