/**
 * `effect-mcp login <server>` and `effect-mcp logout <server>`: OAuth authorization of a server
 * from the command line, its tokens kept in the token file every command reads (see `tokens.ts`).
 *
 * `login` runs the client's own authorization (discovery, registration, PKCE, `state` and `iss`
 * checks: all of `McpOAuth`) with an `Authorizer` that prints the authorization URL on stderr and
 * listens on the server's loopback redirect URL for the browser to come back; one request
 * (`tools/list`) sets it going, and the tokens it obtains are stored. A server already holding a
 * working token is not authorized again. No token is ever printed.
 *
 * @since 0.1.0
 */
import { McpClient, McpOAuth } from "@effect-mcp/client"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { UsageError } from "./arguments.js"
import { line } from "./Output.js"
import { config, duration, withClient } from "./shared.js"
import * as Tokens from "./tokens.js"

const server = Args.text({ name: "server" }).pipe(Args.withDescription("The server, as named in the config file."))

const timeout = duration("timeout", "How long to wait for the browser to come back to the redirect URL.", "5 minutes")

/** Tells the user where to authorize; the URL carries no secret (only `state` and a PKCE challenge). */
const show = (request: McpOAuth.AuthorizationRequest, wait: Duration.Duration) =>
  Console.error(
    `To authorize ${request.server}, open this URL in a browser (waiting ${Duration.format(wait)} for it to come back to ${request.redirectUrl}):\n${request.url.toString()}`
  )

/** `until <iso>`, or nothing when the server gave no lifetime. */
const until = (authorization: McpOAuth.AuthorizationStatus) =>
  authorization.expiresAt === undefined ? "" : ` until ${DateTime.formatIso(authorization.expiresAt)}`

/**
 * `effect-mcp login <server> [--timeout 5m]`: authorizes the server (a user in a browser, or
 * without one for the client credentials grant) and stores its tokens.
 *
 * @since 0.1.0
 * @category commands
 */
export const login = Command.make(
  "login",
  { config, tokens: Tokens.tokens, timeout, server },
  Effect.fn("login")(
    function*({ server }) {
      const mcp = yield* McpClient.McpClient
      const entry = (yield* mcp.status).find((status) => status.server === server)
      if (entry !== undefined && entry.unsupported === undefined && entry.authorization === undefined) {
        return yield* new UsageError({ message: `${server} has no oauth settings in the config file: there is nothing to log in to` })
      }
      // one request of this server sets the authorization going (an unknown server fails here)
      yield* mcp.listTools(server)
      const authorization = (yield* mcp.status).find((status) => status.server === server)?.authorization
      yield* line(authorization === undefined ? `${server}: authorized` : `${server}: authorized${until(authorization)}`)
    },
    (effect, { config, timeout, tokens }) =>
      withClient(effect, config, {
        tokens,
        authorizer: Tokens.loopback({ timeout, show: (request) => show(request, timeout) })
      })
  )
).pipe(Command.withDescription(HelpDoc.blocks([
  HelpDoc.p("Authorize a server that demands OAuth and store its tokens for the other commands."),
  HelpDoc.p(
    "Prints the authorization URL on stderr and listens on the server's redirect URL (default http://127.0.0.1:33418/callback) until the browser comes back."
  )
])))

/**
 * `effect-mcp logout <server>`: forgets the server's tokens (from the token file only: the
 * authorization server is not told).
 *
 * @since 0.1.0
 * @category commands
 */
export const logout = Command.make(
  "logout",
  { tokens: Tokens.tokens, server },
  ({ server, tokens }) =>
    Effect.gen(function*() {
      const store = yield* McpOAuth.TokenStore
      const held = yield* store.list(server)
      yield* store.clear(server)
      yield* line(held.length === 0 ? `${server}: no tokens were stored` : `${server}: logged out, its tokens are removed`)
    }).pipe(Effect.provide(Tokens.layerStore(tokens)))
).pipe(Command.withDescription("Forget a server's OAuth tokens (the token file only; nothing is sent to the server)."))
