/**
 * Which revision family a server speaks, decided as the 2026-07-28 versioning section says: probe
 * with a modern `server/discover` first and read the answer.
 *
 * - A `DiscoverResult` (or any success) means a modern server.
 * - A recognised modern error means a modern server: `UnsupportedProtocolVersion` (-32022) names
 *   the versions to pick from; `HeaderMismatch` (-32020) and `MissingRequiredClientCapability`
 *   (-32021) are modern too.
 * - Over HTTP, a 4xx without a recognised modern error (an empty body, a legacy "no session"
 *   error), or a JSON-RPC error answer of another code, means a legacy server: fall back to
 *   `initialize`. A 401, 403, 407, 408 or 429, a 5xx, a timeout or a network failure is no
 *   evidence of either: the opening fails and nothing is remembered.
 * - Over stdio there are no statuses: any JSON-RPC error that is not a recognised modern one, or
 *   no answer within the probe's deadline, means legacy; a process that dies is no evidence.
 * - On either, a success that is no `DiscoverResult`, or an answer that is no JSON-RPC answer to
 *   the probe, means legacy (a modern server answers its own discovery).
 *
 * The outcome is remembered per endpoint URL (a refinement of the specification's "per origin":
 * two endpoints of one origin may differ) for the life of the `McpClient`, and forgotten when the
 * server refuses an opening (`isEvidence`), so that the next opening probes again. A stdio server's
 * outcome lives as long as its process, which is the session's.
 */
import { type McpSessionError, UnsupportedVersionError } from "../McpError.js"

/** The modern revisions this client speaks, newest first. */
export const modernVersions = ["2026-07-28"] as const satisfies ReadonlyArray<string>

/** The legacy (initialize-based) revisions this client speaks, newest first. */
export const legacyVersions = ["2025-11-25", "2025-06-18", "2025-03-26"] as const satisfies ReadonlyArray<string>

/** A revision this client speaks. */
export type Version = typeof modernVersions[number] | typeof legacyVersions[number]

/** Whether this client speaks `version` as a modern revision. */
export const isModern = (version: string): boolean => (modernVersions as ReadonlyArray<string>).includes(version)

/** Whether this client speaks `version` as a legacy revision. */
export const isLegacy = (version: string): boolean => (legacyVersions as ReadonlyArray<string>).includes(version)

/** What a probe's answer says about the server. */
export type Verdict =
  /** A modern server that answered the probe. */
  | { readonly _tag: "Modern" }
  /** A modern server that does not take this version: retry with one of `supported`. */
  | { readonly _tag: "Unsupported"; readonly supported: ReadonlyArray<string> }
  /** A legacy server: open it with `initialize`. */
  | { readonly _tag: "Legacy"; readonly why: string }
  /** No evidence either way: the opening fails with this error, and nothing is remembered. */
  | { readonly _tag: "Inconclusive"; readonly error: McpSessionError }

/** The transport a probe ran over, which decides what a failure means. */
export type Transport = "http" | "stdio"

/**
 * Statuses that say nothing of the server's age (authorization, a proxy's, a timeout, a rate
 * limit): any other 4xx without a modern error in its body is an old server's refusal.
 */
const noEvidence: ReadonlySet<number> = new Set([401, 403, 407, 408, 429])

/** Whether a failed HTTP status (with no modern error in its body) shows a legacy server. */
export const isAgeEvidence = (status: number | undefined): boolean =>
  status !== undefined && status >= 400 && status < 500 && !noEvidence.has(status)

/**
 * Whether an opening's failure is the server's own word on what it speaks (a JSON-RPC error, or
 * a 4xx that is evidence of age), which undoes a remembered verdict; a missing token, a server
 * error or a network failure is not.
 */
export const isEvidence = (error: McpSessionError): boolean => {
  switch (error._tag) {
    case "AuthorizationError":
      return false
    case "TransportError":
      return error.reason === "Status" && isAgeEvidence(error.status)
    default:
      return true
  }
}

/**
 * Classifies the failure of a probe. A success needs no classification: it is `Modern`.
 */
export const classifyFailure = (transport: Transport, error: McpSessionError): Verdict => {
  if (error._tag === "UnsupportedVersionError") return { _tag: "Unsupported", supported: error.supported }
  if (error._tag === "HeaderMismatchError" || error._tag === "MissingCapabilityError") return { _tag: "Modern" }
  // the modern codes have their typed errors (`McpError.fromAnswer`): any other is a legacy server's
  if (error._tag === "ProtocolError") return { _tag: "Legacy", why: `the probe was answered with JSON-RPC error ${error.code}` }
  if (error._tag === "AuthorizationError") return { _tag: "Inconclusive", error }
  switch (error.reason) {
    case "Status":
      return transport === "http" && isAgeEvidence(error.status)
        ? { _tag: "Legacy", why: `the probe was answered with HTTP ${error.status}` }
        : { _tag: "Inconclusive", error }
    case "Timeout":
      return transport === "stdio" ? { _tag: "Legacy", why: "the probe was not answered in time" } : { _tag: "Inconclusive", error }
    case "Decode":
      // a modern server answers its own discovery; an answer that is not one is a legacy server's
      return { _tag: "Legacy", why: `the probe's answer was not a DiscoverResult: ${error.detail}` }
    case "Connect":
    case "Closed":
      return { _tag: "Inconclusive", error }
  }
}

/**
 * The version to retry with after -32022: the newest modern version both sides speak, else the
 * newest legacy one (the server is dual-era and takes `initialize`), else none.
 */
export const pick = (
  supported: ReadonlyArray<string>,
  ours: { readonly modern: ReadonlyArray<string>; readonly legacy: ReadonlyArray<string> }
): { readonly _tag: "Modern" | "Legacy"; readonly version: string } | undefined => {
  const modern = ours.modern.find((version) => supported.includes(version))
  if (modern !== undefined) return { _tag: "Modern", version: modern }
  const legacy = ours.legacy.find((version) => supported.includes(version))
  return legacy === undefined ? undefined : { _tag: "Legacy", version: legacy }
}

/** A remembered outcome. */
export type Era = { readonly _tag: "Modern"; readonly version: string } | { readonly _tag: "Legacy" }

/**
 * Outcomes of past probes, by endpoint.
 *
 * @since 0.1.0
 */
export interface Cache {
  readonly get: (key: string) => Era | undefined
  readonly set: (key: string, era: Era) => void
  readonly delete: (key: string) => void
}

/** A cache in memory. */
export const makeCache = (): Cache => {
  const entries = new Map<string, Era>()
  return {
    get: (key) => entries.get(key),
    set: (key, era) => void entries.set(key, era),
    delete: (key) => void entries.delete(key)
  }
}

/** The cache key of an HTTP endpoint: its URL without fragment. */
export const endpointKey = (url: string | URL): string => {
  const parsed = new URL(String(url))
  parsed.hash = ""
  return parsed.href
}

/**
 * The error of a version nobody can agree on.
 */
export const noCommonVersion = (server: string, requested: string, supported: ReadonlyArray<string>): UnsupportedVersionError =>
  new UnsupportedVersionError({
    server,
    requested,
    supported,
    detail: `this client speaks ${[...modernVersions, ...legacyVersions].join(", ")}`
  })
