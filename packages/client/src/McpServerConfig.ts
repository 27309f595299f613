/**
 * The configuration of one MCP server, and of a Claude-Desktop / VS-Code style `mcpServers`
 * JSON file.
 *
 * In a file, `${VAR}` and `${env:VAR}` in any string are replaced from the environment (through
 * the current `ConfigProvider`); `timeout` and retry delays are milliseconds or a duration string
 * (`"30 seconds"`). The `servers` key is accepted as well as `mcpServers`. Entries with `command`
 * are stdio servers; `"type": "sse"` entries are kept as unsupported: listed in
 * `McpClient.status`, never fatal.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import { McpConfigError } from "./McpError.js"
import * as McpRetry from "./McpRetry.js"
import * as Defaults from "./internal/defaults.js"
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
} & Endpoint

type Endpoint =
  | { readonly url: string; readonly stdio: undefined; readonly healthUrl: string | undefined; readonly headers: Readonly<Record<string, string>> }
  | { readonly url: undefined; readonly stdio: StdioCommand; readonly healthUrl: undefined; readonly headers: Readonly<Record<string, string>> }

/**
 * A configured server effect-mcp cannot talk to (the legacy HTTP+SSE transport), kept for `status`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unsupported {
  readonly name: string
  readonly reason: string
  /** The entry as written, so that encoding the file gives it back. */
  readonly entry: unknown
}

/**
 * The servers of a configuration file.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigFile {
  readonly servers: ReadonlyArray<Input>
  readonly unsupported: ReadonlyArray<Unsupported>
}


const positiveInteger = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 1

/** What a value is, for error messages that must not quote it (it may hold an expanded secret). */
const kind = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "a list" : typeof u === "object" ? "an object" : `a ${typeof u}`

const isStringRecord = (u: unknown): u is Readonly<Record<string, string>> =>
  Predicate.isRecord(u) && Object.values(u).every(Predicate.isString)

