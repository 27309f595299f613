/**
 * Multi round-trip requests (2026-07-28): a `tools/call`, `prompts/get` or `resources/read` may be
 * answered with `resultType: "input_required"`, whose `inputRequests` (sampling, elicitation,
 * roots) the application's handlers answer; the request is then sent again, with a new id, the
 * original params, the `inputResponses` and the `requestState` echoed unchanged (and none when
 * the server sent none). Nothing of one request's rounds is used by any other request.
 *
 * Decisions: at most `maxRounds` answers of `input_required` are followed (default 8), then the
 * request fails; an input request the client cannot answer (no handler, a refused or failed
 * handler) fails the request with the `ProtocolError` it would have been answered with in 2025,
 * since an `InputResponses` map has no place for an error.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import { type McpSessionError, ProtocolError } from "../McpError.js"
import type * as McpSession from "../McpSession.js"
import type * as ServerRequests from "./serverRequests.js"
import * as Transport from "./transport.js"

/** The methods whose answer may be `input_required`. */
export const roundTripMethods: ReadonlySet<string> = new Set(["tools/call", "prompts/get", "resources/read"])

/** The default bound of rounds of one request. */
export const defaultMaxRounds = 8

/** Whether a result asks for input, and what it asks for. */
export const inputRequired = (
  result: unknown
): { readonly inputRequests: Readonly<Record<string, unknown>>; readonly requestState: string | undefined } | undefined => {
  if (!Predicate.isRecord(result) || result.resultType !== "input_required") return undefined
  return {
    inputRequests: Predicate.isRecord(result.inputRequests) ? result.inputRequests : {},
    requestState: typeof result.requestState === "string" ? result.requestState : undefined
  }
}

/**
 * The params of the next round: the original ones, the responses, and the state echoed.
 */
export const nextParams = (
  original: unknown,
  inputResponses: Readonly<Record<string, unknown>> | undefined,
  requestState: string | undefined
): Record<string, unknown> => {
  const base: Record<string, unknown> = Predicate.isRecord(original) ? { ...original } : {}
  delete base.inputResponses
  delete base.requestState
  return {
    ...base,
    ...(inputResponses === undefined ? {} : { inputResponses }),
    ...(requestState === undefined ? {} : { requestState })
  }
}

/** @internal */
export interface Send {
  (params: unknown): Effect.Effect<unknown, McpSessionError>
}

/**
 * Sends a request and follows its `input_required` rounds until a final result.
 *
 * @internal
 */
export const follow = (options: {
  readonly method: string
  readonly params: unknown
  readonly target: Transport.Target
  readonly serverRequests: ServerRequests.ServerRequests
  readonly auth: Redacted.Redacted<string> | undefined
  readonly maxRounds: number
  /** The request's timeout, which also bounds each wait for the handlers' answers. */
  readonly timeout: Duration.Duration
  readonly send: Send
}): Effect.Effect<unknown, McpSessionError> => {
  const { method, target } = options
  const context: McpSession.ServerRequestContext = { server: target.server, method, tool: target.tool, auth: options.auth }
  const answerAll = (inputRequests: Readonly<Record<string, unknown>>) =>
    Effect.forEach(Object.entries(inputRequests), ([key, request]): Effect.Effect<readonly [string, unknown], McpSessionError> => {
      const asked = Predicate.isRecord(request) && typeof request.method === "string" ? request.method : undefined
      if (asked === undefined) {
        return Effect.fail(Transport.transportError(target, "Decode", `input request ${JSON.stringify(key)} of "${method}" names no method`))
      }
      return Effect.flatMap(options.serverRequests.resolve(asked, Predicate.isRecord(request) ? request.params : undefined, context), (outcome) =>
        Either.match(outcome, {
          onLeft: (refusal) =>
            Effect.fail(
              ProtocolError.refused({
                ...target,
                code: refusal.code,
                message: `the server's input request ${JSON.stringify(key)} ("${asked}") could not be answered: ${refusal.message}`
              })
            ),
          onRight: (result) => Effect.succeed([key, result] as const)
        }))
    }).pipe(
      Effect.map((entries) => Object.fromEntries(entries)),
      // as in 2025, where the server's request waits within the client's
      (answering) =>
        Duration.isFinite(options.timeout)
          ? Effect.timeoutFail(answering, {
            duration: options.timeout,
            onTimeout: () =>
              Transport.transportError(target, "Timeout", `the input requests of "${method}" were not answered within ${Duration.format(options.timeout)}`)
          })
          : answering
    )

  const round = (params: unknown, n: number): Effect.Effect<unknown, McpSessionError> =>
    Effect.flatMap(options.send(params), (result) => {
      const asked = inputRequired(result)
      if (asked === undefined) return Effect.succeed(result)
      if (n >= options.maxRounds) {
        return Effect.fail(
          Transport.transportError(target, "Decode", `"${method}" still asked for input after ${options.maxRounds} rounds`)
        )
      }
      const keys = Object.keys(asked.inputRequests)
      const responses: Effect.Effect<Readonly<Record<string, unknown>> | undefined, McpSessionError> = keys.length === 0
        ? Effect.succeed(undefined)
        : answerAll(asked.inputRequests)
      return responses.pipe(
        Effect.flatMap((responses) => round(nextParams(options.params, responses, asked.requestState), n + 1))
      )
    })

  return round(options.params, 0)
}
