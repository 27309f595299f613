import { describe, expect, it } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as jose from "jose"
import { mkdtempSync, readFileSync, statSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { McpClient, McpConfigFile, McpError, McpOAuth, McpServerConfig } from "../src/index.js"
import { CLIENT_ID, CLIENT_SECRET, oauthServers } from "./fixtures/oauthServers.js"
import { failureOf } from "./support/effects.js"
import { captureLogs } from "./support/logs.js"
import { otel } from "./support/otel.js"
import { recordingTracer } from "./support/tracing.js"

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
  const counter = { calls: 0, urls: [] as Array<URL>, codes: [] as Array<string> }
  const layer = Layer.succeed(McpOAuth.Authorizer, {
    authorize: (request) =>
      Effect.suspend(() => {
        counter.calls++
        counter.urls.push(request.url)
        return Effect.tap(follow()(request), (redirect) =>
          Effect.sync(() => {
            if (redirect instanceof URL) counter.codes.push(redirect.searchParams.get("code") ?? "")
          }))
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
      expect((yield* mcp.availableTools).map((tool) => tool.qualifiedName)).toEqual(["secured__whoami", "secured__admin"])
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

describe("McpOAuth: tokens over time", () => {
  it.scoped("refreshes a token tokenRefreshSkew (60 seconds) before it expires, not sooner (TestClock)", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      // 90 seconds: the refresh is due at 30 (the client's deadline fiber ticks every 50 ms of
      // TestClock, so shorter adjustments keep the test quick)
      fixture.expiresIn = 90
      const mcp = yield* client({
        servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }],
        healthInterval: "1 day",
        sessionIdleTimeToLive: "1 day"
      })
      yield* mcp.callTool("secured", "whoami", {})
      expect(fixture.grants).toEqual(["authorization_code"])
      const first = fixture.issued[0]!.token
      // one second before the refresh is due: the token is still sent as it is
      yield* TestClock.adjust("29 seconds")
      yield* mcp.callTool("secured", "whoami", {})
      expect(fixture.grants).toEqual(["authorization_code"])
      expect(fixture.seenAuthorization.at(-1)).toBe(`Bearer ${first}`)
      // within the last 60 seconds: refreshed before the request leaves, no 401 on the way
      yield* TestClock.adjust("2 seconds")
      const before = fixture.seenAuthorization.length
      yield* mcp.callTool("secured", "whoami", {})
      expect(fixture.grants).toEqual(["authorization_code", "refresh_token"])
      const second = fixture.issued[1]!.token
      expect(fixture.seenAuthorization.slice(before)).toEqual([`Bearer ${second}`])
    }))

  it.scopedLive("a token the server refuses (401) is refreshed, without asking the user again", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      yield* mcp.callTool("secured", "whoami", {})
      fixture.revoked.add(fixture.issued[0]!.token)
      const result = yield* mcp.callTool("secured", "whoami", {})
      expect(result.content).toEqual([{ type: "text", text: "oauth" }])
      expect(fixture.grants).toEqual(["authorization_code", "refresh_token"])
      expect(fixture.seenAuthorization.at(-1)).toBe(`Bearer ${fixture.issued[1]!.token}`)
      expect(counter.calls).toBe(1)
    }))

  it.scopedLive("a 403 insufficient_scope authorizes again for the scopes held and the scopes challenged", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      const result = yield* mcp.callTool("secured", "admin", {})
      expect(result.content).toEqual([{ type: "text", text: "admin" }])
      expect(counter.urls.map((url) => url.searchParams.get("scope"))).toEqual(["tools:read", "tools:read tools:admin"])
      expect(fixture.issued.map((issued) => issued.scopes)).toEqual([["tools:read"], ["tools:read", "tools:admin"]])
      const [status] = yield* mcp.status
      expect(status!.authorization?.scopes).toEqual(["tools:read", "tools:admin"])
    }))

  it.scopedLive("step-up stops at maxStepUps: past it the 403 is an AuthorizationError (Rejected)", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: { ...preRegistered, maxStepUps: 0 }, retry: { times: 1 } }] },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      const error = yield* failureOf(mcp.callTool("secured", "admin", {}))
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Rejected")
      expect(counter.calls).toBe(1)
    }))
})

