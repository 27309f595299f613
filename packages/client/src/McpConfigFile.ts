/**
 * Claude-Desktop / VS-Code / Cursor style `mcpServers` JSON files: decoding them into
 * `McpServerConfig.Input`s, and encoding those back.
 *
 * `${VAR}` and `${env:VAR}` in any string are replaced from the environment (through the current
 * `ConfigProvider`); shapes are checked before that, so that no error message can quote an
 * expanded secret. `timeout` and retry delays are milliseconds or a duration string
 * (`"30 seconds"`). The `servers` key is accepted as well as `mcpServers`; `type` may be `http`,
 * `streamable-http` or `stdio`. Entries with `command` (and `args`, `env`, `cwd`) are stdio
 * servers; `oauth` (an object, or `true`) holds OAuth settings whose `clientSecret` and
 * `privateKey` are `Redacted` once decoded (`McpOAuth.Input`; `scopes` may also be a
 * space-separated string); `"type": "sse"` entries (the legacy HTTP+SSE transport) are kept as unsupported:
 * listed in `McpClient.status`, never fatal.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import { isStringArray, isStringRecord, kind, positiveInteger } from "./internal/checks.js"
import { McpConfigError } from "./McpError.js"
import type * as McpOAuth from "./McpOAuth.js"
import * as McpServerConfig from "./McpServerConfig.js"
import * as McpSession from "./McpSession.js"

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
export interface McpConfigFile {
  readonly servers: ReadonlyArray<McpServerConfig.Input>
  readonly unsupported: ReadonlyArray<Unsupported>
}

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

const isProtocolVersion = (u: unknown): u is McpSession.ProtocolVersion =>
  u === "auto" || (typeof u === "string" && McpSession.supportedProtocolVersions.includes(u))

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
      maxMessageSize: yield* optionalField(entry.maxMessageSize, positiveInteger, source, `${path}.maxMessageSize`, "a whole number of bytes, at least 1"),
      protocolVersion: yield* optionalField(entry.protocolVersion, isProtocolVersion, source, `${path}.protocolVersion`, `"auto" or an MCP revision (${McpSession.supportedProtocolVersions.join(", ")})`)
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
    for (const field of ["url", "headers", "healthPath", "oauth"] as const) {
      if (raw[field] !== undefined) return yield* McpConfigError.at(source, `${path}.${field}`, "has no meaning for a stdio server (one with a command)")
    }
    const entry = yield* expand(raw, source, path)
    if (!Predicate.isRecord(entry) || !Predicate.isString(entry.command)) return yield* McpConfigError.at(source, path, "must be an object")
    const input: McpServerConfig.StdioInput = {
      name,
      command: entry.command,
      args: yield* optionalField(entry.args, isStringArray, source, `${path}.args`, "a list of strings"),
      env: yield* optionalField(entry.env, isStringRecord, source, `${path}.env`, "an object of variable names and values"),
      cwd: yield* optionalField(entry.cwd, Predicate.isString, source, `${path}.cwd`, "a string"),
      ...(yield* common(entry, source, path))
    }
    yield* McpServerConfig.make(input, source, path)
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
    if (raw.oauth !== undefined && raw.oauth !== true && !Predicate.isRecord(raw.oauth)) {
      return yield* McpConfigError.at(source, `${path}.oauth`, `must be an object or true, got ${kind(raw.oauth)}`)
    }
    const entry = yield* expand(raw, source, path)
    if (!Predicate.isRecord(entry)) return yield* McpConfigError.at(source, path, "must be an object")
    if (entry.url === undefined) return yield* McpConfigError.at(source, `${path}.url`, "is missing")
    if (typeof entry.url !== "string") return yield* McpConfigError.at(source, `${path}.url`, `must be a string, got ${kind(entry.url)}`)
    const input: McpServerConfig.HttpInput = {
      name,
      url: entry.url,
      healthPath: yield* optionalField(entry.healthPath, Predicate.isString, source, `${path}.healthPath`, "a string"),
      headers: yield* optionalField(entry.headers, isStringRecord, source, `${path}.headers`, "an object of header names and values"),
      // checked field by field by `McpServerConfig.make` below; secrets become `Redacted` there
      oauth: oauthInput(entry.oauth),
      ...(yield* common(entry, source, path))
    }
    yield* McpServerConfig.make(input, source, path)
    return { _tag: "Supported" as const, input: withoutUndefined(input) }
  })

const oauthInput = (value: unknown): McpOAuth.Input | true | undefined => {
  if (value === undefined || value === true) return value
  if (!Predicate.isRecord(value)) return undefined
  const { clientSecret, privateKey, scopes, ...rest } = value
  const input: Record<string, unknown> = {
    ...rest,
    // a space-separated string is how OAuth itself writes scopes
    ...(scopes === undefined ? {} : { scopes: typeof scopes === "string" ? scopes.split(" ").filter((s) => s !== "") : scopes }),
    ...(clientSecret === undefined ? {} : { clientSecret: typeof clientSecret === "string" ? Redacted.make(clientSecret) : clientSecret }),
    ...(privateKey === undefined ? {} : { privateKey: typeof privateKey === "string" ? Redacted.make(privateKey) : privateKey })
  }
  // the shapes of the fields are checked by `McpOAuth.makeSettings`, naming each field
  return input as McpOAuth.Input
}

const withoutUndefined = (input: McpServerConfig.Input): McpServerConfig.Input => {
  const retry = input.retry === undefined ? undefined : Object.fromEntries(Object.entries(input.retry).filter(([, v]) => v !== undefined))
  const out = Object.fromEntries(Object.entries({ ...input, retry }).filter(([, v]) => v !== undefined))
  return out as unknown as McpServerConfig.Input
}

/**
 * Decodes a parsed configuration file. `source` names the file in errors.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (json: unknown, source: string): Effect.Effect<McpConfigFile, McpConfigError> =>
  Effect.gen(function*() {
    if (!Predicate.isRecord(json)) return yield* McpConfigError.at(source, "", "must be a JSON object with a \"mcpServers\" key")
    const key = json.mcpServers !== undefined ? "mcpServers" : json.servers !== undefined ? "servers" : undefined
    if (key === undefined) return yield* McpConfigError.at(source, "", "has neither a \"mcpServers\" nor a \"servers\" key")
    const entries = json[key]
    if (!Predicate.isRecord(entries)) return yield* McpConfigError.at(source, key, "must map server names to their settings")
    const servers: Array<McpServerConfig.Input> = []
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
 * @category decoding
 */
