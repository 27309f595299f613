/**
 * The JSON-RPC 2.0 envelope: what we send, encoded strictly, and what we receive, classified
 * leniently (unknown members are ignored; only what routing needs is checked).
 */
import * as Predicate from "effect/Predicate"

/** @internal */
export type RequestId = string | number

/** @internal */
export type Incoming =
  | { readonly _tag: "Success"; readonly id: RequestId; readonly result: unknown }
  | {
    readonly _tag: "Failure"
    readonly id: RequestId | null
    readonly code: number
    readonly message: string
    readonly data: unknown
  }
  | { readonly _tag: "Request"; readonly id: RequestId; readonly method: string; readonly params: unknown }
  | { readonly _tag: "Notification"; readonly method: string; readonly params: unknown }

/** @internal */
export const METHOD_NOT_FOUND = -32601

/** @internal */
export const INVALID_PARAMS = -32602

/** @internal */
export const INTERNAL_ERROR = -32603


const isId = (u: unknown): u is RequestId => typeof u === "string" || (typeof u === "number" && Number.isFinite(u))

/**
 * Classifies one decoded JSON value as a JSON-RPC message, or says in words why it is not one.
 *
 * @internal
 */
export const classify = (u: unknown): Incoming | string => {
  if (!Predicate.isRecord(u)) return `expected a JSON-RPC message object, got ${describe(u)}`
  if (typeof u.method === "string") {
    if ("id" in u && u.id !== null && u.id !== undefined) {
      return isId(u.id)
        ? { _tag: "Request", id: u.id, method: u.method, params: u.params }
        : `request "${u.method}" has an invalid id ${describe(u.id)}`
    }
    return { _tag: "Notification", method: u.method, params: u.params }
  }
  if ("error" in u) {
    const error = u.error
    if (!Predicate.isRecord(error) || typeof error.code !== "number") {
      return `JSON-RPC error answer has no numeric error.code`
    }
    return {
      _tag: "Failure",
      id: isId(u.id) ? u.id : null,
      code: error.code,
      message: typeof error.message === "string" ? error.message : "(no message)",
      data: error.data
    }
  }
  if ("result" in u) {
    return isId(u.id)
      ? { _tag: "Success", id: u.id, result: u.result }
      : `JSON-RPC result has an invalid id ${describe(u.id)}`
  }
  return `object is neither a JSON-RPC request, notification nor answer (keys: ${
    Object.keys(u).slice(0, 8).join(", ") || "none"
  })`
}

/**
 * A short, bounded description of a value for error messages.
 *
 * @internal
 */
export const describe = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return `an array of ${u.length}`
  if (typeof u === "string") return `the string ${JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)}`
  if (typeof u === "object") return "an object"
  return `${typeof u} ${String(u)}`
}

/** @internal */
export const encodeRequest = (id: RequestId, method: string, params: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params })

/** @internal */
export const encodeNotification = (method: string, params: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params })

/** @internal */
export const encodeSuccess = (id: RequestId, result: unknown): string => JSON.stringify({ jsonrpc: "2.0", id, result })

/** @internal */
export const encodeFailure = (id: RequestId, code: number, message: string): string =>
  JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })
