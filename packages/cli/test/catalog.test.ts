import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { FixtureLive, FixtureTag, runCli, type Result } from "./support.js"

/** stderr holds exactly one non-empty line, containing every `parts`. */
const oneLine = (result: Result, ...parts: ReadonlyArray<string>) => {
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "")
  expect(lines, result.stderr).toHaveLength(1)
  for (const part of parts) expect(lines[0]).toContain(part)
}

interface ResourceRow {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string | null
  readonly uri: string | null
  readonly uriTemplate: string | null
  readonly mimeType: string | null
}

interface PromptRow {
  readonly server: string
  readonly qualifiedName: string
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly required: boolean }>
}

layer(FixtureLive, { excludeTestServices: true, timeout: "30 seconds" })("effect-mcp resources, read, prompts, prompt", (it) => {
  describe("resources", () => {
    it.effect("lists resources and templates of every server offering them; servers left out are named on stderr", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli(["resources", "--json", "--config", config])
        expect(result.code, result.stderr).toBe(0)
        const rows: ReadonlyArray<ResourceRow> = JSON.parse(result.stdout)
        // restaurant-reasoning offers no resources: neither listed nor named as left out
        expect(rows.map((row) => [row.qualifiedName, row.uri ?? row.uriTemplate])).toEqual([
          ["restaurant-search__districts", "restaurants://districts"],
          ["restaurant-search-stdio__districts", "restaurants://districts"],
          [null, "restaurants://district/{district}"],
          [null, "restaurants://district/{district}"]
        ])
        expect(rows.filter((row) => row.uriTemplate !== null).map((row) => row.server)).toEqual([
          "restaurant-search",
          "restaurant-search-stdio"
        ])
        expect(result.stderr).toContain(`offline: left out: MCP server "offline": Connect`)
        expect(result.stderr).toContain("legacy-sse: left out")
        expect(result.stderr).not.toContain("restaurant-reasoning")

        const table = yield* runCli(["resources", "restaurant-search", "--config", config])
        expect(table.code, table.stderr).toBe(0)
        expect(table.stdout.split("\n")[0]).toMatch(/^RESOURCE\s+URI\s+TYPE\s+DESCRIPTION$/)
        expect(table.stdout).toContain("restaurant-search__districts")
        expect(table.stdout).toContain("restaurants://district/{district}")
        expect(table.stdout).not.toContain("restaurant-search-stdio")
      }))

    it.effect("one server without resources exits 8 naming it and the capability (-32601); an unknown one exits 3", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const none = yield* runCli(["resources", "restaurant-reasoning", "--config", config])
        expect(none.code).toBe(8)
        oneLine(none, `MCP server "restaurant-reasoning" did not announce the "resources" capability`)
        const unknown = yield* runCli(["resources", "nowhere", "--config", config])
        expect(unknown.code).toBe(3)
      }))
  })

  describe("read", () => {
    it.effect("prints a resource's text, from a template filled in, over HTTP and stdio", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        for (const server of ["restaurant-search", "restaurant-search-stdio"]) {
          const result = yield* runCli(["read", server, "restaurants://district/Central", "--config", config])
          expect(result.code, result.stderr).toBe(0)
          const restaurants: ReadonlyArray<{ readonly district: string }> = JSON.parse(result.stdout)
          expect(restaurants).toHaveLength(4)
          expect(new Set(restaurants.map((restaurant) => restaurant.district))).toEqual(new Set(["Central"]))
        }
        const json = yield* runCli(["read", "restaurant-search", "restaurants://districts", "--json", "--config", config])
        expect(json.code, json.stderr).toBe(0)
        const read: { readonly contents: ReadonlyArray<{ readonly uri: string; readonly text: string }> } = JSON.parse(json.stdout)
        expect(read.contents[0]!.uri).toBe("restaurants://districts")
        expect(JSON.parse(read.contents[0]!.text)).toContain("Central")
      }))
  })

  describe("--auth", () => {
    it.effect("read and prompt forward the token to an HTTP server; a stdio server refuses it (exit 4)", () =>
      Effect.gen(function*() {
        const { config, search } = yield* FixtureTag
        const read = yield* runCli(["read", "restaurant-search", "restaurants://districts", "--auth", "reader-jwt", "--config", config])
        expect(read.code, read.stderr).toBe(0)
        const prompt = yield* runCli([
          "prompt",
          "restaurant-search",
          "plan_dinner",
          "-a",
          "district=Central",
          "-a",
          "budget=1",
          "--auth",
          "prompter-jwt",
          "--config",
          config
        ])
        expect(prompt.code, prompt.stderr).toBe(0)
        expect(search.authorizations).toContain("Bearer reader-jwt")
        expect(search.authorizations).toContain("Bearer prompter-jwt")
        const stdio = yield* runCli(["read", "restaurant-search-stdio", "restaurants://districts", "--auth", "reader-jwt", "--config", config])
        expect(stdio.code).toBe(4)
        oneLine(stdio, "is a stdio server: a bearer token or HTTP headers cannot be forwarded")
        expect(stdio.stderr).not.toContain("reader-jwt")
      }))
  })

  describe("prompts and prompt", () => {
    it.effect("lists prompts with their arguments; prints a prompt filled in", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const list = yield* runCli(["prompts", "restaurant-search", "--json", "--config", config])
        expect(list.code, list.stderr).toBe(0)
        const rows: ReadonlyArray<PromptRow> = JSON.parse(list.stdout)
        expect(rows).toEqual([expect.objectContaining({
          server: "restaurant-search",
          qualifiedName: "restaurant-search__plan_dinner",
          arguments: [expect.objectContaining({ name: "district", required: true }), expect.objectContaining({ name: "budget", required: true })]
        })])

        const prompt = yield* runCli([
          "prompt",
          "restaurant-search-stdio",
          "plan_dinner",
          "--arg",
          "district=Wan Chai",
          "-a",
          "budget=2",
          "--config",
          config
        ])
        expect(prompt.code, prompt.stderr).toBe(0)
        expect(prompt.stdout).toContain("[user]\nPlan a dinner in Wan Chai at price level 2 or below")
      }))

    it.effect("an unknown prompt exits 4; --arg without = exits 2", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const unknown = yield* runCli(["prompt", "restaurant-search", "no_such_prompt", "--config", config])
        expect(unknown.code).toBe(4)
        oneLine(unknown, `MCP server "restaurant-search"`, "-32602")
        const usage = yield* runCli(["prompt", "restaurant-search", "plan_dinner", "--arg", "district", "--config", config])
        expect(usage.code).toBe(2)
        oneLine(usage, "--arg expects key=value")
      }))
  })
})