describe("McpOAuth: what tokens never reach", () => {
  it.scopedLive("no span attribute, event or link holds a token, a code or a secret", () => {
    const { spans, tracer: recording } = recordingTracer()
    return Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      yield* mcp.callTool("secured", "whoami", {})
      fixture.revoked.add(fixture.issued[0]!.token)
      yield* mcp.callTool("secured", "admin", {})
      yield* mcp.checkHealth("secured")
      // a failure's cause is recorded in its span: it must not carry a token either
      fixture.alwaysRefuse = true
      const refused = yield* failureOf(mcp.callTool("secured", "whoami", {}))
      expect(refused._tag).toBe("AuthorizationError")
      // the flows ran: a code, a refresh and a step-up, all inside traced calls
      expect(fixture.grants).toEqual(["authorization_code", "refresh_token", "authorization_code", "refresh_token"])
      expect(counter.calls).toBe(2)
      expect(counter.codes.length).toBe(2)
      const calls = spans.filter((span) => span.kind === "client" && span.attributes.get("mcp.method.name") === "tools/call")
      expect(calls.map((span) => span.attributes.get("gen_ai.tool.name"))).toEqual(["whoami", "admin", "whoami"])
      const recorded = JSON.stringify(spans.map((span) => ({
        name: span.name,
        attributes: [...span.attributes.entries()].map(([key, value]) => [key, String(value)]),
        events: "events" in span && Array.isArray(span.events) ? span.events.map((event) => JSON.stringify(event, (_k, v) => typeof v === "bigint" ? String(v) : v)) : [],
        links: span.links.map((link) => JSON.stringify(link.attributes)),
        status: span.status._tag === "Ended" && Exit.isFailure(span.status.exit) ? Cause.pretty(span.status.exit.cause) : ""
      })))
      expect(recorded).toContain("authorization failed (Rejected)")
      // the first pair, its refresh, the step-up's pair, the refresh tried when everything is refused
      expect(fixture.secrets.length).toBe(6)
      noSecretIn(recorded, [...fixture.secrets, ...counter.codes])
    }).pipe(Effect.withTracer(recording))
  })
})

describe("McpOAuth: what tokens never reach, with @effect/opentelemetry exporting", () => {
  it.scopedLive("no exported span attribute, event, status or metric label holds a token, a code or a secret", () => {
    const telemetry = otel()
    return Effect.gen(function*() {
      const fixture = yield* oauthServers
      const { counter, layer } = counting()
      const mcp = yield* client(
        { servers: [{ name: "secured-otel", url: `${fixture.mcpUrl}/mcp`, oauth: preRegistered }] },
        Layer.merge(layer, McpOAuth.layerMemory)
      )
      yield* mcp.callTool("secured-otel", "whoami", {})
      fixture.revoked.add(fixture.issued[0]!.token)
      yield* mcp.callTool("secured-otel", "admin", {})
      yield* mcp.checkHealth("secured-otel")
      yield* mcp.listTools("secured-otel")
      // the caller's own token, forwarded as is
      const forwarded = fixture.issued.at(-1)!.token
      yield* Effect.ignore(mcp.callTool("secured-otel", "whoami", {}, { auth: Redacted.make(forwarded) }))
      fixture.alwaysRefuse = true
      const refused = yield* failureOf(mcp.callTool("secured-otel", "whoami", {}))
      expect(refused._tag).toBe("AuthorizationError")
      expect(fixture.grants).toEqual(["authorization_code", "refresh_token", "authorization_code", "refresh_token"])
      const spans = telemetry.spans()
      const calls = spans.filter((span) => span.attributes["mcp.method.name"] === "tools/call" && span.kind === 2)
      expect(calls.map((span) => span.attributes["gen_ai.tool.name"])).toEqual(["whoami", "admin", "whoami", "whoami"])
      expect(calls[3]!.attributes["error.type"]).toBe("AuthorizationError")
      const metrics = yield* telemetry.metrics
      const exported = JSON.stringify({
        spans: spans.map((span) => ({
          name: span.name,
          attributes: span.attributes,
          events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
          links: span.links.map((link) => link.attributes),
          status: span.status
        })),
        metrics: metrics.flatMap((resource) =>
          resource.scopeMetrics.flatMap((scope) =>
            scope.metrics.map((metric) => ({
              name: metric.descriptor.name,
              labels: metric.dataPoints.map((point) => point.attributes)
            }))
          )
        )
      })
      // what was exported is what this test reads: the spans of the calls and the labels of their metrics
      expect(exported).toContain("secured-otel")
      expect(exported).toContain("mcp.client.operation.duration")
      expect(exported).toContain("authorization failed (Rejected)")
      noSecretIn(exported, [...fixture.secrets, ...counter.codes, forwarded])
    }).pipe(Effect.provide(telemetry.layer))
  })
})

