/**
 * The caching hints of 2026-07-28 (`ttlMs`, `cacheScope`) as one session keeps them.
 *
 * - Lists: how long each list method's last answer stays fresh (the least `ttlMs` of its pages,
 *   counted from each page's arrival; a negative `ttlMs` is 0). A page without `ttlMs` stays
 *   fresh until a `list_changed`, while a `subscriptions/listen` stream acknowledged for that
 *   list's changes is open and has stayed open since the page arrived (a stream that ended may
 *   have missed a change); otherwise it is stale at once. The lists themselves are kept by the
 *   session pool, which asks `freshUntil` before serving one.
 * - `resources/read`: a result with a positive `ttlMs` is served again for the same uri until it
 *   expires or a `notifications/resources/updated` of that uri arrives.
 * - Never kept: interim `input_required` results, and results of retries that carried
 *   `inputResponses` or `requestState` (the caller tells `keep` whether there was a retry).
 * - A `list_changed` notification makes its lists stale at once.
 *
 * Decision: a session is held per credential (`McpClient` keeps one per server and bearer token),
 * so a cache kept by the session is keyed by credential whatever its `cacheScope`; `"public"`
 * results are not shared across credentials (allowed, never required).
 */
import type * as Clock from "effect/Clock"
import * as Predicate from "effect/Predicate"
import * as Lists from "./lists.js"
import type * as Listen from "./listen2026.js"

/** The filter entry that asks for each list's changes. */
const changeFilter: Readonly<Record<Lists.ListKind, keyof Listen.Filter>> = {
  tools: "toolsListChanged",
  prompts: "promptsListChanged",
  resources: "resourcesListChanged",
  resourceTemplates: "resourcesListChanged"
}

/** The freshness a result's hints give, in milliseconds (0: stale at once). */
export const ttlOf = (result: unknown): number => {
  const ttl = Predicate.isRecord(result) ? result.ttlMs : undefined
  return typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? ttl : 0
}

/** @internal */
export interface Cache {
  /** A fresh kept result for the request, if any. */
  readonly lookup: (method: string, params: unknown) => unknown
  /** Takes note of a final result that came from a single round. */
  readonly keep: (method: string, params: unknown, result: unknown) => void
  /** Drops what a notification says has changed. */
  readonly invalidate: (notification: string, params: unknown) => void
  readonly freshUntil: (method: string) => number | undefined
}

/** A list's freshness: until when by its `ttlMs`, and, for a page without one, the stream that keeps it. */
interface Freshness {
  readonly until: number
  readonly epoch: number | undefined
}

/** @internal */
export const make = (clock: Clock.Clock, watching: () => Listen.Watching | undefined): Cache => {
  const lists = new Map<string, Freshness>()
  /** The epoch of the open stream that reports the list method's changes, if any. */
  const watchedEpoch = (method: string) => {
    const current = watching()
    const kind = Lists.kindOf.get(method)
    return current !== undefined && kind !== undefined && current.filter[changeFilter[kind]] === true ? current.epoch : undefined
  }
  const reads = new Map<string, { readonly result: unknown; readonly until: number }>()
  const uriOf = (params: unknown) => Predicate.isRecord(params) && typeof params.uri === "string" ? params.uri : undefined
  const cursorOf = (params: unknown) => Predicate.isRecord(params) ? params.cursor : undefined

  return {
    lookup: (method, params) => {
      if (method !== "resources/read") return undefined
      const uri = uriOf(params)
      const entry = uri === undefined ? undefined : reads.get(uri)
      if (entry === undefined) return undefined
      if (entry.until > clock.unsafeCurrentTimeMillis()) return entry.result
      reads.delete(uri!)
      return undefined
    },
    keep: (method, params, result) => {
      const now = clock.unsafeCurrentTimeMillis()
      if (Lists.kindOf.has(method)) {
        const untilChanged = !Predicate.isRecord(result) || result.ttlMs === undefined
        const page: Freshness = untilChanged
          ? { until: Number.POSITIVE_INFINITY, epoch: watchedEpoch(method) ?? -1 }
          : { until: now + ttlOf(result), epoch: undefined }
        const earlier = lists.get(method)
        // a first page starts the list over; later pages can only shorten its freshness
        lists.set(
          method,
          cursorOf(params) === undefined || earlier === undefined ? page : {
            until: Math.min(earlier.until, page.until),
            epoch: earlier.epoch === undefined ? page.epoch : page.epoch === undefined || page.epoch === earlier.epoch ? earlier.epoch : -1
          }
        )
        return
      }
      const uri = uriOf(params)
      if (method === "resources/read" && uri !== undefined && ttlOf(result) > 0) {
        reads.set(uri, { result, until: now + ttlOf(result) })
      }
    },
    invalidate: (notification, params) => {
      for (const kind of Lists.emptiedBy[notification] ?? []) lists.delete(Lists.listMethods[kind])
      if (notification === "notifications/resources/updated") {
        const uri = uriOf(params)
        if (uri !== undefined) reads.delete(uri)
      }
    },
    freshUntil: (method) => {
      const entry = lists.get(method)
      if (entry === undefined) return undefined
      return entry.epoch === undefined || entry.epoch === watchedEpoch(method) ? entry.until : 0
    }
  }
}
