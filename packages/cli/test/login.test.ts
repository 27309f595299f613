/**
 * `effect-mcp login` / `logout` and the token file every command shares, against the client's
 * local authorization server and the MCP server that demands its tokens. The test plays the
 * browser: it fetches the authorization URL the CLI prints and follows the redirect to the CLI's
 * loopback listener.
 */
import { McpOAuth } from "@effect-mcp/client"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Tokens from "../src/tokens.js"
import * as FileSystem from "@effect/platform/FileSystem"
import { readFileSync, statSync } from "node:fs"
import { CLIENT_ID, CLIENT_SECRET, oauthServers } from "../../client/test/fixtures/oauthServers.js"
import { closedPort, type Result, runCli, spawnCli, writeConfig } from "./support.js"

/** Polls `condition` every 10 ms of the live clock until it holds (at most 10 seconds). */
const eventually = (condition: () => boolean) =>
  Effect.suspend(() => condition() ? Effect.void : Effect.fail("not yet" as const)).pipe(
    Effect.retry(Schedule.spaced("10 millis")),
    Effect.timeout("10 seconds"),
    Effect.orDie
  )

interface StatusRow {
  readonly server: string
  readonly status: string
  readonly error: string | null
  readonly authorization: { readonly authorized: boolean; readonly expiresAt: string | null; readonly scopes: ReadonlyArray<string> } | null
}

const request = (redirectUrl: string): McpOAuth.AuthorizationRequest => ({
  server: "secured",
  url: new URL("https://auth.example.com/authorize?state=s"),
  redirectUrl
})

describe("the loopback Authorizer of login", () => {
  it.scoped("answers the browser's redirect to its path with its state, and nothing else", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const shown: Array<string> = []
      const authorizer = Tokens.loopback({ timeout: Duration.minutes(5), show: (r) => Effect.sync(() => void shown.push(r.url.toString())) })
      const waiting = yield* Effect.fork(authorizer.authorize(request(`http://127.0.0.1:${port}/callback`)))
      yield* TestServices.provideLive(eventually(() => shown.length === 1))
      const elsewhere = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/other?code=c&state=s`))
      expect(elsewhere.status).toBe(404)
      // another page of the browser cannot end the wait: only this authorization's state does
      const forged = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/callback?code=forged&state=other`))
      expect(forged.status).toBe(400)
      const page = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/callback?code=c&state=s&iss=x`).then((r) => r.text()))
      expect(page).toContain("Authorized")
      const came = yield* Fiber.join(waiting)
      expect(came instanceof URL && came.searchParams.get("code")).toBe("c")
      expect(shown).toEqual(["https://auth.example.com/authorize?state=s"])
      // the listener is closed once the step ends
      const after = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/callback`).then(() => "answered", () => "refused"))
      expect(after).toBe("refused")
    }))

  it.scoped("gives up after --timeout (TestClock), naming the redirect URL", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      let shown = 0
      const authorizer = Tokens.loopback({ timeout: Duration.seconds(30), show: () => Effect.sync(() => void shown++) })
      const waiting = yield* Effect.fork(Effect.flip(authorizer.authorize(request(`http://127.0.0.1:${port}/callback`))))
      yield* TestServices.provideLive(eventually(() => shown === 1))
      yield* TestClock.adjust("30 seconds")
      const error = yield* Fiber.join(waiting)
      expect(error.step).toBe("Authorization")
      expect(error.detail).toBe(`the browser did not come back to http://127.0.0.1:${port}/callback within 30s`)
    }))

  it.scoped("refuses a redirect URL that is not plain http on this machine, and a port already taken", () =>
    Effect.gen(function*() {
      const authorizer = Tokens.loopback({ timeout: Duration.seconds(30), show: () => Effect.void })
      const remote = yield* Effect.flip(authorizer.authorize(request("https://app.example.com/callback")))
      expect(remote.detail).toContain("needs a redirect URL on this machine")
      const taken = Http.createServer()
      const port = yield* Effect.acquireRelease(
        Effect.async<number>((resume) => {
          taken.listen(0, "127.0.0.1", () => resume(Effect.succeed((taken.address() as AddressInfo).port)))
        }),
        () => Effect.sync(() => taken.close())
      )
      const busy = yield* Effect.flip(authorizer.authorize(request(`http://127.0.0.1:${port}/callback`)))
      expect(busy.detail).toContain(`cannot listen on 127.0.0.1:${port}`)
    }))
})

