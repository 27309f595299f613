/**
 * Roots: the directories and files the application lets servers work in, which a server asks
 * for with `roots/list`.
 *
 * The application provides `McpRoots`, which holds the list in a `SubscriptionRef`; `McpClient`
 * announces `roots: { listChanged: true }` to every server, answers `roots/list` with the
 * current list, and, whenever the list changes, sends `notifications/roots/list_changed` on
 * every open session so that servers ask again. Every server sees the same roots. Without the
 * service, servers are told the client has no roots (-32601).
 *
 * A root's `uri` must be a `file://` URI (the specification allows no other yet): a list with
 * another is not sent, the server gets an internal error (-32603) and the application a log line.
 *
 * @since 0.1.0
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SubscriptionRef from "effect/SubscriptionRef"

/**
 * A root: a `file://` URI and an optional name to show.
 *
 * @since 0.1.0
 * @category models
 */
export type Root = typeof McpSchema.Root.Encoded

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The roots; setting it announces the change to every open session. */
  readonly roots: SubscriptionRef.SubscriptionRef<ReadonlyArray<Root>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class McpRoots extends Context.Tag("@effect-mcp/client/McpRoots")<McpRoots, Service>() {}

/**
 * The service, over a new `SubscriptionRef` holding `initial`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (initial: Iterable<Root>): Effect.Effect<Service> =>
  Effect.map(SubscriptionRef.make<ReadonlyArray<Root>>([...initial]), fromRef)

/**
 * The service over a `SubscriptionRef` the application already holds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRef = (roots: SubscriptionRef.SubscriptionRef<ReadonlyArray<Root>>): Service => ({ roots })

/**
 * The service as a Layer, to provide to `McpClient.layer`.
 *
 * @example
 * ```ts
 * import { McpClient, McpRoots } from "@effect-mcp/client"
 * import { Effect, Layer } from "effect"
 *
 * const Client = McpClient.layerNode({ servers: [{ name: "files", command: "mcp-files" }] }).pipe(
 *   Layer.provideMerge(McpRoots.layer([{ uri: "file:///home/ada/project", name: "project" }]))
 * )
 *
 * // later: every open session is told, and its server asks for the new list
 * const openAnother = McpRoots.set([{ uri: "file:///home/ada/other", name: "other" }])
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (initial: Iterable<Root>): Layer.Layer<McpRoots> => Layer.effect(McpRoots, make(initial))

/**
 * The current roots.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get: Effect.Effect<ReadonlyArray<Root>, never, McpRoots> = Effect.flatMap(
  McpRoots,
  (service) => SubscriptionRef.get(service.roots)
)

/**
 * Replaces the roots; every open session announces the change.
 *
 * @since 0.1.0
 * @category accessors
 */
export const set = (roots: Iterable<Root>): Effect.Effect<void, never, McpRoots> =>
  Effect.flatMap(McpRoots, (service) => SubscriptionRef.set(service.roots, [...roots]))

/**
 * Changes the roots with `f`; every open session announces the change.
 *
 * @since 0.1.0
 * @category accessors
 */
export const update = (f: (roots: ReadonlyArray<Root>) => ReadonlyArray<Root>): Effect.Effect<void, never, McpRoots> =>
  Effect.flatMap(McpRoots, (service) => SubscriptionRef.update(service.roots, f))
