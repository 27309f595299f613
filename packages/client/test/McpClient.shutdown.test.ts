import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { McpClient } from "../src/index.js"
import { eventually } from "./support/effects.js"
import { answerJson, rawPeer } from "./support/rawPeer.js"

/** A server that lists one tool, then never answers a call nor a DELETE. */
const hangingPeer = Effect.gen(function*() {
  const peer = yield* rawPeer((request, res) => {
    if (request.message?.method === "tools/list") {
      answerJson(res, request.message.id, { tools: [{ name: "hang", inputSchema: { type: "object" } }] })
    } else if (request.message?.method === "ping") {
      answerJson(res, request.message.id, {})
    } else if (request.method === "GET") {
      res.writeHead(405).end()
    }
  }, { sessionId: "s-hang", hangOnDelete: true })
  return { ...peer, seen: peer.requests }
})

/** Runs Node with `args` until it exits by itself (failing the test after 20 s), with its output. */
const runToExit = (args: ReadonlyArray<string>) =>
  Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("the process did not exit on its own") }))

describe("McpClient shutdown", () => {
  // a first call runs on a fiber of its own while the session opens; later ones on the caller's
  for (const sessionOpen of [false, true]) {
    it.scoped(`closing interrupts in-flight calls and is bounded by the DELETE deadline when a server hangs (session open: ${sessionOpen})`, () =>
      Effect.gen(function*() {
        const peer = yield* hangingPeer
        const deletes = () => peer.seen.filter((request) => request.method === "DELETE").length
        const scope = yield* Scope.make()
        const context = yield* Layer.build(McpClient.layerNode({ servers: [{ name: "hang", url: peer.url }] })).pipe(Scope.extend(scope))
        const mcp = Context.get(context, McpClient.McpClient)
        if (sessionOpen) yield* mcp.listTools("hang")
        const call = yield* Effect.fork(mcp.callTool("hang", "hang", {}))
        yield* TestServices.provideLive(eventually(() => peer.seen.some((request) => request.message?.method === "tools/call")))
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        const exit = yield* Fiber.await(call)
        expect(Exit.isInterrupted(exit)).toBe(true)
        yield* TestServices.provideLive(eventually(() => deletes() >= 1, "the DELETE"))
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(closing)
        expect(deletes()).toBe(1)
      }))
  }

  it.scopedLive("after the scope closes, Node exits on its own even though the server still hangs", () =>
    Effect.gen(function*() {
      const peer = yield* hangingPeer
      const script = fileURLToPath(new URL("./fixtures/exitAfterClose.mjs", import.meta.url))
      const outcome = yield* runToExit([script, peer.url])
      expect(outcome.stderr).toBe("")
      expect(outcome.stdout).toBe("scope closed\n")
      expect(outcome.code).toBe(0)
    }))

  it.scopedLive("after the scope closes, Node exits on its own and a stdio server that ignores EOF and SIGTERM is gone", () =>
    Effect.gen(function*() {
      const script = fileURLToPath(new URL("./fixtures/exitAfterCloseStdio.mjs", import.meta.url))
      const outcome = yield* runToExit([script])
      expect(outcome.stderr).toBe("")
      expect(outcome.code).toBe(0)
      const pid = Number(/^scope closed (\d+)$/.exec(outcome.stdout.trim())?.[1])
      expect(pid).toBeGreaterThan(0)
      expect(() => process.kill(pid, 0)).toThrow()
    }))
})
