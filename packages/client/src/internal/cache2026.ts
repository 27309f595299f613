/**
 * The caching hints of 2026-07-28 (`ttlMs`, `cacheScope`) as one session keeps them.
 *
 * - Lists: how long each list method's last answer stays fresh (the least `ttlMs` of its pages,
 *   counted from each page's arrival; an absent or negative `ttlMs` is 0). The lists themselves
 *   are kept by the session pool, which asks `freshUntil` before serving one.
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

const listMethods: ReadonlySet<string> = new Set(["tools/list", "prompts/list", "resources/list", "resources/templates/list"])

const changedLists: Readonly<Record<string, ReadonlyArray<string>>> = {
  "notifications/tools/list_changed": ["tools/list"],
  "notifications/prompts/list_changed": ["prompts/list"],
  "notifications/resources/list_changed": ["resources/list", "resources/templates/list"]
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

/** @internal */
export const make = (clock: Clock.Clock): Cache => {
  const lists = new Map<string, number>()
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
      if (listMethods.has(method)) {
        const until = now + ttlOf(result)
        const earlier = lists.get(method)
        // a first page starts the list over; later pages can only shorten its freshness
        lists.set(method, cursorOf(params) === undefined || earlier === undefined ? until : Math.min(earlier, until))
        return
      }
      const uri = uriOf(params)
      if (method === "resources/read" && uri !== undefined && ttlOf(result) > 0) {
        reads.set(uri, { result, until: now + ttlOf(result) })
      }
    },
    invalidate: (notification, params) => {
      for (const method of changedLists[notification] ?? []) lists.delete(method)
      if (notification === "notifications/resources/updated") {
        const uri = uriOf(params)
        if (uri !== undefined) reads.delete(uri)
      }
    },
    freshUntil: (method) => lists.get(method)
  }
}
