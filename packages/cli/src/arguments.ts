/**
 * The tool arguments of `effect-mcp call`: a JSON object given as one argument, and `--arg k=v`
 * pairs laid over it. A value parses as JSON when it can (`--arg limit=3` is the number 3,
 * `--arg open=true` the boolean), else it is the string as written (`--arg district=Central`);
 * `--arg 'id="3"'` forces a string.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The command line is wrong in a way the parser of `@effect/cli` cannot see (exit code 2).
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const excerpt = (text: string): string => text.length <= 120 ? text : `${text.slice(0, 117)}...`

const describe = (value: unknown): string =>
  Array.isArray(value) ? "an array" : value === null ? "null" : typeof value

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/**
 * The `json-args` argument: must be a JSON object.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseJsonArgs = (text: string): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.suspend(() => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return Effect.fail(new UsageError({ message: `json-args is not valid JSON (${reason}): ${excerpt(text)}` }))
    }
    return isObject(value)
      ? Effect.succeed(value)
      : Effect.fail(new UsageError({ message: `json-args must be a JSON object, got ${describe(value)}: ${excerpt(text)}` }))
  })

/**
 * One `--arg key=value`: split at the first `=`; the value is JSON when it parses, else a string.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseArg = (pair: string): Effect.Effect<readonly [string, unknown], UsageError> => {
  const at = pair.indexOf("=")
  if (at <= 0) {
    return Effect.fail(new UsageError({ message: `--arg expects key=value, got ${JSON.stringify(pair)}` }))
  }
  const raw = pair.slice(at + 1)
  return Effect.succeed([pair.slice(0, at), Option.getOrElse(parseJson(raw), () => raw)] as const)
}

/**
 * The arguments of a call: `json-args` (or `{}`), then every `--arg` in order, later keys winning.
 *
 * @since 0.1.0
 * @category parsing
 */
export const toolArguments = (
  json: Option.Option<string>,
  pairs: ReadonlyArray<string>
): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.gen(function*() {
    const base = Option.isSome(json) ? yield* parseJsonArgs(json.value) : {}
    const entries = yield* Effect.forEach(pairs, parseArg)
    return { ...base, ...Object.fromEntries(entries) }
  })
