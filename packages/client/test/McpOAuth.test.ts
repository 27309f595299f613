import { describe, expect, it } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, readFileSync, statSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { McpClient, McpError, McpOAuth } from "../src/index.js"
import { CLIENT_ID, CLIENT_SECRET, oauthServers } from "./fixtures/oauthServers.js"
import { failureOf } from "./support/effects.js"
import { captureLogs } from "./support/logs.js"

/** Follows the authorization URL as a browser would, and hands back the redirect. */
const follow = (tamper: (url: URL) => URL = (url) => url) => (request: McpOAuth.AuthorizationRequest) =>
  Effect.promise(async () => {
    const response = await fetch(request.url, { redirect: "manual" })
    return tamper(new URL(response.headers.get("location") ?? "http://invalid/"))
  })

const followRedirect = (tamper?: (url: URL) => URL) => Layer.succeed(McpOAuth.Authorizer, { authorize: follow(tamper) })

const preRegistered = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: "http://127.0.0.1:1/callback" } as const

const client = (
  options: McpClient.McpClientOptions,
  services: Layer.Layer<McpOAuth.Authorizer | McpOAuth.TokenStore> = Layer.merge(followRedirect(), McpOAuth.layerMemory)
) =>
  Effect.flatMap(
    Layer.build(McpClient.layerNode(options).pipe(Layer.provide(services))),
    (context) => Effect.succeed(context.unsafeMap.get(McpClient.McpClient.key) as McpClient.Service)
  )

const noSecretIn = (text: string, secrets: ReadonlyArray<string>) => {
  for (const secret of [...secrets, CLIENT_SECRET]) expect(text).not.toContain(secret)
}

/** An `Authorizer` that follows the redirect, and counts how often it was asked. */
const counting = () => {
  const counter = { calls: 0, urls: [] as Array<URL> }
  const layer = Layer.succeed(McpOAuth.Authorizer, {
    authorize: (request) =>
      Effect.suspend(() => {
        counter.calls++
        counter.urls.push(request.url)
        return follow()(request)
      })
  })
  return { counter, layer }
}

describe("McpOAuth: nothing but a request of the application brings a user in", () => {
  it.scopedLive("a health round, status and the listings across servers never call the Authorizer", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }], healthInterval: "1 hour" },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      const states = yield* mcp.checkAllHealth
      const health = states.get("secured")!
      // the server answered (its 401): alive, but it will not serve this client yet
      expect(health.status).toBe("healthy")
      expect(health.error).toMatch(/^not authorized/)
      expect(yield* mcp.availableTools).toEqual([])
      expect(yield* mcp.availableResources).toEqual([])
      expect(yield* mcp.availablePrompts).toEqual([])
      const [status] = yield* mcp.status
      expect(status!.authorization?.authorized).toBe(false)
      expect(counter.calls).toBe(0)
      // not even discovery or registration: no token was asked for
      expect(fixture.grants).toEqual([])
      // a request the application makes of the server may ask the user
      yield* mcp.callTool("secured", "whoami", {})
      expect(counter.calls).toBe(1)
      const after = (yield* mcp.checkHealth("secured"))
      expect(after.error).toBeUndefined()
      expect((yield* mcp.availableTools).map((tool) => tool.qualifiedName)).toEqual(["secured__whoami"])
    }))

  it.scopedLive("a probe with a stored token the server refuses fails as needing a user, without asking one", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const store = yield* Effect.provide(McpOAuth.TokenStore, McpOAuth.layerMemory)
      yield* store.set({
        key: { issuer: fixture.asUrl, server: "secured", resource: `${fixture.mcpUrl}/mcp` },
        accessToken: Redacted.make("at-revoked"),
        refreshToken: undefined,
        expiresAt: undefined,
        scopes: [],
        client: undefined
      })
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }], healthInterval: "1 hour" },
        Layer.merge(layer, Layer.succeed(McpOAuth.TokenStore, store))
      )
      const health = yield* mcp.checkHealth("secured")
      expect(health.status).toBe("healthy")
      expect(health.error).toMatch(/^not authorized/)
      const error = yield* failureOf(McpOAuth.nonInteractive(mcp.listTools("secured")))
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Interaction")
      expect(counter.calls).toBe(0)
      expect(fixture.seenAuthorization).toContain("Bearer at-revoked")
    }))
})

