/**
 * The two bare references: not clients, only floors. No MCP logic at all, only one POST over the
 * session the raw client opens and the result decoded with the schema effect-mcp uses.
 */
import { McpClient } from "@effect-mcp/client"
import * as McpSchema from "@effect/ai/McpSchema"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import { type BenchClient, effectLoops } from "../loops.js"
import { openSession, resultOf } from "./raw.js"

const decodeCallToolResult = Schema.decodeUnknownEither(McpSchema.CallToolResult)

const decoded = (text: string) => Either.getOrThrow(decodeCallToolResult(resultOf(text)))

/** The least any Effect client can do per call: the raw undici POST in one `Effect.async`. */
export const bareEffect: BenchClient = {
  name: "bare Effect",
  http: async (url) => {
    const session = await openSession(url)
    const runtime = ManagedRuntime.make(Layer.empty)
    const call = Effect.async<unknown, unknown>((resume) => {
      session.post(session.nextCall()).then(({ text }) => decoded(text)).then(
        (result) => resume(Effect.succeed(result)),
        (error: unknown) => resume(Effect.fail(error))
      )
    })
    return {
      run: effectLoops(runtime, call),
      close: async () => {
        await runtime.dispose()
        await session.agent.close()
      }
    }
  }
}

/**
 * The least any client built on `HttpClient` can do per call: one POST through effect-mcp's lean
 * `HttpClient` (`McpClient.layerUndici`), its text, and the decoded result.
 */
export const bareHttpClient: BenchClient = {
  name: "bare HttpClient",
  http: async (url) => {
    const session = await openSession(url)
    await session.agent.close()
    const runtime = ManagedRuntime.make(McpClient.layerUndici)
    const http = await runtime.runPromise(HttpClient.HttpClient)
    const headers = Headers.fromInput(session.headers)
    const call = Effect.suspend(() =>
      http.execute(HttpClientRequest.post(url, { headers, body: HttpBody.text(session.nextCall(), "application/json") }))
    ).pipe(
      Effect.flatMap((response) => response.text),
      Effect.flatMap((text) => Effect.try(() => decoded(text)))
    )
    return { run: effectLoops(runtime, call), close: () => runtime.dispose() }
  }
}
