import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { McpConfigFile, McpHealth, McpRetry, McpServerConfig } from "../src/index.js"
import { ProtocolError, ServerUnavailableError, ToolCallError, TransportError, UnknownToolError } from "../src/McpError.js"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Attempt from "../src/internal/attempt.js"
import * as CallToolResult from "../src/internal/callToolResult.js"
import { MAX_QUALIFIED_LENGTH, qualify } from "../src/internal/toolNames.js"

describe("health state machine", () => {
  type Step =
    | { readonly kind: "probe" | "call"; readonly ok: boolean }
    | { readonly kind: "interrupted call" }
    | { readonly kind: "wait"; readonly millis: number }

  const step: FastCheck.Arbitrary<Step> = FastCheck.oneof(
    FastCheck.record({ kind: FastCheck.constantFrom("probe" as const, "call" as const), ok: FastCheck.boolean() }),
    FastCheck.constant({ kind: "interrupted call" as const }),
    FastCheck.record({ kind: FastCheck.constant("wait" as const), millis: FastCheck.integer({ min: 0, max: 20_000 }) })
  )

  /** The reference: a counter, a circuit flag and a reopening time, written without McpHealth. */
  interface Model {
    failures: number
    status: McpHealth.Status
    circuit: McpHealth.Circuit
    reopensAt: number
    calls: number
  }

  it.prop(
    "for any sequence of probes, calls and waits the state equals the reference model",
    {
      steps: FastCheck.array(step, { maxLength: 60 }),
      threshold: FastCheck.integer({ min: 1, max: 5 }),
      reset: FastCheck.integer({ min: 1, max: 15_000 })
    },
    ({ reset, steps, threshold }) => {
      const options: McpHealth.CircuitOptions = { failureThreshold: threshold, resetAfter: Duration.millis(reset) }
      let now = 0
      let health = McpHealth.unknown("s")
      const model: Model = { failures: 0, status: "unknown", circuit: "closed", reopensAt: 0, calls: 0 }
      const outcome = (ok: boolean) => {
        if (ok) {
          model.failures = 0
          model.status = "healthy"
          model.circuit = "closed"
          return
        }
        model.failures += 1
        model.status = "unhealthy"
        if (model.circuit === "half-open" || (model.circuit === "closed" && model.failures >= threshold)) {
          model.circuit = "open"
          model.reopensAt = now + reset
        }
      }
      for (const s of steps) {
        const at = DateTime.unsafeMake(now)
        if (s.kind === "wait") {
          now += s.millis
          continue
        }
        if (s.kind === "interrupted call") {
          // admitted, then interrupted before any outcome: a trial gives its place to the next call
          const [admission, admitted] = McpHealth.admit(health, at)
          health = admission === "trial" ? McpHealth.abandonTrial(admitted, at) : admitted
          if (model.circuit === "open" && now >= model.reopensAt) model.reopensAt = now
        } else if (s.kind === "probe") {
          health = McpHealth.observe(health, s.ok ? { _tag: "Success", source: "probe", responseTimeMs: 1 } : { _tag: "Failure", source: "probe", error: "down" }, at, options)
          outcome(s.ok)
        } else {
          const [admission, admitted] = McpHealth.admit(health, at)
          const modelAdmits = model.circuit === "closed" || (model.circuit === "open" && now >= model.reopensAt)
          expect(admission !== "reject").toBe(modelAdmits)
          if (modelAdmits) {
            if (model.circuit === "open") model.circuit = "half-open"
            health = McpHealth.observe(admitted, s.ok ? { _tag: "Success", source: "call" } : { _tag: "Failure", source: "call", error: "down" }, at, options)
            outcome(s.ok)
            model.calls += 1
          }
        }
        expect(health.consecutiveFailures).toBe(model.failures)
        expect(health.status).toBe(model.status)
        expect(health.circuit).toBe(model.circuit)
        if (model.circuit === "open") expect(health.retryAt?.epochMillis).toBe(model.reopensAt)
      }
    }
  )
})

