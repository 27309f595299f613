/**
 * `status` shows the revision negotiated with each server: 2026-07-28 with a new server (the
 * client's 2026-07-28 fixture, run over stdio), a 2025 revision with the example servers, and the
 * pinned revision of a server configured with `protocolVersion`.
 */
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { fileURLToPath } from "node:url"
import { FixtureLive, FixtureTag, runCli, writeConfig } from "./support.js"

const server2026 = fileURLToPath(new URL("../../client/test/fixtures/server2026.mjs", import.meta.url))

interface Row {
  readonly server: string
  readonly status: string
  readonly protocolVersion: string | null
}

layer(FixtureLive, { excludeTestServices: true, timeout: "30 seconds" })("effect-mcp status and protocol revisions", (it) => {
  describe("status", () => {
    it.effect("shows 2026-07-28 for a new server, the pinned revision for a dual-era one, and 2025 for an old one", () =>
      Effect.gen(function*() {
        const { dir, search } = yield* FixtureTag
        const config = yield* writeConfig(dir, "revisions.json", {
          modern: { command: process.execPath, args: [server2026, "--stdio"] },
          pinned: { command: process.execPath, args: [server2026, "--stdio", "--legacy-too"], protocolVersion: "2025-11-25" },
          legacy: { url: search.url }
        })
        const json = yield* runCli(["status", "--json", "--config", config])
        expect(json.code, json.stderr).toBe(0)
        const rows: ReadonlyArray<Row> = JSON.parse(json.stdout)
        expect(rows.map((row) => [row.server, row.status, row.protocolVersion])).toEqual([
          ["modern", "healthy", "2026-07-28"],
          ["pinned", "healthy", "2025-11-25"],
          // the @effect/ai server picks its own 2025 revision
          ["legacy", "healthy", rows[2]?.protocolVersion]
        ])
        expect(["2025-11-25", "2025-06-18", "2025-03-26"]).toContain(rows[2]?.protocolVersion)
        const table = yield* runCli(["status", "--config", config])
        expect(table.stdout.split("\n")[1]).toMatch(/^modern\s+stdio\s+healthy\s+.*\s2026-07-28\s/)
      }))
  })
})
