import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { FixtureLive, FixtureTag, runCli, type Result, STDIO_SECRET, stdioCommandLine, writeConfig } from "./support.js"

/** stderr holds exactly one non-empty line, containing every `parts`. */
const oneLine = (result: Result, ...parts: ReadonlyArray<string>) => {
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "")
  expect(lines, result.stderr).toHaveLength(1)
  for (const part of parts) expect(lines[0]).toContain(part)
  expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
}

const ESC = "\u001b["

interface StatusRow {
  readonly server: string
  readonly transport: string | null
  readonly url: string | null
  readonly command: string | null
  readonly status: string
  readonly consecutiveFailures: number | null
  readonly circuit: string | null
  readonly tools: number | null
  readonly missingTools: ReadonlyArray<string>
  readonly protocolVersion: string | null
  readonly responseTimeMs: number | null
  readonly unsupported: string | null
}

interface ToolRow {
  readonly server: string
  readonly name: string
  readonly qualifiedName: string
  readonly description: string | null
  readonly hints: { readonly readOnly: boolean; readonly idempotent: boolean; readonly destructive: boolean }
}

interface CallResult {
  readonly content: ReadonlyArray<{ readonly type: string; readonly text?: string }>
  readonly structuredContent?: {
    readonly count: number
    readonly restaurants: ReadonlyArray<{ readonly name: string; readonly district: string; readonly priceLevel: number }>
  }
  readonly isError?: boolean
}

const VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"]

