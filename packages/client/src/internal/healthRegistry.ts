/**
 * Every server's health in one `SubscriptionRef`, changed only through `McpHealth`'s
 * transitions. Reads on the call path are cheap: a call to a healthy server with a closed
 * circuit neither copies the map nor wakes subscribers, and is admitted and settled without a
 * runtime step, from the last state the registry published (`isClosed`, `unchangedBy`). The
 * `SubscriptionRef` publishes that state: what an application writes to it reaches its
 * subscribers until the next transition, never the circuits.
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
  /**
   * Circuit admission of one call: `allow`, or the `trial` that turns the circuit half-open, or
   * the server's `ServerUnavailableError` when the call must fail fast.
   */
  readonly admit: (server: string) => Effect.Effect<Admitted, ServerUnavailableError>
  /** A half-open trial ended without an outcome. */
  readonly abandonTrial: (server: string) => Effect.Effect<void>
  /** Whether the server's circuit is closed: a call is then admitted with `allow`, no transition. */
  readonly isClosed: (server: string) => boolean
  /** Whether recording `observation` would leave the server's health as it is. */
  readonly unchangedBy: (server: string, observation: McpHealth.Observation) => boolean
}

/** @internal */
export type Admitted = Exclude<McpHealth.Admission, "reject">

const allowed: Effect.Effect<Admitted> = Effect.succeed("allow")

/** @internal */
export const make = (servers: ReadonlyArray<string>, circuit: McpHealth.CircuitOptions): Effect.Effect<HealthRegistry> => {
  const initial: ReadonlyMap<string, McpHealth.ServerHealth> = new Map(servers.map((server) => [server, McpHealth.unknown(server)]))
  return Effect.map(
    SubscriptionRef.make(initial),
    (states): HealthRegistry => {
      // the state last published, for the call path's synchronous reads
      let published = initial
      const publish = (map: ReadonlyMap<string, McpHealth.ServerHealth>) => {
        published = map
        return map
      }
      // transitions start from the state last published, never from what an application wrote
      const transition = (server: string, f: (health: McpHealth.ServerHealth, now: DateTime.Utc) => McpHealth.ServerHealth) =>
        Effect.flatMap(DateTime.now, (now) => SubscriptionRef.update(states, () => publish(new Map(published).set(server, f(published.get(server)!, now)))))
      const unchangedBy = (server: string, observation: McpHealth.Observation) => {
        const health = published.get(server)!
        return observation._tag === "Success" && observation.source === "call" && health.status === "healthy" && health.circuit === "closed"
      }
      const isClosed = (server: string) => published.get(server)!.circuit === "closed"
      return {
        states,
        record: (server, observation) =>
          Effect.suspend(() => unchangedBy(server, observation) ? Effect.void : transition(server, (health, now) => McpHealth.observe(health, observation, now, circuit))),
        admit: (server) =>
          Effect.suspend(() =>
            isClosed(server) ? allowed : Effect.flatMap(DateTime.now, (now) =>
              Effect.flatMap(
                SubscriptionRef.modify(states, (map) => {
                  const [admission, next] = McpHealth.admit(published.get(server)!, now)
                  return [[admission, next] as const, admission === "trial" ? publish(new Map(published).set(server, next)) : map]
                }),
                ([admission, next]): Effect.Effect<Admitted, ServerUnavailableError> =>
                  admission === "reject"
                    ? new ServerUnavailableError({ server, consecutiveFailures: next.consecutiveFailures, retryAt: next.retryAt ?? now })
                    : Effect.succeed(admission)
              ))),
        abandonTrial: (server) => transition(server, McpHealth.abandonTrial),
        isClosed,
        unchangedBy
      }
    }
  )
}