/** Where the server is: its checked URL, headers and health URL, or its checked command. */
const checkEndpoint = (
  input: Input,
  fail: (field: string, problem: string) => Effect.Effect<never, McpConfigError>
): Endpoint | Effect.Effect<never, McpConfigError> => {
  if (input.command !== undefined) {
    if (input.url !== undefined) return fail("url", "cannot be given with command: a server is either HTTP or stdio")
    if (typeof input.command !== "string" || input.command.trim() === "") return fail("command", "must be a non-empty string")
    if (input.args !== undefined && !(Array.isArray(input.args) && input.args.every(Predicate.isString))) {
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
    if (input.tools !== undefined && (!Array.isArray(input.tools) || input.tools.some((t) => typeof t !== "string"))) {
      return fail("tools", "must be a list of tool names")
    }
    return Effect.succeed({
      name: input.name,
      ...endpoint,
      timeout: timeout.value,
      retry: { times: retryInput.times ?? McpRetry.defaultPolicy.times, base: base.value, max: max.value },
      tools: input.tools ?? [],
      maxConcurrency: input.maxConcurrency ?? Defaults.maxConcurrency,
      maxMessageSize: input.maxMessageSize ?? Defaults.maxMessageSize
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

const VARIABLE = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g

const expand = (
  value: unknown,
  source: string,
  path: string
): Effect.Effect<unknown, McpConfigError> => {
  if (typeof value === "string") {
    const names = [...value.matchAll(VARIABLE)].map((match) => match[1]!)
    if (names.length === 0) return Effect.succeed(value)
    return Effect.forEach(names, (name) =>
      Config.string(name).pipe(
        Effect.mapError(() => McpConfigError.at(source, path, `environment variable ${name} is not set`)),
        Effect.map((resolved) => [name, resolved] as const)
      )).pipe(
        Effect.map((pairs) => {
          const values = new Map(pairs)
          return value.replace(VARIABLE, (_, name: string) => values.get(name)!)
        })
      )
  }
  if (Array.isArray(value)) return Effect.forEach(value, (item, i) => expand(item, source, `${path}[${i}]`))
  if (Predicate.isRecord(value)) {
    return Effect.map(
      Effect.forEach(Object.entries(value), ([key, item]) => Effect.map(expand(item, source, `${path}.${key}`), (v) => [key, v] as const)),
      Object.fromEntries
    )
  }
  return Effect.succeed(value)
}

const durationField = (value: unknown, source: string, path: string) => {
  if (value === undefined) return Effect.succeed(undefined)
  const decoded = typeof value === "number" || typeof value === "string" ? Duration.decodeUnknown(value) : Option.none()
  return Option.isSome(decoded)
    ? Effect.succeed(decoded.value)
    : Effect.fail(McpConfigError.at(source, path, `must be milliseconds or a duration such as "30 seconds", got ${JSON.stringify(value)}`))
}

const optionalField = <A>(
  value: unknown,
  check: (u: unknown) => u is A,
  source: string,
  path: string,
  expected: string
): Effect.Effect<A | undefined, McpConfigError> =>
  value === undefined || check(value)
    ? Effect.succeed(value)
    : Effect.fail(McpConfigError.at(source, path, `must be ${expected}, got ${kind(value)}`))

const isStringArray = (u: unknown): u is ReadonlyArray<string> => Array.isArray(u) && u.every(Predicate.isString)

const common = (entry: Readonly<Record<string, unknown>>, source: string, path: string) =>
  Effect.gen(function*() {
    const retryRaw = entry.retry
    if (retryRaw !== undefined && !Predicate.isRecord(retryRaw)) return yield* McpConfigError.at(source, `${path}.retry`, "must be an object")
    return {
      timeout: yield* durationField(entry.timeout, source, `${path}.timeout`),
      retry: retryRaw === undefined ? undefined : {
        times: yield* optionalField(retryRaw.times, positiveInteger, source, `${path}.retry.times`, "a whole number of attempts, at least 1"),
        base: yield* durationField(retryRaw.base, source, `${path}.retry.base`),
        max: yield* durationField(retryRaw.max, source, `${path}.retry.max`)
      },
      tools: yield* optionalField(entry.tools, isStringArray, source, `${path}.tools`, "a list of tool names"),
      maxConcurrency: yield* optionalField(entry.maxConcurrency, positiveInteger, source, `${path}.maxConcurrency`, "a whole number, at least 1"),
      maxMessageSize: yield* optionalField(entry.maxMessageSize, positiveInteger, source, `${path}.maxMessageSize`, "a whole number of bytes, at least 1")
    }
  })

const decodeStdioEntry = (name: string, raw: Readonly<Record<string, unknown>>, source: string, path: string) =>
  Effect.gen(function*() {
    // shapes are checked before `${VAR}` expansion, so that no message can quote a secret
    if (raw.command === undefined) return yield* McpConfigError.at(source, `${path}.command`, "is missing")
    yield* optionalField(raw.command, Predicate.isString, source, `${path}.command`, "a string")
    yield* optionalField(raw.args, isStringArray, source, `${path}.args`, "a list of strings")
    yield* optionalField(raw.env, Predicate.isRecord, source, `${path}.env`, "an object of variable names and values")
    for (const [variable, value] of Object.entries(Predicate.isRecord(raw.env) ? raw.env : {})) {
      if (typeof value !== "string") return yield* McpConfigError.at(source, `${path}.env.${variable}`, `must be a string, got ${kind(value)}`)
    }
    yield* optionalField(raw.cwd, Predicate.isString, source, `${path}.cwd`, "a string")
    for (const field of ["url", "headers", "healthPath"] as const) {
      if (raw[field] !== undefined) return yield* McpConfigError.at(source, `${path}.${field}`, "has no meaning for a stdio server (one with a command)")
    }
    const entry = yield* expand(raw, source, path)
    if (!Predicate.isRecord(entry) || !Predicate.isString(entry.command)) return yield* McpConfigError.at(source, path, "must be an object")
    const input: StdioInput = {
      name,
      command: entry.command,
      args: yield* optionalField(entry.args, isStringArray, source, `${path}.args`, "a list of strings"),
      env: yield* optionalField(entry.env, isStringRecord, source, `${path}.env`, "an object of variable names and values"),
      cwd: yield* optionalField(entry.cwd, Predicate.isString, source, `${path}.cwd`, "a string"),
      ...(yield* common(entry, source, path))
    }
    yield* make(input, source, path)
    return { _tag: "Supported" as const, input: withoutUndefined(input) }
  })

const decodeEntry = (name: string, raw: unknown, source: string, path: string) =>
  Effect.gen(function*() {
    if (!Predicate.isRecord(raw)) return yield* McpConfigError.at(source, path, "must be an object")
    if (raw.command !== undefined || raw.type === "stdio") return yield* decodeStdioEntry(name, raw, source, path)
    if (raw.type === "sse") {
      return { _tag: "Unsupported" as const, name, entry: raw, reason: "legacy HTTP+SSE transport; effect-mcp speaks Streamable HTTP and stdio" }
    }
    if (raw.type !== undefined && raw.type !== "http" && raw.type !== "streamable-http") {
      return yield* McpConfigError.at(source, `${path}.type`, `must be "http" or "streamable-http", got ${JSON.stringify(raw.type)}`)
    }
    // shapes are checked before `${VAR}` expansion, so that no message can quote a secret
    yield* optionalField(raw.headers, Predicate.isRecord, source, `${path}.headers`, "an object of header names and values")
    for (const [header, value] of Object.entries(Predicate.isRecord(raw.headers) ? raw.headers : {})) {
      if (typeof value !== "string") return yield* McpConfigError.at(source, `${path}.headers.${header}`, `must be a string, got ${kind(value)}`)
    }
    const entry = yield* expand(raw, source, path)
    if (!Predicate.isRecord(entry)) return yield* McpConfigError.at(source, path, "must be an object")
    if (entry.url === undefined) return yield* McpConfigError.at(source, `${path}.url`, "is missing")
    if (typeof entry.url !== "string") return yield* McpConfigError.at(source, `${path}.url`, `must be a string, got ${kind(entry.url)}`)
    const input: HttpInput = {
      name,
      url: entry.url,
      healthPath: yield* optionalField(entry.healthPath, Predicate.isString, source, `${path}.healthPath`, "a string"),
      headers: yield* optionalField(entry.headers, isStringRecord, source, `${path}.headers`, "an object of header names and values"),
      ...(yield* common(entry, source, path))
    }
    yield* make(input, source, path)
    return { _tag: "Supported" as const, input: withoutUndefined(input) }
  })

const withoutUndefined = (input: Input): Input => {
  const retry = input.retry === undefined ? undefined : Object.fromEntries(Object.entries(input.retry).filter(([, v]) => v !== undefined))
  const out = Object.fromEntries(Object.entries({ ...input, retry }).filter(([, v]) => v !== undefined))
  return out as unknown as Input
}

/**
 * Decodes a parsed configuration file. `source` names the file in errors.
 *
 * @since 0.1.0
 * @category config file
 */
export const decodeFile = (json: unknown, source: string): Effect.Effect<ConfigFile, McpConfigError> =>
  Effect.gen(function*() {
    if (!Predicate.isRecord(json)) return yield* McpConfigError.at(source, "", "must be a JSON object with a \"mcpServers\" key")
    const key = json.mcpServers !== undefined ? "mcpServers" : json.servers !== undefined ? "servers" : undefined
    if (key === undefined) return yield* McpConfigError.at(source, "", "has neither a \"mcpServers\" nor a \"servers\" key")
    const entries = json[key]
    if (!Predicate.isRecord(entries)) return yield* McpConfigError.at(source, key, "must map server names to their settings")
    const servers: Array<Input> = []
    const unsupported: Array<Unsupported> = []
    for (const [name, raw] of Object.entries(entries)) {
      const decoded = yield* decodeEntry(name, raw, source, `${key}.${name}`)
      if (decoded._tag === "Supported") servers.push(decoded.input)
      else unsupported.push({ name: decoded.name, reason: decoded.reason, entry: decoded.entry })
    }
    return { servers, unsupported }
  })

/**
 * Parses and decodes the text of a configuration file.
 *
 * @since 0.1.0
 * @category config file
 */
export const parseFile = (text: string, source: string): Effect.Effect<ConfigFile, McpConfigError> =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => McpConfigError.at(source, "", `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
  }).pipe(Effect.flatMap((json) => decodeFile(json, source)))

/**
 * Reads and decodes a configuration file.
 *
 * @since 0.1.0
 * @category config file
 */
export const loadFile = (path: string): Effect.Effect<ConfigFile, McpConfigError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.mapError((error) => McpConfigError.at(path, "", `cannot be read: ${error.message}`)),
    Effect.flatMap((text) => parseFile(text, path))
  )

const millis = (duration: Duration.DurationInput | undefined) =>
  duration === undefined ? undefined : Duration.toMillis(Duration.decode(duration))

/**
 * Encodes servers back into the `mcpServers` file format (durations as milliseconds).
 *
 * @since 0.1.0
 * @category config file
 */
export const encodeFile = (file: ConfigFile): { readonly mcpServers: Record<string, unknown> } => {
  const mcpServers: Record<string, unknown> = {}
  for (const server of file.servers) {
    const { name, retry, timeout, ...rest } = server
    mcpServers[name] = JSON.parse(JSON.stringify({
      ...rest,
      timeout: millis(timeout),
      retry: retry === undefined ? undefined : { times: retry.times, base: millis(retry.base), max: millis(retry.max) }
    }))
  }
  for (const entry of file.unsupported) mcpServers[entry.name] = entry.entry
  return { mcpServers }
}
