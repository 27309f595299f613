/**
 * The configuration of one MCP server as given in code (or decoded from a file by
 * `McpConfigFile`): checked field by field, its defaults filled in. A server is either reached
 * over Streamable HTTP (`url`) or started as a child process spoken to over stdio (`command`).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import { McpConfigError } from "./McpError.js"
import * as McpOAuth from "./McpOAuth.js"
import * as McpRetry from "./McpRetry.js"
import type * as McpSession from "./McpSession.js"
import * as Defaults from "./internal/defaults.js"
import * as Negotiation from "./internal/negotiation.js"
import { isStringArray, isStringRecord, kind, positiveInteger } from "./internal/checks.js"
import * as Transport from "./internal/transport.js"

/**
 * What every server has, whatever its transport.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonInput {
  /** Unique name, used in calls, errors, logs and qualified tool names. */
  readonly name: string
  /** Deadline of each attempt. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Default: 3 attempts, exponential from 1 second, capped at 10 seconds. */
  readonly retry?: McpRetry.RetryOptions | undefined
  /** Tool names the server is expected to offer; `status` reports the missing ones. */
  readonly tools?: ReadonlyArray<string> | undefined
  /** Calls in flight to this server at once; more wait. Default 32. */
  readonly maxConcurrency?: number | undefined
  /** Largest message (JSON body, SSE event, stdio line) accepted, in bytes; larger ones are cut off. Default 16 MiB. */
  readonly maxMessageSize?: number | undefined
  /**
   * The MCP revision to speak: `"auto"` (the default) probes with 2026-07-28's `server/discover`
   * and falls back to `initialize` for a 2025 server; a revision pins it (no probe, no fallback).
   */
  readonly protocolVersion?: McpSession.ProtocolVersion | undefined
}

/**
 * A server reached over Streamable HTTP.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpInput extends CommonInput {
  /** The MCP endpoint. */
  readonly url: string
  readonly command?: undefined
  /** Probed with HTTP GET (relative to the URL) instead of MCP `ping` when set, e.g. `/health`. */
  readonly healthPath?: string | undefined
  /** Sent with every request to this server. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** OAuth 2.1 authorization of this server (`true`: dynamic registration, authorization code). */
  readonly oauth?: McpOAuth.Input | true | undefined
}

/**
 * A server started as a child process and spoken to over its stdin and stdout.
 *
 * @since 0.1.0
 * @category models
 */
export interface StdioInput extends CommonInput {
  /** The program, found on `PATH` when not a path; never run through a shell. */
  readonly command: string
  readonly url?: undefined
  readonly oauth?: undefined
  readonly args?: ReadonlyArray<string> | undefined
  /**
   * Added to the few variables the process inherits (HOME, LOGNAME, PATH, SHELL, TERM, USER);
   * nothing else of this process's environment is passed on.
   */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Working directory of the process. */
  readonly cwd?: string | undefined
}

/**
 * One server as written by a user: `url` for Streamable HTTP, `command` for stdio.
 *
 * @since 0.1.0
 * @category models
 */
export type Input = HttpInput | StdioInput

/**
 * The process of a stdio server.
 *
 * @since 0.1.0
 * @category models
 */
export interface StdioCommand {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string | undefined
}

/**
 * One server with every default filled in and every field checked: either `url` (Streamable
 * HTTP) or `stdio` (a child process) is set.
 *
 * @since 0.1.0
 * @category models
 */
export type McpServerConfig = {
  readonly name: string
  readonly timeout: Duration.Duration
  readonly retry: McpRetry.Policy
  readonly tools: ReadonlyArray<string>
  readonly maxConcurrency: number
  readonly maxMessageSize: number
  /** The pinned revision, or `"auto"`. */
  readonly protocolVersion: McpSession.ProtocolVersion
  /** OAuth settings, for an HTTP server configured with `oauth`. */
  readonly oauth: McpOAuth.Settings | undefined
} & Endpoint

type Endpoint =
  | { readonly url: string; readonly stdio: undefined; readonly healthUrl: string | undefined; readonly headers: Readonly<Record<string, string>> }
  | { readonly url: undefined; readonly stdio: StdioCommand; readonly healthUrl: undefined; readonly headers: Readonly<Record<string, string>> }

const protocolVersions: ReadonlyArray<unknown> = ["auto", ...Negotiation.modernVersions, ...Negotiation.legacyVersions]

