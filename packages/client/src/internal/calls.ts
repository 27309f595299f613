/**
 * The client's requests to its servers: `callTool`, `listTools` and `availableTools`, each made
 * of attempts (see `attempt.ts`) on the session of its (server, token).
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import type * as McpClient from "../McpClient.js"
import { type McpClientError, UnknownToolError } from "../McpError.js"
import type * as McpServerConfig from "../McpServerConfig.js"
import type * as McpSession from "../McpSession.js"
import * as Attempt from "./attempt.js"
import type * as Deadlines from "./deadlines.js"
import * as Defaults from "./defaults.js"
import * as Servers from "./servers.js"
import type * as SessionPool from "./sessionPool.js"
import { qualify } from "./toolNames.js"
import * as Transport from "./transport.js"

/** @internal */
export interface Calls {
  readonly callTool: McpClient.Service["callTool"]
  readonly listTools: McpClient.Service["listTools"]
  readonly availableTools: McpClient.Service["availableTools"]
}

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** `listTools` and `availableTools` are rare: they keep a fiber of their own. */
const neverOnCallersFiber = () => false

const isArguments = (args: unknown): args is Readonly<Record<string, unknown>> =>
  typeof args === "object" && args !== null && !Array.isArray(args)

const invalidArguments = (server: string, tool: string, args: unknown) =>
  Servers.invalidParams(server, tool, `arguments must be a JSON object, got ${Array.isArray(args) ? "an array" : args === null ? "null" : typeof args}`)

/** @internal */
export const make = (options: {
  readonly configs: ReadonlyArray<McpServerConfig.McpServerConfig>
  readonly pool: SessionPool.SessionPool
  readonly deadlines: Deadlines.Deadlines
  readonly attempts: Attempt.Attempts
  readonly servers: Servers.Servers
  /** Whether a token for the server would need a user now (see `Servers.needsUser`). */
  readonly needsUser: (server: string) => Effect.Effect<boolean>
}): Calls => {
  const { attempts, configs, deadlines, pool } = options
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

  const toolsOf = (session: McpSession.McpSession) => {
    const cached = pool.cachedTools(session)
    return cached === undefined ? pool.fetchTools(session, Attempt.untimed) : Effect.succeed(cached)
  }

  /** The tool's definition, from the session's list, listed once more before giving up on it. */
  const definition = (session: McpSession.McpSession, tool: string) => {
    const found = pool.cachedTools(session)?.find((candidate) => candidate.name === tool)
    if (found !== undefined) return Effect.succeed(found)
    return Effect.flatMap(pool.fetchTools(session, Attempt.untimed), (tools) => {
      const fresh = tools.find((candidate) => candidate.name === tool)
      return fresh !== undefined
        ? Effect.succeed(fresh)
        : Effect.fail(new UnknownToolError({ server: session.server, tool, available: tools.map((t) => t.name) }))
    })
  }

  /** One attempt at listing the server's tools with the token-less session, which caches them. */
  const listOnce = (config: McpServerConfig.McpServerConfig, state: Attempt.AttemptState) =>
    attempts.run(config, undefined, config.timeout, state, neverOnCallersFiber, () => pool.use(config, undefined, toolsOf))

  const callTool = (server: string, tool: string, args: unknown, callOptions: McpClient.CallOptions = {}) =>
    Effect.gen(function*() {
      const config = yield* lookup(server, tool)
      if (!isArguments(args)) return yield* invalidArguments(server, tool, args)
      const auth = yield* Servers.credentials(config, tool, callOptions)
      const timeout = callOptions.timeout === undefined ? config.timeout : Duration.decode(callOptions.timeout)
      const policy = Servers.policy(config, callOptions.retry)
      let requestOptions: McpSession.RequestOptions = { timeout: Duration.infinity, headers: callOptions.headers }
      let slot: Deadlines.Slot | undefined
      if (callOptions.onProgress !== undefined) {
        slot = { current: undefined }
        requestOptions = { ...requestOptions, onProgress: stretching(slot, timeout, callOptions.onProgress) }
      }
      const state: Attempt.AttemptState = { sent: false, safeToRepeat: callOptions.idempotent === true, slot }
      // a tool list still to be fetched is fetched by requests of this fiber: the `Abort` reaches them
      const onCallersFiber = () => pool.ready(config, auth) !== undefined
      const attempt = attempts.run(config, tool, timeout, state, onCallersFiber, () =>
        pool.use(config, auth, (session) =>
          Effect.flatMap(definition(session, tool), (found) => {
            if (callOptions.idempotent === undefined) {
              state.safeToRepeat = found.annotations?.readOnlyHint === true || found.annotations?.idempotentHint === true
            }
            state.sent = true
            return session.callTool(tool, args, requestOptions)
          })))
      const total = Duration.decode(callOptions.maxTotalTimeout ?? Defaults.maxTotalTimeout)
      const call = attempts.withRetries(config, { tool }, policy, state, attempt)
      return yield* Duration.isFinite(total)
        ? Effect.timeoutFail(call, {
          duration: total,
          onTimeout: () => Transport.transportError({ server, tool }, "Timeout", `no answer within the call's maxTotalTimeout of ${Duration.format(total)}`)
        })
        : call
    }).pipe((call) =>
      // Effect's built-in tracer exports nothing, and a span costs about as much as a call on
      // loopback: spans are made only for a tracer that sends them somewhere
      Effect.tracerWith((tracer) =>
        tracer === builtInTracer
          ? call
          : Effect.withSpan(call, "McpClient.callTool", { attributes: { "mcp.server": server, "mcp.tool": tool }, captureStackTrace: false })
      )
    )

  const listTools = (server: string): Effect.Effect<ReadonlyArray<McpSchema.Tool>, McpClientError> =>
    Effect.flatMap(lookup(server), (config) => {
      const state = Attempt.safeState()
      return attempts.withRetries(config, { method: "tools/list" }, config.retry, state, listOnce(config, state))
    })

  // a listing across servers never brings a user in: a server that needs one is left out
  const availableTools = Effect.gen(function*() {
    if (deadlines.isClosed()) return []
    const listed = yield* Effect.forEach(configs, (config) =>
      Servers.unlessNeedsUser(options.needsUser, config, listOnce(config, Attempt.safeState())).pipe(
        Effect.map((tools) => tools.map((tool) => ({ server: config.name, tool }))),
        Effect.catchAll((error) => Effect.as(Effect.logDebug("left out of availableTools", error.message), []))
      ), { concurrency: "unbounded" })
    const flat = listed.flat()
    const names = qualify(flat.map(({ server, tool }) => ({ server, tool: tool.name })))
    return flat.map(({ server, tool }, i): McpClient.QualifiedTool => ({ server, name: tool.name, qualifiedName: names[i]!, tool }))
  })

  return { callTool, listTools, availableTools }
}
