/**
 * The sharing of resource subscriptions (`internal/subscriptions.ts`) against sessions made here,
 * whose requests the test answers when it chooses: the interleavings that a real server leaves to
 * chance are played in a fixed order.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Stream from "effect/Stream"
import { McpServerConfig, type McpSession } from "../src/index.js"
import type * as Attempt from "../src/internal/attempt.js"
import * as Subscriptions from "../src/internal/subscriptions.js"
import * as Telemetry from "../src/internal/telemetry.js"

const unused = () => Effect.dieMessage("not used by subscriptions")

/** A session that only subscribes and unsubscribes, as `subscribe` and `unsubscribe` say. */
const fakeSession = (subscribe: Effect.Effect<void>, unsubscribe: Effect.Effect<void>): McpSession.McpSession => ({
  server: "files",
  info: unused(),
  listTools: unused,
  callTool: unused,
  ping: unused,
  listResources: unused,
  listResourceTemplates: unused,
  readResource: unused,
  subscribeResource: () => subscribe,
  unsubscribeResource: () => unsubscribe,
  listPrompts: unused,
  getPrompt: unused,
  complete: unused,
  setLoggingLevel: unused,
  close: Effect.void
})

/** Attempts without deadline, circuit or retries: each runs on a fiber of its own, as the client's do. */
const attempts: Attempt.Attempts = {
  run: (_config, _tool, _timeout, _state, _onCallersFiber, use) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.forkDaemon(Effect.interruptible(use())), (fiber) =>
        restore(Fiber.join(fiber)).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber))))
    ),
  withRetries: (_config, _subject, _policy, _state, attempt) => attempt
}

/** Fails the test instead of waiting forever: the only use of time here. */
const guarded = <A, E>(effect: Effect.Effect<A, E>, what: string) =>
  effect.pipe(
    Effect.timeout("5 seconds"),
    Effect.catchTag("TimeoutException", () => Effect.dieMessage(`${what} never happened`))
  )

describe("subscriptions", () => {
  it.live("a stream that ends while it subscribes again leaves the new subscription, without waiting on itself", () =>
    Effect.gen(function*() {
      const config = yield* McpServerConfig.make({ name: "files", url: "http://127.0.0.1:1/mcp" })
      const unsubscribed: Array<string> = []
      const subscribed = yield* Deferred.make<void>()
      const subscribing = yield* Deferred.make<void>()
      const answer = yield* Deferred.make<void>()
      const heldScopeClosed = yield* Deferred.make<void>()
      const left = yield* Deferred.make<void>()
      // the first session answers at once, the second when the test lets it
      const first = fakeSession(Deferred.succeed(subscribed, undefined), Effect.sync(() => unsubscribed.push("first")))
      const second = fakeSession(
        Effect.zipRight(Deferred.succeed(subscribing, undefined), Deferred.await(answer)),
        Effect.zipRight(Effect.sync(() => unsubscribed.push("second")), Deferred.succeed(left, undefined))
      )
      const losses = new Map<McpSession.McpSession, Deferred.Deferred<void>>([[first, Deferred.unsafeMake<void>(FiberId.none)], [second, Deferred.unsafeMake<void>(FiberId.none)]])
      let current = first
      const subscriptions = Subscriptions.make({
        servers: { lookup: () => Either.right(config) },
        attempts,
        telemetry: Telemetry.make([config]),
        pool: {
          hold: () =>
            Effect.suspend(() => {
              const session = current
              return Effect.as(
                // the second session's scope is closed (the stream ended) when its answer arrives:
                // that answer is dealt with before the interruption of the stream's fiber reaches it
                Effect.addFinalizer(() =>
                  session === second ? Effect.zipRight(Deferred.succeed(heldScopeClosed, undefined), Deferred.await(left)) : Effect.void
                ),
                session
              )
            }),
          lost: (session) => losses.get(session)!,
          isEnded: () => false,
          watchResource: () => Effect.void
        }
      })

      // daemons: a fiber stuck for good is left behind when the test fails, not waited for
      const stream = yield* Effect.forkDaemon(Stream.runDrain(subscriptions.subscribe("files", "file:///a")))
      yield* guarded(Deferred.await(subscribed), "the first subscription")
      // the server lost the first session: the stream subscribes again, on the second
      current = second
      yield* Deferred.succeed(losses.get(first)!, undefined)
      yield* guarded(Deferred.await(subscribing), "subscribing again")
      // the stream ends while that request is in flight: its scope closes, and with it the scope
      // that the new subscription is to be left in, before its fiber is interrupted
      const ending = yield* Effect.forkDaemon(Fiber.interrupt(stream))
      yield* guarded(Deferred.await(heldScopeClosed), "the close of the new subscription's scope")
      // the answer arrives: the share is recorded in a scope already closed, and left at once
      yield* Deferred.succeed(answer, undefined)
      const exit = yield* guarded(Fiber.join(ending), "the end of the stream")
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(unsubscribed).toEqual(["second"])
    }))
})
