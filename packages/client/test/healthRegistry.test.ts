import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as McpHealth from "../src/McpHealth.js"
import * as HealthRegistry from "../src/internal/healthRegistry.js"

const circuit: McpHealth.CircuitOptions = { failureThreshold: 2, resetAfter: Duration.seconds(30) }
const probeFailed: McpHealth.Observation = { _tag: "Failure", source: "probe", error: "down", responseTimeMs: 1 }
const probeSucceeded: McpHealth.Observation = { _tag: "Success", source: "probe", responseTimeMs: 1 }
const callFailed: McpHealth.Observation = { _tag: "Failure", source: "call", error: "refused" }
const callSucceeded: McpHealth.Observation = { _tag: "Success", source: "call" }

/** The end of this turn of the event loop and the next, when the publisher has run. */
const turns = Effect.promise(() => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))))

describe("HealthRegistry", () => {
  it.scoped("the loops' observations of one turn are published together, as one change", () =>
    Effect.gen(function*() {
      const registry = yield* HealthRegistry.make(["a", "b", "c"], circuit)
      const subscribed = yield* Deferred.make<void>()
      const changes = yield* registry.states.changes.pipe(
        Stream.tap(() => Deferred.succeed(subscribed, undefined)),
        Stream.take(2),
        Stream.runCollect,
        Effect.fork
      )
      // the subscription is in place once the current state came through
      yield* Deferred.await(subscribed)
      yield* registry.recordSoon("a", probeFailed)
      yield* registry.recordSoon("b", probeSucceeded)
      yield* registry.recordSoon("c", probeFailed)
      const [, published] = Chunk.toReadonlyArray(yield* Fiber.join(changes))
      expect([...published!.values()].map((health) => health.status)).toEqual(["unhealthy", "healthy", "unhealthy"])
    }))

  it.scoped("a transition publishes the observations waiting before its own, in the order they were made", () =>
    Effect.gen(function*() {
      const registry = yield* HealthRegistry.make(["a"], circuit)
      // the probe's failure and then the call's reach the threshold of two: the circuit opens now
      yield* registry.recordSoon("a", probeFailed)
      yield* registry.record("a", callFailed)
      const health = (yield* SubscriptionRef.get(registry.states)).get("a")!
      expect(health.consecutiveFailures).toBe(2)
      expect(health.circuit).toBe("open")
      expect(registry.isClosed("a")).toBe(false)
    }))

  it.scoped("a call's success after a waiting probe failure of its server is applied after it, not skipped", () =>
    Effect.gen(function*() {
      const registry = yield* HealthRegistry.make(["a"], circuit)
      yield* registry.record("a", probeSucceeded)
      yield* registry.recordSoon("a", probeFailed)
      // as an attempt settles a success: nothing to record when it changes nothing
      if (!registry.unchangedBy("a", callSucceeded)) yield* registry.record("a", callSucceeded)
      yield* turns
      const health = (yield* SubscriptionRef.get(registry.states)).get("a")!
      expect(health.status).toBe("healthy")
      expect(health.consecutiveFailures).toBe(0)
    }))

  it.scoped("observations recorded after the publisher went back to waiting are published too", () =>
    Effect.gen(function*() {
      const registry = yield* HealthRegistry.make(["a"], circuit)
      for (const [observation, status] of [[probeFailed, "unhealthy"], [probeSucceeded, "healthy"], [probeFailed, "unhealthy"]] as const) {
        yield* registry.recordSoon("a", observation)
        yield* registry.states.changes.pipe(Stream.filter((states) => states.get("a")!.status === status), Stream.runHead)
      }
      expect((yield* SubscriptionRef.get(registry.states)).get("a")!.consecutiveFailures).toBe(1)
    }))
})