layer(FixtureLive, { excludeTestServices: true, timeout: "30 seconds" })("effect-mcp", (it) => {
  describe("status", () => {
    it.effect("prints one row per server, unsupported entries included", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli(["status", "--config", config])
        expect(result.code, result.stderr).toBe(0)
        const lines = result.stdout.trimEnd().split("\n")
        expect(lines[0]).toMatch(
          /^SERVER\s+TRANSPORT\s+HEALTH\s+LATENCY\s+FAILURES\s+CIRCUIT\s+TOOLS\s+PROTOCOL\s+AUTH\s+ENDPOINT\s+NOTE$/
        )
        expect(lines[1]).toMatch(
          /^restaurant-search\s+http\s+healthy\s+\d+ms\s+0\s+closed\s+3\s+20\d\d-\d\d-\d\d\s+-\s+http:\/\/127\.0\.0\.1:\d+\/mcp$/
        )
        expect(lines[2]).toMatch(/^restaurant-reasoning\s+http\s+healthy\s+\d+ms\s+0\s+closed\s+2\s+20\d\d-\d\d-\d\d\s+-\s+http:\/\//)
        expect(lines[3]).toMatch(/^offline\s+http\s+unhealthy\s+\d+ms\s+1\s+closed\s+-\s+-\s+-\s+http:\/\/\S+\s+MCP server "offline": Connect/)
        // the command where the URL would be, never the environment
        expect(lines[4]).toMatch(/^restaurant-search-stdio\s+stdio\s+healthy\s+\d+ms\s+0\s+closed\s+3\s+20\d\d-\d\d-\d\d\s+-\s+/)
        expect(lines[4]!.endsWith(stdioCommandLine)).toBe(true)
        // unsupported entries come last
        expect(lines[5]).toMatch(/^legacy-sse\s+-\s+unsupported\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+legacy HTTP\+SSE/)
        expect(result.stdout).not.toContain(STDIO_SECRET)
        expect(result.stdout).not.toContain(ESC) // not a terminal: no colours
      }))

    it.effect("--json prints an array of rows; MCP_CONFIG names the file without --config", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli(["status", "--json"], { MCP_CONFIG: config })
        expect(result.code, result.stderr).toBe(0)
        const rows: ReadonlyArray<StatusRow> = JSON.parse(result.stdout)
        expect(rows.map((row) => [row.server, row.status, row.tools])).toEqual([
          ["restaurant-search", "healthy", 3],
          ["restaurant-reasoning", "healthy", 2],
          ["offline", "unhealthy", null],
          ["restaurant-search-stdio", "healthy", 3],
          ["legacy-sse", "unsupported", null]
        ])
        expect(VERSIONS).toContain(rows[0]!.protocolVersion)
        expect(VERSIONS).toContain(rows[1]!.protocolVersion)
        expect(rows[0]).toMatchObject({ consecutiveFailures: 0, circuit: "closed", missingTools: [] })
        expect(rows[0]!.responseTimeMs).toBeTypeOf("number")
        expect(rows[2]).toMatchObject({ consecutiveFailures: 1, circuit: "closed", protocolVersion: null })
        expect(rows[4]!.unsupported).toContain("legacy HTTP+SSE")
        expect(rows.map((row) => row.transport)).toEqual(["http", "http", "http", "stdio", null])
        expect(rows[0]).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/), command: null })
        expect(rows[3]).toMatchObject({ url: null, command: stdioCommandLine, circuit: "closed" })
        expect(VERSIONS).toContain(rows[3]!.protocolVersion)
        expect(result.stdout).not.toContain(STDIO_SECRET)
      }))
  })

  describe("tools", () => {
    it.effect("lists qualified names, hints and descriptions; unreachable servers are named on stderr", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli(["tools", "--config", config])
        expect(result.code, result.stderr).toBe(0)
        const lines = result.stdout.trimEnd().split("\n")
        expect(lines[0]).toMatch(/^TOOL\s+HINTS\s+DESCRIPTION$/)
        expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([
          "restaurant-search__search_restaurants_by_district",
          "restaurant-search__search_restaurants_by_meal_type",
          "restaurant-search__search_restaurants_combined",
          "restaurant-reasoning__recommend_restaurants",
          "restaurant-reasoning__analyze_restaurant_sentiment",
          "restaurant-search-stdio__search_restaurants_by_district",
          "restaurant-search-stdio__search_restaurants_by_meal_type",
          "restaurant-search-stdio__search_restaurants_combined"
        ])
        expect(lines[1]).toMatch(/\sread-only\s+Find restaurants in a Hong Kong district/)
        expect(result.stderr).toContain("offline: left out")
        expect(result.stderr).toContain("legacy-sse: unsupported")
      }))

    it.effect("--json, and one server only", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const all = yield* runCli(["tools", "--json", "--config", config])
        expect(all.code, all.stderr).toBe(0)
        const rows: ReadonlyArray<ToolRow> = JSON.parse(all.stdout)
        expect(rows).toHaveLength(8)
        expect(rows.every((row) => row.hints.readOnly && !row.hints.destructive)).toBe(true)
        const one = yield* runCli(["tools", "restaurant-reasoning", "--json", "--config", config])
        expect(one.code, one.stderr).toBe(0)
        const reasoning: ReadonlyArray<ToolRow> = JSON.parse(one.stdout)
        expect(reasoning.map((row) => row.qualifiedName)).toEqual([
          "restaurant-reasoning__recommend_restaurants",
          "restaurant-reasoning__analyze_restaurant_sentiment"
        ])
        expect(reasoning[1]).toMatchObject({ server: "restaurant-reasoning", name: "analyze_restaurant_sentiment" })
      }))

    it.effect("an unknown server exits 3, an unreachable one 6", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const unknown = yield* runCli(["tools", "nowhere", "--config", config])
        expect(unknown.code).toBe(3)
        oneLine(unknown, `Unknown MCP server "nowhere"`, "restaurant-search")
        const offline = yield* runCli(["tools", "offline", "--config", config])
        expect(offline.code).toBe(6)
        oneLine(offline, `MCP server "offline": Connect`)
      }))
  })

  describe("stdio servers", () => {
    it.effect("tools and call work on a stdio server like on an HTTP one", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const tools = yield* runCli(["tools", "restaurant-search-stdio", "--json", "--config", config])
        expect(tools.code, tools.stderr).toBe(0)
        const rows: ReadonlyArray<ToolRow> = JSON.parse(tools.stdout)
        expect(rows.map((row) => row.qualifiedName)).toEqual([
          "restaurant-search-stdio__search_restaurants_by_district",
          "restaurant-search-stdio__search_restaurants_by_meal_type",
          "restaurant-search-stdio__search_restaurants_combined"
        ])
        const call = yield* runCli([
          "call",
          "restaurant-search-stdio",
          "search_restaurants_by_district",
          "--arg",
          "district=Central",
          "--config",
          config
        ])
        expect(call.code, call.stderr).toBe(0)
        expect(JSON.parse(call.stdout)).toMatchObject({ count: 4 })
        expect(call.stderr).toBe("")
      }))

    it.effect("--auth is refused for a stdio server: exit 4, one line, nothing sent", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli([
          "call",
          "restaurant-search-stdio",
          "search_restaurants_by_district",
          "--arg",
          "district=Central",
          "--auth",
          "user-jwt-secret",
          "--config",
          config
        ])
        expect(result.code).toBe(4)
        oneLine(
          result,
          `MCP server "restaurant-search-stdio"`,
          "-32602",
          "is a stdio server: a bearer token or HTTP headers cannot be forwarded to a child process"
        )
        expect(result.stderr).not.toContain("user-jwt-secret")
        expect(result.stdout).toBe("")
      }))

    it.effect("a command that does not exist: status shows it unhealthy, call and tools exit 6 naming the server", () =>
      Effect.gen(function*() {
        const { dir } = yield* FixtureTag
        const missing = "/nonexistent/effect-mcp-test/no-such-server"
        const config = yield* writeConfig(dir, "ghost.json", { ghost: { command: missing, args: ["--stdio"], retry: { times: 1 } } })
        const status = yield* runCli(["status", "--config", config])
        expect(status.code, status.stderr).toBe(0)
        expect(status.stdout.trimEnd().split("\n")[1]).toMatch(
          new RegExp(`^ghost\\s+stdio\\s+unhealthy\\s+\\d+ms\\s+1\\s+closed\\s+-\\s+-\\s+-\\s+${missing} --stdio\\s+MCP server "ghost": Connect`)
        )
        const call = yield* runCli(["call", "ghost", "some_tool", "--config", config])
        expect(call.code).toBe(6)
        oneLine(call, `MCP server "ghost"`, "Connect", missing)
        const tools = yield* runCli(["tools", "ghost", "--config", config])
        expect(tools.code).toBe(6)
        oneLine(tools, `MCP server "ghost"`, missing)
      }).pipe(Effect.orDie))
  })

  describe("call", () => {
    it.effect("prints the result; --arg values are JSON when they parse", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli([
          "call",
          "restaurant-search",
          "search_restaurants_by_district",
          "--arg",
          "district=Central",
          "--config",
          config
        ])
        expect(result.code, result.stderr).toBe(0)
        expect(JSON.parse(result.stdout)).toMatchObject({ count: 4 })
        expect(result.stdout).toContain(`"name": "Harbour Lantern"`)
        expect(result.stderr).toBe("")
      }))

    it.effect("--json prints the CallToolResult; json-args and --arg combine", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli([
          "call",
          "--json",
          "--config",
          config,
          "restaurant-search",
          "search_restaurants_combined",
          `{"district": "Central", "max_price_level": 4}`,
          "--arg",
          "max_price_level=2"
        ])
        expect(result.code, result.stderr).toBe(0)
        const parsed: CallResult = JSON.parse(result.stdout)
        expect(parsed.content[0]?.type).toBe("text")
        const restaurants = parsed.structuredContent!.restaurants
        expect(restaurants.length).toBeGreaterThan(0)
        expect(restaurants.every((r) => r.district === "Central" && r.priceLevel <= 2)).toBe(true)
        expect(parsed.isError ?? false).toBe(false)
      }))

    it.effect("unknown server and unknown tool exit 3", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const server = yield* runCli(["call", "nowhere", "some_tool", "--config", config])
        expect(server.code).toBe(3)
        oneLine(server, `Unknown MCP server "nowhere"`)
        const tool = yield* runCli(["call", "restaurant-search", "find_pizza", "--config", config])
        expect(tool.code).toBe(3)
        oneLine(tool, `MCP server "restaurant-search" offers no tool "find_pizza"`, "search_restaurants_by_district")
      }))

    it.effect("invalid arguments exit 4 (a token that cannot be a header is refused with -32602)", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const result = yield* runCli([
          "call",
          "restaurant-search",
          "search_restaurants_by_district",
          "--arg",
          "district=Central",
          "--auth",
          "not a token",
          "--config",
          config
        ])
        expect(result.code).toBe(4)
        oneLine(result, `MCP server "restaurant-search", tool "search_restaurants_by_district"`, "-32602")
        expect(result.stderr).not.toContain("not a token")
      }))

    it.effect("an open circuit exits 5", () =>
      Effect.gen(function*() {
        const { flakyConfig } = yield* FixtureTag
        const result = yield* runCli(["call", "flaky", "some_tool", "--config", flakyConfig])
        expect(result.code).toBe(5)
        oneLine(result, `MCP server "flaky" is unavailable after 5 consecutive failures`)
      }))

    it.effect("a closed port exits 6, an unsupported entry too", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const offline = yield* runCli(["call", "offline", "some_tool", "{}", "--config", config])
        expect(offline.code).toBe(6)
        oneLine(offline, `MCP server "offline"`, "Connect")
        const sse = yield* runCli(["call", "legacy-sse", "read", "--config", config])
        expect(sse.code).toBe(6)
        oneLine(sse, `MCP server "legacy-sse"`, "legacy HTTP+SSE")
      }))

    it.effect("a tool error exits 7; --json still prints the result", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const args = ["call", "restaurant-search", "search_restaurants_by_district", `{"district": "Atlantis"}`]
        const plain = yield* runCli([...args, "--config", config])
        expect(plain.code).toBe(7)
        oneLine(plain, `MCP server "restaurant-search", tool "search_restaurants_by_district" reported an error`, "Atlantis")
        expect(plain.stdout).toBe("")
        const json = yield* runCli([...args, "--json", "--config", config])
        expect(json.code).toBe(7)
        const parsed: CallResult = JSON.parse(json.stdout)
        expect(parsed.isError).toBe(true)
        expect(parsed.content[0]?.text).toContain(`Unknown district \\"Atlantis\\"`)
        // the @effect/ai server answers a parameter of the wrong type with isError, not -32602
        const wrongType = yield* runCli([
          "call",
          "restaurant-search",
          "search_restaurants_by_district",
          `{"district": 42}`,
          "--config",
          config
        ])
        expect(wrongType.code).toBe(7)
        oneLine(wrongType, "Expected string, actual 42")
      }))
  })

  describe("bad configuration and bad usage exit 2 with one line", () => {
    it.effect("configuration", () =>
      Effect.gen(function*() {
        const { dir } = yield* FixtureTag
        const missing = yield* runCli(["status"])
        expect(missing.code).toBe(2)
        oneLine(missing, "MCP_CONFIG", "--config")
        const nofile = yield* runCli(["status", "--config", `${dir}/nope.json`])
        expect(nofile.code).toBe(2)
        oneLine(nofile, "nope.json", "cannot be read")
        const bad = yield* writeConfig(dir, "bad.json", { broken: { url: "ftp://example.com" } })
        const invalid = yield* runCli(["tools", "--config", bad])
        expect(invalid.code).toBe(2)
        oneLine(invalid, "bad.json at mcpServers.broken.url", "must be http or https")
      }).pipe(Effect.orDie))

    it.effect("command line", () =>
      Effect.gen(function*() {
        const { config } = yield* FixtureTag
        const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
          [["call", "restaurant-search"], "Missing argument <tool>"],
          [["call", "restaurant-search", "search_restaurants_by_district", "[1, 2]"], "json-args must be a JSON object, got an array"],
          [["call", "restaurant-search", "search_restaurants_by_district", "{district"], "json-args is not valid JSON"],
          [["call", "restaurant-search", "search_restaurants_by_district", "--arg", "district"], "--arg expects key=value"],
          [["frobnicate"], "Invalid subcommand"],
          [["status", "--frobnicate"], "--frobnicate"],
          [["watch", "--interval", "soon"], "--interval: not a positive duration"]
        ]
        const results = yield* Effect.forEach(cases, ([args]) => runCli([...args, "--config", config]), { concurrency: 2 })
        cases.forEach(([args, message], i) => {
          const result = results[i]!
          expect(result.code, args.join(" ")).toBe(2)
          oneLine(result, message)
          expect(result.stderr).not.toContain(ESC)
        })
      }))
  })

  it.effect("--help on every command shows the exit codes, without colours off a terminal", () =>
    Effect.gen(function*() {
      const commands = [[], ["status"], ["tools"], ["call"], ["watch"]]
      const results = yield* Effect.forEach(commands, (command) => runCli([...command, "--help"]), { concurrency: 2 })
      results.forEach((result, i) => {
        expect(result.code, commands[i]!.join(" ")).toBe(0)
        expect(result.stdout).toContain("EXIT CODES")
        expect(result.stdout).toContain("7  the tool reported an error")
        expect(result.stdout).not.toContain(ESC)
      })
      expect(results[3]!.stdout).toMatch(/--arg key=value/)
      expect(results[3]!.stdout).toMatch(/<server> <tool> \[<json-args>\]/)
      expect(results[4]!.stdout).toMatch(/--interval duration/)
    }))
})