describe("effect-mcp login", () => {
  it.scopedLive("authorizes through the browser, then call, status and logout share the token file; no token is printed", () =>
    Effect.gen(function*() {
      const fixture = yield* oauthServers
      const fs = yield* FileSystem.FileSystem
      const dir = yield* Effect.orDie(fs.makeTempDirectoryScoped({ prefix: "effect-mcp-login-" }))
      const port = yield* closedPort
      const config = yield* Effect.orDie(writeConfig(dir, "mcp.json", {
        secured: {
          url: `${fixture.mcpUrl}/mcp`,
          retry: { times: 1 },
          oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: `http://127.0.0.1:${port}/callback` }
        }
      }))
      // a directory that does not exist yet: the store makes it, owner-only
      const tokens = `${dir}/state/tokens.json`
      const env = { EFFECT_MCP_TOKENS: tokens }
      const outputs: Array<Result> = []
      const run = (args: ReadonlyArray<string>) =>
        // logout needs no config: it only edits the token file
        Effect.tap(runCli(args[0] === "logout" ? args : [...args, "--config", config], env), (result) => Effect.sync(() => outputs.push(result)))

      // before login: calls fail with the command that fixes them, and nothing asks a user
      const refused = yield* run(["call", "secured", "whoami"])
      expect(refused.code, refused.stderr).toBe(9)
      expect(refused.stderr).toContain("run effect-mcp login secured")
      const before = yield* run(["status", "--json"])
      expect(before.code, before.stderr).toBe(0)
      const [unauthorized] = JSON.parse(before.stdout) as ReadonlyArray<StatusRow>
      expect(unauthorized!.authorization).toEqual({ authorized: false, expiresAt: null, scopes: [] })
      expect(unauthorized!.status).toBe("healthy")
      const table = yield* run(["status"])
      expect(table.stdout).toMatch(/^secured\s+http\s+healthy\s.*\sneeded\s+http:\/\/\S+\s+not authorized: run effect-mcp login secured$/m)
      const tools = yield* run(["tools"])
      expect(tools.code, tools.stderr).toBe(0)
      expect(tools.stderr).toContain("secured: left out, its tools could not be listed: not authorized: run effect-mcp login secured")
      const oneServer = yield* run(["tools", "secured"])
      expect(oneServer.code).toBe(9)
      expect(oneServer.stderr).toContain("(Interaction)")
      // nothing was even discovered or registered for the commands that cannot ask a user
      expect(fixture.grants).toEqual([])

      // login: the browser is sent to the authorization server, which redirects to the CLI
      const child = yield* spawnCli(["login", "secured", "--config", config, "--tokens", tokens, "--timeout", "30 seconds"])
      yield* child.waitFor(/\/authorize\?\S+\n/, { stream: "stderr" })
      const url = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(child.stderr())![1]!
      const page = yield* Effect.promise(() => fetch(url).then(async (response) => ({ status: response.status, text: await response.text() })))
      expect(page.status).toBe(200)
      expect(page.text).toContain("Authorized")
      expect(yield* child.exitCode(Duration.seconds(30))).toBe(0)
      outputs.push({ code: 0, stdout: child.stdout(), stderr: child.stderr() })
      expect(child.stdout()).toMatch(/^secured: authorized until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/)
      expect(fixture.grants).toEqual(["authorization_code"])
      expect(statSync(tokens).mode & 0o777).toBe(0o600)
      expect(statSync(`${dir}/state`).mode & 0o777).toBe(0o700)

      // the other commands find the token in the same file (here through EFFECT_MCP_TOKENS)
      const called = yield* run(["call", "secured", "whoami"])
      expect(called.code, called.stderr).toBe(0)
      expect(called.stdout.trim()).toBe("oauth")
      const after = yield* run(["status", "--json"])
      const [authorized] = JSON.parse(after.stdout) as ReadonlyArray<StatusRow>
      expect(authorized!.authorization?.authorized).toBe(true)
      expect(authorized!.authorization?.expiresAt).toMatch(/^\d{4}-/)
      expect(authorized!.error).toBeNull()
      const authorizedTable = yield* run(["status"])
      expect(authorizedTable.stdout).toMatch(/^secured\s+http\s+healthy\s.*\syes until \d{4}-\S+\s+http:\/\//m)
      // no new grant: the stored token served every command
      expect(fixture.grants).toEqual(["authorization_code"])

      // logout removes the tokens from the file, and the server needs authorization again
      const loggedOut = yield* run(["logout", "secured"])
      expect(loggedOut.code, loggedOut.stderr).toBe(0)
      expect(loggedOut.stdout).toBe("secured: logged out, its tokens are removed\n")
      const stored = readFileSync(tokens, "utf8")
      for (const secret of fixture.secrets) expect(stored).not.toContain(secret)
      const again = yield* run(["status", "--json"])
      expect((JSON.parse(again.stdout) as ReadonlyArray<StatusRow>)[0]!.authorization?.authorized).toBe(false)
      const twice = yield* run(["logout", "secured"])
      expect(twice.stdout).toBe("secured: no tokens were stored\n")

      expect(fixture.secrets.length).toBeGreaterThan(0)
      for (const output of outputs) {
        for (const secret of [...fixture.secrets, CLIENT_SECRET]) {
          expect(output.stdout).not.toContain(secret)
          expect(output.stderr).not.toContain(secret)
        }
      }
    }).pipe(Effect.provide(NodeContext.layer)), { timeout: 120_000 })

  it.scopedLive("a server without oauth settings has nothing to log in to (exit 2)", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* Effect.orDie(fs.makeTempDirectoryScoped({ prefix: "effect-mcp-login-" }))
      const port = yield* closedPort
      const config = yield* Effect.orDie(writeConfig(dir, "mcp.json", { plain: { url: `http://127.0.0.1:${port}/mcp`, retry: { times: 1 } } }))
      const result = yield* runCli(["login", "plain", "--config", config, "--tokens", `${dir}/tokens.json`])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("plain has no oauth settings")
    }).pipe(Effect.provide(NodeContext.layer)))
})
