/**
 * Negotiation against real peers where it is easy to get wrong: 2025 servers refusing the probe
 * with statuses other than 400/404/405, request ids across the probe and `initialize` on one
 * connection, and a stdio server slow to start (under the TestClock).
 */
import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { McpClient, McpSession } from "../src/index.js"
import * as Negotiation from "../src/internal/negotiation.js"
import { eventually, failureOf } from "./support/effects.js"
import { captureLogs, textOf } from "./support/logs.js"
import { server2026Http, server2026StdioCommand } from "./support/server2026Peer.js"

const silentLegacyServer = fileURLToPath(new URL("./fixtures/silentLegacyServer.mjs", import.meta.url))

describe("negotiation with 2025 servers", () => {
  it.scopedLive("a 2025 server refusing the probe with 406, 415 or 422 is opened with initialize, with a new request id", () =>
    Effect.gen(function*() {
      for (const status of ["406", "415", "422"]) {
        const server = yield* server2026Http(["--legacy-only", "--legacy-status", status])
        const session = yield* McpSession.make({ server: "old", url: server.url })
        expect((yield* session.info).protocolVersion).toBe("2025-11-25")
        const seen = (yield* server.received).filter((record) => record.kind === "request")
        expect(seen.map((record) => [record.method, record.id])).toEqual([["server/discover", 1], ["initialize", 2]])
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("over stdio, initialize after a refused probe never reuses the probe's id on the process", () => {
    const logs = captureLogs()
    // the server's records come on its stderr, logged (cut at a length, so matched as text)
    const requests = () =>
      logs.lines.map(textOf).flatMap((text) => {
        const found = /^\{"kind":"request".*?"id":(\d+),"method":"([^"]+)"/.exec(text)
        return found === null ? [] : [[found[2], Number(found[1])] as const]
      })
    return Effect.gen(function*() {
      const session = yield* McpSession.make({ server: "old", ...server2026StdioCommand(["--legacy-only"]) })
      expect((yield* session.info).protocolVersion).toBe("2025-11-25")
      yield* session.listTools()
      yield* eventually(() => requests().length === 3, "the server's records")
      expect(requests()).toEqual([["server/discover", 1], ["initialize", 2], ["tools/list", 3]])
    }).pipe(Effect.provide(logs.layer))
  })
})

describe("the verdict remembered per endpoint", () => {
  it.scopedLive("concurrent first openings of one endpoint share one probe", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--legacy-only"])
      const protocolCache = McpSession.makeProtocolCache()
      const sessions = yield* Effect.all(
        Array.from({ length: 3 }, () => McpSession.make({ server: "old", url: server.url, protocolCache })),
        { concurrency: "unbounded" }
      )
      for (const session of sessions) expect((yield* session.info).protocolVersion).toBe("2025-11-25")
      const probes = (yield* server.received).filter((record) => record.kind === "request" && record.method === "server/discover")
      expect(probes).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a 401 is no evidence: the remembered verdict stays", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--bearer", "secret"])
      const protocolCache = McpSession.makeProtocolCache()
      const key = Negotiation.endpointKey(server.url)
      protocolCache.set(key, { _tag: "Modern", version: "2026-07-28" })
      yield* failureOf(McpSession.make({ server: "guarded", url: server.url, protocolCache }))
      expect(protocolCache.get(key)).toEqual({ _tag: "Modern", version: "2026-07-28" })
      const session = yield* McpSession.make({ server: "guarded", url: server.url, protocolCache, auth: Redacted.make("secret") })
      expect((yield* session.info).protocolVersion).toBe("2026-07-28")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a server remembered as old that refuses initialize is probed again in the same opening", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const protocolCache = McpSession.makeProtocolCache()
      const key = Negotiation.endpointKey(server.url)
      protocolCache.set(key, { _tag: "Legacy" })
      const session = yield* McpSession.make({ server: "upgraded", url: server.url, protocolCache })
      expect((yield* session.info).protocolVersion).toBe("2026-07-28")
      expect(protocolCache.get(key)).toEqual({ _tag: "Modern", version: "2026-07-28" })
      const methods = (yield* server.received).filter((record) => record.kind === "request").map((record) => record.method)
      expect(methods).toEqual(["initialize", "server/discover"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

/**
 * Until the probe's timer waits on the TestClock (checked every 10 ms of real time, for at most
 * 5 s): the half-request-timeout one, registered when the probe is sent, before any output.
 */
const probeWaiting: Effect.Effect<void> = Effect.suspend(() => {
  const poll = (left: number): Effect.Effect<void> =>
    Effect.flatMap(TestClock.sleeps(), (sleeps) =>
      Chunk.isNonEmpty(sleeps) ? Effect.void
      : left === 0 ? Effect.dieMessage("the probe did not wait on the clock within 5 s")
      : Effect.zipRight(TestServices.provideLive(Effect.sleep("10 millis")), poll(left - 1)))
  return poll(500)
})

describe("negotiation over stdio with a server slow to start", () => {
  it.scopedLive("a 2025 server silent until initialize is opened within the attempt that probed it", () =>
    Effect.gen(function*() {
      const mcp = yield* Effect.map(
        Layer.build(McpClient.layerNode({
          servers: [{ name: "silent", command: process.execPath, args: [silentLegacyServer], timeout: "4 seconds", retry: { times: 1 } }],
          healthInterval: "1 hour"
        })),
        (context) => Context.get(context, McpClient.McpClient)
      )
      // the probe gives up after half the attempt's 4 s, leaving the rest to initialize
      expect((yield* mcp.listTools("silent")).map((tool) => tool.name)).toEqual(["quiet"])
      expect((yield* mcp.status)[0]?.session?.protocolVersion).toBe("2025-11-25")
    }))


  it.scoped("the probe's 5 seconds start at the process's first output, not at its start", () =>
    Effect.gen(function*() {
      // the dual-era server reads nothing for 1.5 s (real time): it has not spoken when the
      // TestClock passes the 5 s that a probe timed from the spawn would wait
      const opening = yield* Effect.fork(
        McpSession.make({ server: "slow", ...server2026StdioCommand(["--legacy-too", "--start-delay-ms", "1500"]) })
      )
      yield* probeWaiting
      yield* TestClock.adjust("10 seconds")
      const session = yield* Fiber.join(opening)
      expect((yield* session.info).protocolVersion).toBe("2026-07-28")
    }))
})