export const parse = (text: string, source: string): Effect.Effect<McpConfigFile, McpConfigError> =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => McpConfigError.at(source, "", `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
  }).pipe(Effect.flatMap((json) => decode(json, source)))

/**
 * Reads and decodes a configuration file.
 *
 * @since 0.1.0
 * @category decoding
 */
export const load = (path: string): Effect.Effect<McpConfigFile, McpConfigError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.mapError((error) => McpConfigError.at(path, "", `cannot be read: ${error.message}`)),
    Effect.flatMap((text) => parse(text, path))
  )

const millis = (duration: Duration.DurationInput | undefined) =>
  duration === undefined ? undefined : Duration.toMillis(Duration.decode(duration))

/**
 * Encodes servers back into the `mcpServers` file format (durations as milliseconds).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (file: McpConfigFile): { readonly mcpServers: Record<string, unknown> } => {
  const mcpServers: Record<string, unknown> = {}
  for (const server of file.servers) {
    const { name, oauth, retry, timeout, ...rest } = server
    mcpServers[name] = JSON.parse(JSON.stringify({
      ...rest,
      oauth: oauth === undefined || oauth === true ? oauth : {
        ...oauth,
        // the file is the user's own: what was read from it (or from `${VAR}`) is written back
        clientSecret: oauth.clientSecret === undefined ? undefined : Redacted.isRedacted(oauth.clientSecret) ? Redacted.value(oauth.clientSecret) : oauth.clientSecret,
        privateKey: oauth.privateKey === undefined ? undefined : Redacted.isRedacted(oauth.privateKey) ? Redacted.value(oauth.privateKey) : oauth.privateKey
      },
      timeout: millis(timeout),
      retry: retry === undefined ? undefined : { times: retry.times, base: millis(retry.base), max: millis(retry.max) }
    }))
  }
  for (const entry of file.unsupported) mcpServers[entry.name] = entry.entry
  return { mcpServers }
}
