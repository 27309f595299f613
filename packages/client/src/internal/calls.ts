/**
 * `callTool`: attempts (see `attempt.ts`) on the session of its (server, token), with the tool's
 * definition from that session's list, retried as the tool's hints allow. The other requests,
 * lists included, are in `serverFeatures.ts`.
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"
import type * as McpClient from "../McpClient.js"
import { type McpClientError, UnknownToolError } from "../McpError.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Attempt from "./attempt.js"
import type * as Deadlines from "./deadlines.js"
import * as Defaults from "./defaults.js"
import * as Servers from "./servers.js"
import type * as SessionPool from "./sessionPool.js"
import type * as Telemetry from "./telemetry.js"
import * as Transport from "./transport.js"

/** @internal */
export interface Calls {
  readonly callTool: McpClient.Service["callTool"]
}

/** How long a listing made for a tool the list lacked answers later misses without listing again. */
const missRelistInterval = 5_000

const isArguments = (args: unknown): args is Readonly<Record<string, unknown>> =>
  typeof args === "object" && args !== null && !Array.isArray(args)

const invalidArguments = (server: string, tool: string, args: unknown) =>
  Servers.refused(server, tool, `arguments must be a JSON object, got ${Array.isArray(args) ? "an array" : args === null ? "null" : typeof args}`)

/** @internal */
export const make = (options: {
  readonly pool: SessionPool.SessionPool
  readonly deadlines: Deadlines.Deadlines
  readonly attempts: Attempt.Attempts
  readonly servers: Servers.Servers
  readonly telemetry: Telemetry.Telemetry
}): Calls => {
  const { attempts, deadlines, pool, telemetry } = options
  const lookup = options.servers.lookup

  /**
   * The caller's progress handler, called once each progress has pushed the deadline of the
   * attempt in flight back by `timeout`: a server that reports progress is working, however long
   * it takes. The session calls it as the notification is read and runs what it returns later, on
   * a fiber of the request: the deadline moves at once, however far behind the caller's handler is.
   */
  const stretching = (
    slot: Deadlines.Slot,
    timeout: Duration.Duration,
    onProgress: (progress: McpSession.Progress) => Effect.Effect<void>
  ) => {
    const millis = Duration.toMillis(timeout)
    return (progress: McpSession.Progress): Effect.Effect<void> => {
      deadlines.extend(slot, millis)
      return onProgress(progress)
    }
  }

  /**
   * The list each session fetched last because a call named a tool it did not hold, and when: a
   * call that misses in that same list soon after fails without listing again (a caller trying
   * unknown names would otherwise have the server list its tools at every call).
   */
  const missed = new WeakMap<McpSession.McpSession, { readonly tools: ReadonlyArray<McpSchema.Tool>; readonly at: number }>()
  const unknown = (session: McpSession.McpSession, tool: string, tools: ReadonlyArray<McpSchema.Tool>) =>
    new UnknownToolError({ server: session.server, tool, available: tools.map((t) => t.name) })

  /**
   * The definition of a tool the session's list (if it has one) lacks: listed once more before
   * giving up on it, unless that same list was just fetched for a miss.
   */
  const definition = (session: McpSession.McpSession, tool: string, meta: McpSession.RequestOptions["meta"]) =>
    Effect.suspend(() => {
      const cached = pool.cachedTools(session)
      const last = missed.get(session)
      if (cached !== undefined && last?.tools === cached && deadlines.now() - last.at < missRelistInterval) {
        return Effect.fail(unknown(session, tool, cached))
      }
      // on the call's behalf, so in its trace; the id it is sent with is the listing's, not the call's
      return Effect.flatMap(pool.fetchTools(session, meta === undefined ? Attempt.untimed : { ...Attempt.untimed, meta }), (tools) => {
        const fresh = tools.find((candidate) => candidate.name === tool)
        if (fresh !== undefined) return Effect.succeed(fresh)
        missed.set(session, { tools, at: deadlines.now() })
        return Effect.fail(unknown(session, tool, tools))
      })
    })

  const callTool = (server: string, tool: string, args: unknown, callOptions: McpClient.CallOptions = {}) =>
    telemetry.operation({ server, method: "tools/call", tool }, (trace): Effect.Effect<McpSchema.CallToolResult, McpClientError> => {
      // read without a runtime step: a call's own work is a visible share of a loopback call
      const config = lookup(server, tool)
      if (Either.isLeft(config)) return Effect.fail(config.left)
      if (!isArguments(args)) return Effect.fail(invalidArguments(server, tool, args))
      const auth = Servers.credentials(config.right, tool, callOptions)
      if (Either.isLeft(auth)) return Effect.fail(auth.left)
      return calling(config.right, auth.right, tool, args, callOptions, trace)
    })

  const calling = (
    config: McpServerConfig.McpServerConfig,
    auth: Redacted.Redacted<string> | undefined,
    tool: string,
    args: Readonly<Record<string, unknown>>,
    callOptions: McpClient.CallOptions,
    trace: Telemetry.Trace
  ) => {
    const timeout = callOptions.timeout === undefined ? config.timeout : Duration.decode(callOptions.timeout)
    let requestOptions: McpSession.RequestOptions = { timeout: Duration.infinity, headers: callOptions.headers }
    let slot: Deadlines.Slot | undefined
    if (callOptions.onProgress !== undefined) {
      slot = { current: undefined }
      requestOptions = { ...requestOptions, onProgress: stretching(slot, timeout, callOptions.onProgress) }
    }
    requestOptions = trace.requestOptions(requestOptions)
    const state: Attempt.AttemptState = { sent: false, safeToRepeat: callOptions.idempotent === true, slot }
    const send = (session: McpSession.McpSession, found: McpSchema.Tool) => {
      if (callOptions.idempotent === undefined) {
        state.safeToRepeat = found.annotations?.readOnlyHint === true || found.annotations?.idempotentHint === true
      }
      state.sent = true
      return session.callTool(tool, args, requestOptions)
    }
    // a tool list still to be fetched is fetched by requests of this fiber: the `Abort` reaches them
    const onCallersFiber = () => pool.ready(config, auth) !== undefined
    const attempt = attempts.run(config, tool, timeout, state, onCallersFiber, () =>
      pool.use(config, auth, (session) => {
        const found = pool.cachedTools(session)?.find((candidate) => candidate.name === tool)
        return found === undefined
          ? Effect.flatMap(definition(session, tool, requestOptions.meta), (found) => send(session, found))
          : send(session, found)
      }))
    const total = Duration.decode(callOptions.maxTotalTimeout ?? Defaults.maxTotalTimeout)
    const call = attempts.withRetries(config, { tool }, Servers.policy(config, callOptions.retry), state, trace.attempt(attempt))
    return Duration.isFinite(total)
      ? Effect.timeoutFail(call, {
        duration: total,
        onTimeout: () => Transport.transportError({ server: config.name, tool }, "Timeout", `no answer within the call's maxTotalTimeout of ${Duration.format(total)}`)
      })
      : call
  }

  return { callTool }
}
