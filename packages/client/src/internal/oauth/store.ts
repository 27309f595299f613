/**
 * The two token stores: in memory, and a JSON file only its owner can read. The file holds the
 * tokens in clear (that is its job); it is created and rewritten with mode 0600, through a
 * temporary file renamed over it, so that a crash never leaves half a file; its directory is
 * created (mode 0700) when missing.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as NodePath from "node:path"
import type * as McpOAuth from "../../McpOAuth.js"

const id = (key: McpOAuth.TokenKey) => JSON.stringify([key.issuer, key.server, key.resource])

const fromMap = (
  entries: Map<string, McpOAuth.StoredTokens>,
  persist: Effect.Effect<void>
): McpOAuth.TokenStoreService => ({
  list: (server) => Effect.sync(() => [...entries.values()].filter((entry) => entry.key.server === server)),
  get: (key) => Effect.sync(() => Option.fromNullable(entries.get(id(key)))),
  set: (tokens) => Effect.zipRight(Effect.sync(() => entries.set(id(tokens.key), tokens)), persist),
  remove: (key) => Effect.zipRight(Effect.sync(() => entries.delete(id(key))), persist),
  clear: (server) =>
    Effect.zipRight(
      Effect.sync(() => {
        for (const [k, entry] of entries) if (entry.key.server === server) entries.delete(k)
      }),
      persist
    )
})

/** @internal */
export const makeMemory: Effect.Effect<McpOAuth.TokenStoreService> = Effect.sync(() => fromMap(new Map(), Effect.void))

const str = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

const methods: ReadonlyArray<string> = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]

const decodeEntry = (u: unknown): McpOAuth.StoredTokens | undefined => {
  if (!Predicate.isRecord(u) || !Predicate.isRecord(u.key) || !Predicate.isRecord(u.client ?? {})) return undefined
  const issuer = str(u.key.issuer), server = str(u.key.server), resource = str(u.key.resource), access = str(u.accessToken)
  if (issuer === undefined || server === undefined || resource === undefined || access === undefined) return undefined
  const refresh = str(u.refreshToken)
  const client = Predicate.isRecord(u.client) ? u.client : undefined
  const clientId = client === undefined ? undefined : str(client.clientId)
  const method = client === undefined ? undefined : str(client.tokenEndpointAuthMethod)
  const secret = client === undefined ? undefined : str(client.clientSecret)
  return {
    key: { issuer, server, resource },
    accessToken: Redacted.make(access),
    refreshToken: refresh === undefined ? undefined : Redacted.make(refresh),
    expiresAt: typeof u.expiresAt === "number" ? u.expiresAt : undefined,
    scopes: Array.isArray(u.scopes) ? u.scopes.filter(Predicate.isString) : [],
    client: clientId === undefined || method === undefined || !methods.includes(method) ? undefined : {
      clientId,
      clientSecret: secret === undefined ? undefined : Redacted.make(secret),
      tokenEndpointAuthMethod: method as McpOAuth.TokenEndpointAuthMethod
    }
  }
}

const encodeEntry = (entry: McpOAuth.StoredTokens) => ({
  key: entry.key,
  accessToken: Redacted.value(entry.accessToken),
  refreshToken: entry.refreshToken === undefined ? undefined : Redacted.value(entry.refreshToken),
  expiresAt: entry.expiresAt,
  scopes: entry.scopes,
  client: entry.client === undefined ? undefined : {
    clientId: entry.client.clientId,
    clientSecret: entry.client.clientSecret === undefined ? undefined : Redacted.value(entry.client.clientSecret),
    tokenEndpointAuthMethod: entry.client.tokenEndpointAuthMethod
  }
})

/** @internal */
export const makeFile = (path: string): Effect.Effect<McpOAuth.TokenStoreService, never, FileSystem.FileSystem> =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const entries = new Map<string, McpOAuth.StoredTokens>()
      const text = yield* fs.readFileString(path).pipe(Effect.orElseSucceed(() => ""))
      try {
        const json: unknown = text === "" ? {} : JSON.parse(text)
        const list = Predicate.isRecord(json) && Array.isArray(json.tokens) ? json.tokens : []
        for (const raw of list) {
          const entry = decodeEntry(raw)
          if (entry !== undefined) entries.set(id(entry.key), entry)
        }
      } catch {
        yield* Effect.logWarning("the token file is not valid JSON; starting empty").pipe(Effect.annotateLogs({ path }))
      }
      const lock = yield* Effect.makeSemaphore(1)
      const persist = Effect.suspend(() => {
        const body = JSON.stringify({ version: 1, tokens: [...entries.values()].map(encodeEntry) }, null, 2)
        const temporary = `${path}.${process.pid}.tmp`
        // the directory too is created owner-only, and only when there is something to write
        return fs.makeDirectory(NodePath.dirname(path), { recursive: true, mode: 0o700 }).pipe(
          Effect.zipRight(fs.writeFileString(temporary, body, { mode: 0o600 })),
          // `mode` applies only when the file is created: a leftover temporary file keeps its own
          Effect.zipRight(fs.chmod(temporary, 0o600)),
          Effect.zipRight(fs.rename(temporary, path)),
          Effect.catchAll((error) => Effect.logWarning("could not write the token file", error.message)),
          Effect.annotateLogs({ path })
        )
      }).pipe(lock.withPermits(1))
      return fromMap(entries, persist)
    })