describe("McpOAuth against a local authorization server", () => {
  it.scopedLive("authorizes with the authorization code grant and never lets a token out", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fixture = yield* oauthServers
      const mcp = yield* client({ servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] })
      const result = yield* mcp.callTool("secured", "whoami", {})
      expect(result.content).toEqual([{ type: "text", text: "oauth" }])
      expect(fixture.grants).toEqual(["authorization_code"])
      // the token was asked for this server's resource (RFC 8707) and sent only to it
      expect(fixture.issued[0]!.resource).toBe(`${fixture.mcpUrl}/mcp`)
      expect(fixture.seenAuthorization.at(-1)).toBe(`Bearer ${fixture.issued[0]!.token}`)
      const [status] = yield* mcp.status
      expect(status!.authorization?.authorized).toBe(true)
      expect(status!.authorization?.expiresAt).toBeDefined()
      noSecretIn(JSON.stringify(status), fixture.secrets)
      noSecretIn(JSON.stringify(logs.lines), fixture.secrets)
      expect(fixture.secrets.length).toBeGreaterThan(0)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scopedLive("a per-call token wins over OAuth for that call", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const mcp = yield* client({ servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] })
      const result = yield* mcp.callTool("secured", "whoami", {}, { auth: Redacted.make("user-alice") })
      // the server answers "forwarded" only to a request that carried the caller's token
      expect(result.content).toEqual([{ type: "text", text: "forwarded" }])
      expect(fixture.seenAuthorization).toContain("Bearer user-alice")
    }))

  it.scopedLive("a 401 right after a fresh token is an AuthorizationError, not a loop", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const fixture = yield* oauthServers
      fixture.alwaysRefuse = true
      const mcp = yield* client({ servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered, retry: { times: 1 } }] })
      const error = yield* failureOf(mcp.callTool("secured", "whoami", {}))
      expect(error._tag).toBe("AuthorizationError")
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Rejected")
      expect(error.message).toContain(`MCP server "secured"`)
      expect(fixture.grants).toEqual(["authorization_code"])
      noSecretIn(`${error.message} ${JSON.stringify(error)}`, fixture.secrets)
      noSecretIn(JSON.stringify(logs.lines), fixture.secrets)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scopedLive("a redirect whose state is not the one sent is refused before any token request", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const tampered = followRedirect((url) => {
        url.searchParams.set("state", "forged")
        return url
      })
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered, retry: { times: 1 } }] },
        Layer.merge(tampered, McpOAuth.layerMemory)
      )
      const error = yield* failureOf(mcp.callTool("secured", "whoami", {}))
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Authorization")
      expect(error.message).toContain("state")
      expect(fixture.grants).toEqual([])
    }))

  it.scopedLive("a redirect whose issuer is not the authorization server's is refused (RFC 9207)", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const tampered = followRedirect((url) => {
        url.searchParams.set("iss", "http://127.0.0.1:9/evil")
        return url
      })
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered, retry: { times: 1 } }] },
        Layer.merge(tampered, McpOAuth.layerMemory)
      )
      const error = yield* failureOf(mcp.callTool("secured", "whoami", {}))
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Authorization")
      expect(fixture.grants).toEqual([])
    }))

  it.scopedLive("the client credentials grant keeps its tokens in a file only its owner can read", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const path = join(mkdtempSync(join(tmpdir(), "effect-mcp-oauth-")), "tokens.json")
      const mcp = yield* client(
        {
          servers: [{
            name: "machine",
            url: `${fixture.mcpUrl}/mcp`,
            oauth: { grant: "client_credentials", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
          }]
        },
        Layer.merge(followRedirect(), McpOAuth.layerFile(path).pipe(Layer.provide(NodeFileSystem.layer)))
      )
      yield* mcp.callTool("machine", "whoami", {})
      expect(fixture.grants).toEqual(["client_credentials"])
      expect(statSync(path).mode & 0o777).toBe(0o600)
      const stored = JSON.parse(readFileSync(path, "utf8")) as { tokens: Array<{ key: McpOAuth.TokenKey }> }
      expect(stored.tokens.map((entry) => entry.key)).toEqual([
        { issuer: fixture.asUrl, server: "machine", resource: `${fixture.mcpUrl}/mcp` }
      ])
    }))

  it.scopedLive("a redirect from the server is never followed, so a token never reaches another origin", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      const other = Http.createServer((req, res) => {
        seen.push(req.headers.authorization)
        res.writeHead(500).end()
      })
      const redirecting = Http.createServer((_req, res) => {
        res.writeHead(307, { location: `http://localhost:${(other.address() as AddressInfo).port}/mcp` }).end()
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          other.listen(0, "127.0.0.1", () => redirecting.listen(0, "127.0.0.1", () => resume(Effect.void)))
        }),
        () => Effect.sync(() => {
          other.close()
          redirecting.close()
        })
      )
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/mcp`
      const mcp = yield* client({ servers: [{ name: "moved", url, retry: { times: 1 } }] })
      const error = yield* failureOf(mcp.callTool("moved", "whoami", {}, { auth: "user-secret-token" }))
      expect(error._tag).toBe("TransportError")
      expect(seen).toEqual([])
      expect(error.message).not.toContain("user-secret-token")
    }))

  it("settings name the offending field and never quote a secret", () => {
    const checked = McpOAuth.makeSettings({ grant: "client_credentials", clientSecret: "s3cr3t-value" })
    expect(checked._tag).toBe("Left")
    if (checked._tag === "Left") {
      expect(checked.left.field).toBe("oauth.clientId")
      expect(JSON.stringify(checked.left)).not.toContain("s3cr3t-value")
    }
  })
})