describe("retry policy", () => {
  const policy = FastCheck.record({
    times: FastCheck.integer({ min: 1, max: 8 }),
    base: FastCheck.integer({ min: 1, max: 5_000 }),
    extra: FastCheck.integer({ min: 0, max: 60_000 })
  }).map(({ base, extra, times }): McpRetry.Policy => ({ times, base: Duration.millis(base), max: Duration.millis(base + extra) }))

  it.effect.prop(
    "delays stay within [base, max] and there are never more attempts than configured",
    {
      policy,
      failures: FastCheck.array(FastCheck.option(FastCheck.integer({ min: 0, max: 120 }), { nil: undefined }), { minLength: 1, maxLength: 12 })
    },
    ({ failures, policy }) =>
      Effect.gen(function*() {
        let attempts = 0
        const waits: Array<Duration.Duration> = []
        const attempt = Effect.suspend(() => {
          const index = attempts++
          const retryAfter = failures[index]
          return index >= failures.length
            ? Effect.void
            : Effect.fail(new TransportError({
              server: "s",
              reason: "Status",
              detail: "busy",
              status: 503,
              ...(retryAfter === undefined ? {} : { retryAfter: Duration.seconds(retryAfter) })
            }))
        })
        const retried = yield* Effect.fork(Effect.retry(
          attempt,
          McpRetry.schedule<TransportError>(policy, {
            retryAfter: (error) => error.retryAfter,
            onRetry: (_, wait) => Effect.sync(() => waits.push(wait))
          })
        ))
        for (let i = 0; i < policy.times; i++) yield* TestClock.adjust(policy.max)
        yield* Fiber.await(retried)
        // the model: attempt k fails while k < failures.length; it is retried unless the attempts
        // are used up or the server's Retry-After is longer than the cap
        let expected = 1
        while (
          expected - 1 < failures.length && expected < policy.times &&
          !((failures[expected - 1] ?? 0) * 1000 > Duration.toMillis(policy.max))
        ) expected++
        expect(attempts).toBe(expected)
        expect(attempts).toBeLessThanOrEqual(policy.times)
        expect(waits.length).toBe(attempts - 1)
        for (const wait of waits) {
          expect(Duration.lessThan(wait, policy.base)).toBe(false)
          expect(Duration.greaterThan(wait, policy.max)).toBe(false)
        }
      })
  )

  it.prop(
    "a delay is exponential with ±20 % jitter before clamping, and Retry-After is a floor",
    { policy, retry: FastCheck.integer({ min: 1, max: 10 }), random: FastCheck.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), after: FastCheck.integer({ min: 0, max: 100_000 }) },
    ({ after, policy, random, retry }) => {
      const base = Duration.toMillis(policy.base)
      const max = Duration.toMillis(policy.max)
      const exponential = base * 2 ** (retry - 1)
      const plain = Duration.toMillis(McpRetry.delay(policy, retry, random))
      expect(plain).toBeGreaterThanOrEqual(Math.min(max, Math.max(base, Math.floor(exponential * 0.8))))
      expect(plain).toBeLessThanOrEqual(Math.min(max, Math.ceil(exponential * 1.2)))
      const withAfter = Duration.toMillis(McpRetry.delay(policy, retry, random, Duration.millis(after)))
      expect(withAfter).toBe(Math.min(max, Math.max(plain, after)))
    }
  )
})

