/**
 * Shape checks shared by the configuration given in code and the one read from a file.
 */
import * as Predicate from "effect/Predicate"

/** @internal */
export const positiveInteger = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 1

/**
 * What a value is, for error messages that must not quote it (it may hold an expanded secret).
 *
 * @internal
 */
export const kind = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "a list" : typeof u === "object" ? "an object" : `a ${typeof u}`

/** @internal */
export const isStringRecord = (u: unknown): u is Readonly<Record<string, string>> =>
  Predicate.isRecord(u) && Object.values(u).every(Predicate.isString)

/** @internal */
export const isStringArray = (u: unknown): u is ReadonlyArray<string> => Array.isArray(u) && u.every(Predicate.isString)