/** Where the server is: its checked URL, headers and health URL, or its checked command. */
const checkEndpoint = (
  input: Input,
  fail: (field: string, problem: string) => Effect.Effect<never, McpConfigError>
): Endpoint | Effect.Effect<never, McpConfigError> => {
  if (input.command !== undefined) {
    if (input.url !== undefined) return fail("url", "cannot be given with command: a server is either HTTP or stdio")
    if (typeof input.command !== "string" || input.command.trim() === "") return fail("command", "must be a non-empty string")
    if (input.args !== undefined && !isStringArray(input.args)) {
      return fail("args", "must be a list of strings")
    }
    if (input.env !== undefined && !isStringRecord(input.env)) return fail("env", "must map variable names to strings")
    if (input.cwd !== undefined && typeof input.cwd !== "string") return fail("cwd", "must be a string")
    return {
      url: undefined,
      stdio: { command: input.command, args: input.args ?? [], env: input.env ?? {}, cwd: input.cwd },
      healthUrl: undefined,
      headers: {}
    }
  }
  let url: URL
  try {
    url = new URL(input.url)
  } catch {
    return fail("url", input.url === undefined ? "is missing (or give a command for a stdio server)" : "is not a URL")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail("url", `must be http or https, got ${url.protocol}`)
  }
  if (input.headers !== undefined) {
    if (!Predicate.isRecord(input.headers)) return fail("headers", "must map header names to strings")
    for (const [header, value] of Object.entries(input.headers)) {
      if (!Transport.isHeaderName(header)) return fail("headers", `has an invalid header name ${JSON.stringify(header)}`)
      if (typeof value !== "string") return fail(`headers.${header}`, `must be a string, got ${kind(value)}`)
      if (!Transport.isHeaderValue(value)) return fail(`headers.${header}`, "has characters not allowed in an HTTP header value")
    }
  }
  let healthUrl: string | undefined
  if (input.healthPath !== undefined) {
    try {
      healthUrl = new URL(input.healthPath, url).toString()
    } catch {
      return fail("healthPath", "is not a path or URL")
    }
  }
  return { url: url.toString(), stdio: undefined, healthUrl, headers: input.headers ?? {} }
}

/**
 * Checks one server and fills in its defaults. `source` and `path` locate it in error messages.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input, source = "options", path = input.name): Effect.Effect<McpServerConfig, McpConfigError> =>
  Effect.suspend(() => {
    const fail = (field: string, problem: string) =>
      Effect.fail(McpConfigError.at(source, field === "" ? path : `${path}.${field}`, problem))
    if (typeof input.name !== "string" || input.name.trim() === "") return fail("name", "must be a non-empty string")
    const endpoint = checkEndpoint(input, fail)
    if (Effect.isEffect(endpoint)) return endpoint
    const timeout = input.timeout === undefined ? Option.some(Defaults.requestTimeout) : Duration.decodeUnknown(input.timeout)
    if (Option.isNone(timeout) || !Duration.greaterThan(timeout.value, Duration.zero) || !Duration.isFinite(timeout.value)) {
      return fail("timeout", "must be a positive, finite duration")
    }
    const retryInput = input.retry ?? {}
    if (retryInput.times !== undefined && !positiveInteger(retryInput.times)) {
      return fail("retry.times", "must be a whole number of attempts, at least 1")
    }
    const base = retryInput.base === undefined ? Option.some(McpRetry.defaultPolicy.base) : Duration.decodeUnknown(retryInput.base)
    const max = retryInput.max === undefined ? Option.some(McpRetry.defaultPolicy.max) : Duration.decodeUnknown(retryInput.max)
    if (Option.isNone(base) || !Duration.isFinite(base.value)) return fail("retry.base", "must be a finite duration")
    if (Option.isNone(max) || !Duration.isFinite(max.value)) return fail("retry.max", "must be a finite duration")
    if (Duration.lessThan(max.value, base.value)) return fail("retry.max", "must not be shorter than retry.base")
    if (input.maxConcurrency !== undefined && !positiveInteger(input.maxConcurrency)) {
      return fail("maxConcurrency", "must be a whole number, at least 1")
    }
    if (input.maxMessageSize !== undefined && !positiveInteger(input.maxMessageSize)) {
      return fail("maxMessageSize", "must be a whole number of bytes, at least 1")
    }
    if (input.protocolVersion !== undefined && !protocolVersions.includes(input.protocolVersion)) {
      return fail("protocolVersion", `must be "auto" or one of ${[...Negotiation.modernVersions, ...Negotiation.legacyVersions].join(", ")}`)
    }
    if (input.tools !== undefined && (!Array.isArray(input.tools) || input.tools.some((t) => typeof t !== "string"))) {
      return fail("tools", "must be a list of tool names")
    }
    let oauth: McpOAuth.Settings | undefined
    if (input.oauth !== undefined) {
      if (input.command !== undefined) return fail("oauth", "has no meaning for a stdio server (one with a command)")
      const checked = McpOAuth.makeSettings(input.oauth)
      if (Either.isLeft(checked)) return fail(checked.left.field, checked.left.problem)
      oauth = checked.right
    }
    return Effect.succeed({
      name: input.name,
      oauth,
      ...endpoint,
      timeout: timeout.value,
      retry: { times: retryInput.times ?? McpRetry.defaultPolicy.times, base: base.value, max: max.value },
      tools: input.tools ?? [],
      maxConcurrency: input.maxConcurrency ?? Defaults.maxConcurrency,
      maxMessageSize: input.maxMessageSize ?? Defaults.maxMessageSize,
      protocolVersion: input.protocolVersion ?? "auto"
    })
  })

/**
 * Checks every server; names must be unique.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeAll = (
  inputs: ReadonlyArray<Input>,
  source = "options",
  pathOf: (input: Input, index: number) => string = (_, index) => `servers[${index}]`
): Effect.Effect<ReadonlyArray<McpServerConfig>, McpConfigError> =>
  Effect.gen(function*() {
    const seen = new Set<string>()
    const out: Array<McpServerConfig> = []
    for (const [index, input] of inputs.entries()) {
      const config = yield* make(input, source, pathOf(input, index))
      if (seen.has(config.name)) {
        return yield* McpConfigError.at(source, `${pathOf(input, index)}.name`, `duplicate server name "${config.name}"`)
      }
      seen.add(config.name)
      out.push(config)
    }
    return out
  })
