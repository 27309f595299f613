/**
 * Where `effect-mcp` keeps OAuth tokens, and who may authorize: every command reads and writes the
 * same token file (so that `call` after `login` uses the token `login` obtained), and only `login`
 * brings a user in, through a listener on the loopback redirect URL of the server's settings; the
 * others run `McpOAuth.nonInteractive`, and say which `login` would help.
 *
 * The token file: `--tokens <file>`, else env `EFFECT_MCP_TOKENS`, else
 * `$XDG_CONFIG_HOME/effect-mcp/tokens.json`, else `~/.config/effect-mcp/tokens.json`, written by
 * `McpOAuth.layerFile` (mode 0600, its directory 0700 when it has to create it). No token is ever
 * printed.
 *
 * @since 0.1.0
 */
import { McpError, McpOAuth } from "@effect-mcp/client"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Http from "node:http"
import { homedir } from "node:os"

/**
 * `--tokens <file>`.
 *
 * @since 0.1.0
 * @category options
 */
export const tokens = Options.text("tokens").pipe(
  Options.withPseudoName("file"),
  Options.withDescription(
    "The OAuth token file (mode 0600). Default: env EFFECT_MCP_TOKENS, else $XDG_CONFIG_HOME/effect-mcp/tokens.json, else ~/.config/effect-mcp/tokens.json."
  ),
  Options.optional
)

const nonEmpty = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.filter((value) => value !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/**
 * The token file: the option, else env `EFFECT_MCP_TOKENS`, else under the XDG configuration
 * directory.
 *
 * @since 0.1.0
 * @category tokens
 */
export const tokenPath = (option: Option.Option<string>): Effect.Effect<string, never, Path.Path> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    if (Option.isSome(option)) return path.resolve(option.value)
    const env = yield* nonEmpty("EFFECT_MCP_TOKENS")
    if (Option.isSome(env)) return path.resolve(env.value)
    const xdg = yield* nonEmpty("XDG_CONFIG_HOME")
    const base = Option.getOrElse(xdg, () => path.join(homedir(), ".config"))
    return path.join(base, "effect-mcp", "tokens.json")
  })

/**
 * The file token store of `--tokens` (or its default). Nothing is written, and no directory
 * made, until there is a token to keep.
 *
 * @since 0.1.0
 * @category tokens
 */
export const layerStore = (option: Option.Option<string>): Layer.Layer<McpOAuth.TokenStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(tokenPath(option), McpOAuth.layerFile))

/**
 * What a user is told to do about a server that needs authorization.
 *
 * @since 0.1.0
 * @category tokens
 */
export const loginHint = (server: string): string => `run effect-mcp login ${server}`

/**
 * The message of a failure, with the command that fixes it when a server needs a user's
 * authorization (step `Interaction`: every command but `login` runs `McpOAuth.nonInteractive`).
 *
 * @since 0.1.0
 * @category tokens
 */
export const withLoginHint = (error: { readonly _tag: string; readonly message: string }): string =>
  error instanceof McpError.AuthorizationError && error.step === "Interaction" ? `${error.message}; ${loginHint(error.server)}` : error.message

const isLoopback = (host: string) => host === "127.0.0.1" || host === "localhost" || host === "[::1]"

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>effect-mcp</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`

/**
 * The `Authorizer` of `login`: listens on the server's redirect URL (plain `http` on a loopback
 * host, e.g. the default `http://127.0.0.1:33418/callback`), shows the user the authorization URL
 * (`show`), waits at most `timeout` for the browser to come back, answers it with a short page and
 * returns the URL it came back to (the client checks `state` and `iss`; a request to the redirect
 * path without this authorization's `state` is answered 400 and does not end the wait). The
 * listener is closed
 * when the step ends, however it ends.
 *
 * @since 0.1.0
 * @category tokens
 */
export const loopback = (options: {
  readonly timeout: Duration.Duration
  readonly show: (request: McpOAuth.AuthorizationRequest) => Effect.Effect<void>
}): McpOAuth.AuthorizerService => ({
  authorize: (request) =>
    Effect.scoped(Effect.gen(function*() {
      const fail = (detail: string) => new McpError.AuthorizationError({ server: request.server, step: "Authorization", detail })
      const redirect = new URL(request.redirectUrl)
      if (redirect.protocol !== "http:" || !isLoopback(redirect.hostname)) {
        return yield* fail(`effect-mcp login needs a redirect URL on this machine (http://127.0.0.1:<port>/<path>), not ${redirect.origin}`)
      }
      const came = yield* Deferred.make<URL>()
      // any page open in the browser can reach a loopback port: only the redirect carrying the
      // state this authorization sent ends the wait
      const state = request.url.searchParams.get("state")
      const server = Http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", redirect.origin)
        if (req.method !== "GET" || url.pathname !== redirect.pathname) {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found")
          return
        }
        if (state !== null && url.searchParams.get("state") !== state) {
          res.writeHead(400, { "content-type": "text/plain" }).end("not the authorization effect-mcp is waiting for")
          return
        }
        const refused = url.searchParams.get("error")
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(
          refused === null
            ? page("Authorized", "effect-mcp received the authorization. You can close this window.")
            : page("Not authorized", `The authorization server answered: ${refused}. You can close this window.`)
        )
        Deferred.unsafeDone(came, Exit.succeed(url))
      })
      const port = redirect.port === "" ? 80 : Number(redirect.port)
      yield* Effect.acquireRelease(
        Effect.async<void, McpError.AuthorizationError>((resume) => {
          server.once("error", (error) => resume(Effect.fail(fail(`cannot listen on ${redirect.host}: ${error.message}`))))
          server.listen(port, redirect.hostname.replace(/^\[|\]$/g, ""), () => resume(Effect.void))
        }),
        () =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          })
      )
      yield* options.show(request)
      return yield* Deferred.await(came).pipe(
        Effect.timeoutFail({
          duration: options.timeout,
          onTimeout: () => fail(`the browser did not come back to ${request.redirectUrl} within ${Duration.format(options.timeout)}`)
        })
      )
    }))
})
