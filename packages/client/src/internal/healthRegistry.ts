/**
 * Every server's health in one `SubscriptionRef`, changed only through `McpHealth`'s
 * transitions. Reads on the call path are cheap: a call to a healthy server with a closed
 * circuit neither copies the map nor wakes subscribers.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as McpHealth from "../McpHealth.js"
import { ServerUnavailableError } from "../McpError.js"

/** @internal */
export interface HealthRegistry {
  readonly states: SubscriptionRef.SubscriptionRef<ReadonlyMap<string, McpHealth.ServerHealth>>
  readonly record: (server: string, observation: McpHealth.Observation) => Effect.Effect<void>
  /** Circuit admission of one call; a `trial` turns the circuit half-open. */
  readonly admit: (server: string) => Effect.Effect<McpHealth.Admission>
  /** A half-open trial ended without an outcome. */
  readonly abandonTrial: (server: string) => Effect.Effect<void>
  /** Fails with the server's `ServerUnavailableError`. */
  readonly unavailable: (server: string) => Effect.Effect<never, ServerUnavailableError>
}

/** @internal */
export const make = (servers: ReadonlyArray<string>, circuit: McpHealth.CircuitOptions): Effect.Effect<HealthRegistry> =>
  Effect.map(
    SubscriptionRef.make<ReadonlyMap<string, McpHealth.ServerHealth>>(new Map(servers.map((server) => [server, McpHealth.unknown(server)]))),
    (states): HealthRegistry => {
      const current = (server: string) => Effect.map(SubscriptionRef.get(states), (map) => map.get(server)!)
      const transition = (server: string, f: (health: McpHealth.ServerHealth, now: DateTime.Utc) => McpHealth.ServerHealth) =>
        Effect.flatMap(DateTime.now, (now) => SubscriptionRef.update(states, (map) => new Map(map).set(server, f(map.get(server)!, now))))
      return {
        states,
        record: (server, observation) =>
          Effect.flatMap(current(server), (health) =>
            observation._tag === "Success" && observation.source === "call" && health.status === "healthy" && health.circuit === "closed"
              ? Effect.void
              : transition(server, (health, now) => McpHealth.observe(health, observation, now, circuit))),
        admit: (server) =>
          Effect.flatMap(current(server), (health) =>
            health.circuit === "closed"
              ? Effect.succeed("allow" as const)
              : Effect.flatMap(DateTime.now, (now) =>
                SubscriptionRef.modify(states, (map) => {
                  const [admission, next] = McpHealth.admit(map.get(server)!, now)
                  return [admission, admission === "trial" ? new Map(map).set(server, next) : map]
                }))),
        abandonTrial: (server) => transition(server, McpHealth.abandonTrial),
        unavailable: (server) =>
          Effect.flatMap(Effect.zip(current(server), DateTime.now), ([health, now]) =>
            new ServerUnavailableError({ server, consecutiveFailures: health.consecutiveFailures, retryAt: health.retryAt ?? now }))
      }
    }
  )
