/**
 * Every server's health in one `SubscriptionRef`, changed only through `McpHealth`'s
 * transitions. Reads on the call path are cheap: a call to a healthy server with a closed
 * circuit neither copies the map nor wakes subscribers, and is admitted and settled without a
 * runtime step, from the last state the registry published (`isClosed`, `unchangedBy`; the
 * admission may thus miss a health loop's observation by one turn of the event loop). The
 * `SubscriptionRef` publishes that state: what an application writes to it reaches its
 * subscribers until the next transition, never the circuits.
 *
 * Each publication copies the map, so the health loops' observations (`recordSoon`) are
 * published together, once the event loop's turn has run its I/O callbacks: with 1 000 servers
 * probed each second, one copy per probe was half the loops' CPU. Any other transition publishes
 * the observations still waiting first, so they are applied in the order they were made.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as McpHealth from "../McpHealth.js"
import { ServerUnavailableError } from "../McpError.js"

/** @internal */
export interface HealthRegistry {
  readonly states: SubscriptionRef.SubscriptionRef<ReadonlyMap<string, McpHealth.ServerHealth>>
  readonly record: (server: string, observation: McpHealth.Observation) => Effect.Effect<void>
  /** Records `observation` with the others of this turn of the event loop, published together. */
  readonly recordSoon: (server: string, observation: McpHealth.Observation) => Effect.Effect<void>
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

interface Observed {
  readonly server: string
  readonly observation: McpHealth.Observation
  readonly at: DateTime.Utc
}

/** @internal */
export const make = (
  servers: ReadonlyArray<string>,
  circuit: McpHealth.CircuitOptions
): Effect.Effect<HealthRegistry, never, Scope.Scope> => {
  const initial: ReadonlyMap<string, McpHealth.ServerHealth> = new Map(servers.map((server) => [server, McpHealth.unknown(server)]))
  return Effect.flatMap(
    SubscriptionRef.make(initial),
    (states) => {
      // the state last published, for the call path's synchronous reads
      let published = initial
      const pending: Array<Observed> = []
      const publish = (map: ReadonlyMap<string, McpHealth.ServerHealth>) => {
        published = map
        return map
      }
      /** The state last published, with the observations waiting applied, as a copy to change. */
      const current = () => {
        const map = new Map(published)
        for (const { at, observation, server } of pending) map.set(server, McpHealth.observe(map.get(server)!, observation, at, circuit))
        pending.length = 0
        return map
      }
      // transitions start from the state last published, never from what an application wrote
      const transition = (server: string, f: (health: McpHealth.ServerHealth, now: DateTime.Utc) => McpHealth.ServerHealth) =>
        Effect.flatMap(DateTime.now, (now) =>
          SubscriptionRef.update(states, () => {
            const map = current()
            return publish(map.set(server, f(map.get(server)!, now)))
          }))
      const unchangedBy = (server: string, observation: McpHealth.Observation) => {
        const health = published.get(server)!
        return observation._tag === "Success" && observation.source === "call" && health.status === "healthy" && health.circuit === "closed" &&
          // a success after a waiting observation of its server must be applied after it
          !pending.some((observed) => observed.server === server)
      }
      const isClosed = (server: string) => published.get(server)!.circuit === "closed"

      // wakes the publisher once observations wait; it publishes them when the turn's I/O is done
      let wake: (() => void) | undefined
      const batch = Effect.async<void>((resume) => {
        let immediate: ReturnType<typeof setImmediate> | undefined
        const afterTurn = () => {
          immediate = setImmediate(() => resume(Effect.void))
        }
        if (pending.length > 0) afterTurn()
        else wake = afterTurn
        return Effect.sync(() => {
          wake = undefined
          if (immediate !== undefined) clearImmediate(immediate)
        })
      })
      const publishWaiting = Effect.suspend(() =>
        // a transition may have published them meanwhile
        pending.length === 0 ? Effect.void : SubscriptionRef.update(states, () => publish(current()))
      )
      return Effect.as(
        Effect.forkScoped(Effect.forever(Effect.zipRight(batch, publishWaiting))),
        {
          states,
          record: (server, observation) =>
            Effect.suspend(() => unchangedBy(server, observation) ? Effect.void : transition(server, (health, now) => McpHealth.observe(health, observation, now, circuit))),
          recordSoon: (server, observation) =>
            Effect.map(DateTime.now, (at) => {
              pending.push({ server, observation, at })
              const publisher = wake
              wake = undefined
              publisher?.()
            }),
          admit: (server) =>
            Effect.suspend(() =>
              isClosed(server) ? allowed : Effect.flatMap(DateTime.now, (now) =>
                Effect.flatMap(
                  SubscriptionRef.modify(states, (map): readonly [readonly [McpHealth.Admission, McpHealth.ServerHealth], ReadonlyMap<string, McpHealth.ServerHealth>] => {
                    // observations waiting are applied first, and then published whatever the admission
                    const base = pending.length > 0 ? current() : undefined
                    const [admission, next] = McpHealth.admit((base ?? published).get(server)!, now)
                    if (admission === "trial") return [[admission, next], publish((base ?? new Map(published)).set(server, next))]
                    return [[admission, next], base === undefined ? map : publish(base)]
                  }),
                  ([admission, next]): Effect.Effect<Admitted, ServerUnavailableError> =>
                    admission === "reject"
                      ? new ServerUnavailableError({ server, consecutiveFailures: next.consecutiveFailures, retryAt: next.retryAt ?? now })
                      : Effect.succeed(admission)
                ))),
          abandonTrial: (server) => transition(server, McpHealth.abandonTrial),
          isClosed,
          unchangedBy
        } satisfies HealthRegistry
      )
    }
  )
}