describe("McpOAuth: token endpoint authentication outside conformance", () => {
  it.scopedLive("client_secret_post, when it is the only method the authorization server lists", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      fixture.tokenAuth = "client_secret_post"
      const mcp = yield* client({
        servers: [{ name: "machine", url: `${fixture.mcpUrl}/mcp`, oauth: { grant: "client_credentials", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }]
      })
      yield* mcp.callTool("machine", "whoami", {})
      expect(fixture.grants).toEqual(["client_credentials"])
      expect(fixture.clientAuth).toEqual(["client_secret_post"])
    }))

  it.scopedLive("private_key_jwt: a JWT signed with the configured PKCS#8 key, verified by the server", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const keys = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      fixture.tokenAuth = "private_key_jwt"
      fixture.publicKey = keys.publicKey
      const privateKey = yield* Effect.promise(() => jose.exportPKCS8(keys.privateKey))
      const mcp = yield* client({
        servers: [{ name: "machine", url: `${fixture.mcpUrl}/mcp`, oauth: { grant: "client_credentials", clientId: CLIENT_ID, privateKey } }]
      })
      const result = yield* mcp.callTool("machine", "whoami", {})
      expect(result.content).toEqual([{ type: "text", text: "oauth" }])
      expect(fixture.clientAuth).toEqual(["private_key_jwt"])
      const [status] = yield* mcp.status
      expect(JSON.stringify(status)).not.toContain("PRIVATE KEY")
    }))

  it.scopedLive("a key the server does not know is refused at the token endpoint (step Token)", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const known = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      const other = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      fixture.tokenAuth = "private_key_jwt"
      fixture.publicKey = known.publicKey
      const privateKey = yield* Effect.promise(() => jose.exportPKCS8(other.privateKey))
      const mcp = yield* client({
        servers: [{ name: "machine", url: `${fixture.mcpUrl}/mcp`, retry: { times: 1 }, oauth: { grant: "client_credentials", clientId: CLIENT_ID, privateKey } }]
      })
      const error = yield* failureOf(mcp.callTool("machine", "whoami", {}))
      expect(error instanceof McpError.AuthorizationError && error.step).toBe("Token")
      expect(error.message).toContain("invalid_client")
      expect(error.message).not.toContain("PRIVATE KEY")
    }))
})

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("McpOAuth in a mcpServers file", () => {
  const file = {
    mcpServers: {
      notes: { url: "https://notes.example.com/mcp", oauth: true },
      reports: {
        url: "https://reports.example.com/mcp",
        oauth: {
          grant: "client_credentials",
          clientId: "reporter",
          clientSecret: "${REPORTS_SECRET}",
          scopes: "reports:read reports:list",
          tokenEndpointAuthMethod: "client_secret_post",
          maxStepUps: 2
        }
      }
    }
  }

  it.effect("decodes oauth: secrets Redacted, scopes from a space-separated string, variables expanded", () =>
    Effect.gen(function*() {
      const decoded = yield* McpConfigFile.decode(file, "mcp.json")
      const [notes, reports] = decoded.servers
      expect(notes!.oauth).toBe(true)
      const oauth = reports!.oauth
      if (oauth === undefined || oauth === true) return expect.unreachable("reports has oauth settings")
      expect(Redacted.isRedacted(oauth.clientSecret)).toBe(true)
      expect(Redacted.value(oauth.clientSecret as Redacted.Redacted<string>)).toBe("s3cr3t")
      expect(oauth.scopes).toEqual(["reports:read", "reports:list"])
      const config = yield* McpServerConfig.make(reports!, "mcp.json", "mcpServers.reports")
      expect(config.oauth?.grant).toBe("client_credentials")
      expect(config.oauth?.tokenEndpointAuthMethod).toBe("client_secret_post")
      expect(config.oauth?.maxStepUps).toBe(2)
      expect(JSON.stringify(config)).not.toContain("s3cr3t")
    }).pipe(withEnv({ REPORTS_SECRET: "s3cr3t" })))

  it.effect("encode then decode gives the same servers back", () =>
    Effect.gen(function*() {
      const decoded = yield* McpConfigFile.decode(file, "mcp.json")
      const again = yield* McpConfigFile.decode(McpConfigFile.encode(decoded), "mcp.json")
      const plain = (f: McpConfigFile.McpConfigFile) => McpConfigFile.encode(f)
      expect(plain(again)).toEqual(plain(decoded))
      const oauth = again.servers[1]!.oauth
      expect(oauth !== true && oauth !== undefined && Redacted.isRedacted(oauth.clientSecret)).toBe(true)
      expect(McpConfigFile.encode(again).mcpServers.reports).toEqual({
        url: "https://reports.example.com/mcp",
        oauth: {
          grant: "client_credentials",
          clientId: "reporter",
          clientSecret: "s3cr3t",
          scopes: ["reports:read", "reports:list"],
          tokenEndpointAuthMethod: "client_secret_post",
          maxStepUps: 2
        }
      })
    }).pipe(withEnv({ REPORTS_SECRET: "s3cr3t" })))

  it.effect("a bad oauth field is named, and its value never quoted", () =>
    Effect.gen(function*() {
      const bad = { mcpServers: { reports: { url: "https://reports.example.com/mcp", oauth: { grant: "client_credentials", clientSecret: "s3cr3t-value" } } } }
      const error = yield* Effect.either(McpConfigFile.decode(bad, "mcp.json"))
      if (Either.isRight(error)) return expect.unreachable("the file is refused")
      expect(error.left.path).toBe("mcpServers.reports.oauth.clientId")
      expect(error.left.message).not.toContain("s3cr3t-value")
      const notObject = yield* Effect.either(McpConfigFile.decode({ mcpServers: { r: { url: "https://r.example.com/mcp", oauth: "yes" } } }, "mcp.json"))
      expect(Either.isLeft(notObject) && notObject.left.path).toBe("mcpServers.r.oauth")
    }))
})
