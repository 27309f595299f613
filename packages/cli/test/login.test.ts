/**
 * `effect-mcp login` / `logout` and the token file every command shares, against the client's
 * local authorization server and the MCP server that demands its tokens. The test plays the
 * browser: it fetches the authorization URL the CLI prints and follows the redirect to the CLI's
 * loopback listener.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "@effect/platform/FileSystem"
import { readFileSync, statSync } from "node:fs"
import { CLIENT_ID, CLIENT_SECRET, oauthServers } from "../../client/test/fixtures/oauthServers.js"
import { closedPort, type Result, runCli, spawnCli, writeConfig } from "./support.js"

interface StatusRow {
  readonly server: string
  readonly status: string
  readonly error: string | null
  readonly authorization: { readonly authorized: boolean; readonly expiresAt: string | null; readonly scopes: ReadonlyArray<string> } | null
}

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