describe("what a failure means", () => {
  const status = FastCheck.integer({ min: 100, max: 599 })
  const reasons: ReadonlyArray<TransportError["reason"]> = ["Connect", "Timeout", "Status", "Decode", "Closed"]
  const transportError = FastCheck.record({
    reason: FastCheck.constantFrom(...reasons),
    status: FastCheck.option(status, { nil: undefined }),
    malformed: FastCheck.option(FastCheck.boolean(), { nil: undefined })
  }).map(({ malformed, reason, status }) =>
    new TransportError({
      server: "s",
      reason,
      detail: "d",
      ...(status === undefined ? {} : { status }),
      ...(malformed === undefined ? {} : { malformed })
    })
  )
  const answered = FastCheck.constantFrom(
    ProtocolError.fromAnswer({ server: "s", tool: "t", code: -32602, message: "bad" }),
    new ToolCallError({ server: "s", tool: "t", content: [] }),
    new UnknownToolError({ server: "s", tool: "t", available: [] }),
    new ServerUnavailableError({ server: "s", consecutiveFailures: 5, retryAt: DateTime.unsafeMake(0) })
  )

  it.prop("statuses: 5xx, 408 and 429 say the server is unwell; other 4xx are refusals; only 408, 429, 500, 502, 503, 504 are transient", { status }, ({ status }) => {
    expect(McpRetry.isServerFailureStatus(status)).toBe(status >= 500 || status === 408 || status === 429)
    expect(McpRetry.isRefusalStatus(status)).toBe(status >= 400 && status < 500 && status !== 408 && status !== 429)
    expect(McpRetry.isTransientStatus(status)).toBe([408, 429, 500, 502, 503, 504].includes(status))
    const error = new TransportError({ server: "s", reason: "Status", detail: "d", status })
    expect(McpRetry.isServerFailure(error)).toBe(McpRetry.isServerFailureStatus(status))
    expect(McpRetry.isTransient(error)).toBe(McpRetry.isTransientStatus(status))
  })

  it.prop("a transport failure other than a status always says the server is unwell", { error: transportError }, ({ error }) => {
    if (error.reason !== "Status") expect(McpRetry.isServerFailure(error)).toBe(true)
    // what may pass when sent again is a server failure, and what provably did not run may pass
    if (McpRetry.isTransient(error)) expect(McpRetry.isServerFailure(error)).toBe(true)
    if (McpRetry.provablyNotRun(error)) expect(McpRetry.isTransient(error)).toBe(true)
  })

  it.prop("an answer proves the server alive and is never retried", { error: answered, safe: FastCheck.boolean(), sent: FastCheck.boolean() }, ({ error, safe, sent }) => {
    expect(McpRetry.isServerFailure(error)).toBe(false)
    expect(McpRetry.shouldRetry(error, safe)).toBe(false)
    expect(Attempt.mayRetry({ sent, safeToRepeat: safe }, error)).toBe(false)
  })

  it.prop(
    "a request that never left is retried on any transient failure; one that left only as the tool's safety allows",
    { error: transportError, safe: FastCheck.boolean() },
    ({ error, safe }) => {
      expect(Attempt.mayRetry({ sent: false, safeToRepeat: safe }, error)).toBe(McpRetry.isTransient(error))
      expect(Attempt.mayRetry({ sent: true, safeToRepeat: safe }, error)).toBe(McpRetry.shouldRetry(error, safe))
      // after it left, an unsafe tool is retried only when the server provably did not run it
      expect(Attempt.mayRetry({ sent: true, safeToRepeat: false }, error)).toBe(McpRetry.provablyNotRun(error))
    }
  )
})

describe("qualified tool names", () => {
  const name = FastCheck.oneof(
    FastCheck.string({ minLength: 1, maxLength: 80 }),
    FastCheck.stringMatching(/^[a-z_]{1,70}$/),
    FastCheck.constantFrom("search", "search_restaurants_by_district", "a.b", "a_b", "a-b")
  )

  it.prop(
    "are unique, at most 64 characters of [A-Za-z0-9_-], for any servers and tools",
    { pairs: FastCheck.uniqueArray(FastCheck.record({ server: name, tool: name }), { maxLength: 40, selector: (p) => `${p.server}\u0000${p.tool}` }) },
    ({ pairs }) => {
      const names = qualify(pairs)
      expect(new Set(names).size).toBe(pairs.length)
      for (const qualified of names) {
        expect(qualified.length).toBeLessThanOrEqual(MAX_QUALIFIED_LENGTH)
        expect(qualified).toMatch(/^[A-Za-z0-9_-]+$/)
      }
    }
  )

  it("keeps short names readable", () => {
    expect(qualify([{ server: "restaurant-search", tool: "search_restaurants_by_district" }])).toEqual([
      "restaurant-search__search_restaurants_by_district"
    ])
  })
})

describe("config file", () => {
  const word = FastCheck.stringMatching(/^[a-z][a-z0-9-]{0,11}$/)
  const common = {
    name: word,
    timeout: FastCheck.integer({ min: 1, max: 120_000 }).map(Duration.millis),
    retry: FastCheck.record({
      times: FastCheck.integer({ min: 1, max: 6 }),
      base: FastCheck.integer({ min: 0, max: 1000 }).map(Duration.millis),
      max: FastCheck.integer({ min: 1000, max: 20_000 }).map(Duration.millis)
    }, { requiredKeys: [] }),
    tools: FastCheck.array(word, { maxLength: 4 }),
    maxConcurrency: FastCheck.integer({ min: 1, max: 64 })
  }
  const input: FastCheck.Arbitrary<McpServerConfig.Input> = FastCheck.oneof(
    FastCheck.record({
      ...common,
      url: word.map((host) => `http://${host}.example:8080/mcp`),
      healthPath: FastCheck.constantFrom("/health", "/status"),
      headers: FastCheck.dictionary(FastCheck.stringMatching(/^x-[a-z]{1,8}$/), word)
    }, { requiredKeys: ["name", "url"] }),
    FastCheck.record({
      ...common,
      command: word,
      args: FastCheck.array(word, { maxLength: 3 }),
      env: FastCheck.dictionary(FastCheck.stringMatching(/^[A-Z][A-Z_]{0,8}$/), word),
      cwd: FastCheck.constantFrom("/tmp", "relative/dir")
    }, { requiredKeys: ["name", "command"] })
  )

  it.effect.prop(
    "decoding then encoding is stable",
    { servers: FastCheck.uniqueArray(input, { maxLength: 5, selector: (server) => server.name }) },
    ({ servers }) =>
      Effect.gen(function*() {
        const encoded = McpConfigFile.encode({ servers, unsupported: [{ name: "zz-legacy", reason: "", entry: { type: "sse", url: "http://legacy.example/sse" } }] })
        const decoded = yield* McpConfigFile.decode(JSON.parse(JSON.stringify(encoded)), "test.json")
        expect(McpConfigFile.encode(decoded)).toEqual(encoded)
        const again = yield* McpConfigFile.decode(McpConfigFile.encode(decoded), "test.json")
        expect(again).toEqual(decoded)
        expect(decoded.servers.map((server) => server.name)).toEqual(servers.map((server) => server.name))
        expect(decoded.unsupported.map((entry) => entry.name)).toEqual(["zz-legacy"])
      }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )
})

describe("tools/call results", () => {
  const text = FastCheck.record({ type: FastCheck.constant("text"), text: FastCheck.string() })
  // servers write a block's keys in either order
  const anyOrder = FastCheck.oneof(text, text.map(({ text, type }) => ({ text, type })))
  const textOnly = FastCheck.record({ content: FastCheck.array(anyOrder, { maxLength: 4 }), isError: FastCheck.boolean() }, { requiredKeys: ["content"] })
  const block = FastCheck.oneof(
    text.map((block) => ({ ...block, annotations: { priority: 0.5 } })),
    text.map((block) => ({ ...block, extra: 1 })),
    FastCheck.record({ type: FastCheck.constantFrom("text", "image", "other"), text: FastCheck.oneof(FastCheck.string(), FastCheck.integer()) }, { requiredKeys: ["type"] }),
    FastCheck.record({ type: FastCheck.constant("image"), data: FastCheck.base64String(), mimeType: FastCheck.constant("image/png") }),
    FastCheck.jsonValue()
  )
  /** A result of text blocks with one thing changed: what a server may answer beside the usual. */
  const nearMiss = FastCheck.tuple(
    textOnly,
    FastCheck.constantFrom("structuredContent", "_meta", "other", "isError", "block", "content", "no content"),
    FastCheck.nat(),
    block,
    FastCheck.jsonValue()
  ).map(([result, change, at, block, value]) => {
    const changed: Record<string, unknown> = { ...result }
    switch (change) {
      case "block": {
        const place = at % (result.content.length + 1)
        changed["content"] = [...result.content.slice(0, place), block, ...result.content.slice(place)]
        break
      }
      case "no content":
        delete changed["content"]
        break
      default:
        changed[change] = value
    }
    return changed
  })
  // through JSON, as answers arrive
  const answer = FastCheck.oneof(textOnly, nearMiss, FastCheck.jsonValue()).map((value): unknown => JSON.parse(JSON.stringify(value ?? null)))
  const bySchema = Schema.decodeUnknownEither(McpSchema.CallToolResult)

  it.prop("a result decoded by hand is the one the schema decodes, and any other goes to the schema", { answer }, ({ answer }) => {
    const byHand = CallToolResult.textOnly(answer)
    const expected = bySchema(answer)
    if (byHand !== undefined) {
      expect(Either.isRight(expected) && expected.right).toStrictEqual(byHand)
      expect(byHand).toBeInstanceOf(McpSchema.CallToolResult)
      // the same keys in the same order, as JSON shows them
      expect(JSON.stringify(byHand)).toBe(JSON.stringify(Either.isRight(expected) && expected.right))
    }
    const decoded = CallToolResult.decode(answer, { server: "s", tool: "t" })
    expect(Either.isRight(decoded)).toBe(Either.isRight(expected))
    if (Either.isRight(decoded) && Either.isRight(expected)) expect(decoded.right).toStrictEqual(expected.right)
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("a result of text blocks alone is decoded by hand", { answer: textOnly }, ({ answer }) => {
    expect(CallToolResult.textOnly(JSON.parse(JSON.stringify(answer)))).toBeDefined()
  })
})
