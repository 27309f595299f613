import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { McpClient } from "../src/index.js"
import * as Peers from "./support/childPeers.js"
import { eventuallyValue, failureOf } from "./support/effects.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const textOf = (result: { readonly content: ReadonlyArray<unknown> }): string => {
  const first = result.content[0]
  return typeof first === "object" && first !== null && "text" in first ? String(first.text) : ""
}

/** Requests per method the features fixture saw, by its `stats` tool. */
const requestsOf = (mcp: McpClient.Service, server: string) =>
  Effect.map(mcp.callTool(server, "stats", {}), (result): Readonly<Record<string, number>> => JSON.parse(textOf(result)).requests)

describe.each(["stdio", "http"] as const)("McpClient prompts, completion and logging of server-everything over %s", (transport) => {
  it.scopedLive("lists prompts and gets them with arguments and embedded resources", () =>
    Effect.gen(function*() {
      const server = yield* Peers.everything("everything", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const prompts = yield* mcp.listPrompts("everything")
      expect(prompts.map((prompt) => prompt.name)).toEqual(
        expect.arrayContaining(["simple-prompt", "args-prompt", "completable-prompt", "resource-prompt"])
      )
      expect(prompts.find((prompt) => prompt.name === "args-prompt")?.arguments?.map((argument) => [argument.name, argument.required]))
        .toEqual([["city", true], ["state", false]])

      const weather = yield* mcp.getPrompt("everything", "args-prompt", { city: "Lisbon", state: "Lisboa" })
      const message = weather.messages[0]
      expect(message?.content.type === "text" ? message.content.text : undefined).toBe("What's weather in Lisbon, Lisboa?")

      const embedded = yield* mcp.getPrompt("everything", "resource-prompt", { resourceType: "Blob", resourceId: "3" })
      const resource = embedded.messages.map((m) => m.content).find((content) => content.type === "resource")
      expect(resource?.type === "resource" ? resource.resource.uri : undefined).toBe("demo://resource/dynamic/blob/3")
      expect(resource?.type === "resource" && "blob" in resource.resource ? Buffer.from(resource.resource.blob).toString("utf8") : "")
        .toMatch(/^Resource 3: This is a base64 blob/)

      // a prompt the server rejects is its JSON-RPC error, not retried
      const invalid = yield* failureOf(mcp.getPrompt("everything", "resource-prompt", { resourceType: "Video", resourceId: "3" }))
      expect(invalid._tag).toBe("ProtocolError")
    }))

  it.scopedLive("completes prompt arguments, narrowed by context, and resource template variables", () =>
    Effect.gen(function*() {
      const server = yield* Peers.everything("everything", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const prompt = { type: "ref/prompt", name: "completable-prompt" } as const
      const departments = yield* mcp.complete("everything", prompt, { name: "department", value: "S" })
      expect(departments.completion.values).toEqual(["Sales", "Support"])
      const names = yield* mcp.complete("everything", prompt, { name: "name", value: "" }, { arguments: { department: "Engineering" } })
      expect(names.completion.values).toEqual(["Alice", "Bob", "Charlie"])
      const ids = yield* mcp.complete(
        "everything",
        { type: "ref/resource", uri: "demo://resource/dynamic/text/{resourceId}" },
        { name: "resourceId", value: "12" }
      )
      expect(ids.completion.values).toEqual(["12"])
    }))

  it.scopedLive("sets the logging level", () =>
    Effect.gen(function*() {
      const server = yield* Peers.everything("everything", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      yield* mcp.setLoggingLevel("everything", "debug")
      yield* mcp.setLoggingLevel("everything", "emergency")
    }))
})

describe("McpClient prompts and logging of the SDK fixture", () => {
  it.scopedLive("the logging level is set again on the process that replaces a dead one", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", "stdio")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      yield* mcp.setLoggingLevel("features", "warning")
      expect((yield* requestsOf(mcp, "features"))["logging/setLevel:warning"]).toBe(1)
      yield* Effect.ignore(mcp.callTool("features", "crash", {}, { retry: false }))
      // the next request starts a new process, which is told the level before anything else
      const requests = yield* eventuallyValue(requestsOf(mcp, "features"), (requests) => requests["logging/setLevel:warning"] === 1)
      expect(Object.keys(requests)).toEqual(["logging/setLevel:warning"])
    }))

  it.scopedLive("gets a prompt and completes its argument over HTTP with the end user's token", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", "http")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const greeting = yield* mcp.getPrompt("features", "greet", { who: "Ada" }, { auth: "user-token" })
      const message = greeting.messages[0]
      expect(message?.content.type === "text" ? message.content.text : undefined).toBe("Hello, Ada")
      const names = yield* mcp.complete("features", { type: "ref/prompt", name: "greet" }, { name: "who", value: "b" }, undefined, {
        auth: "user-token"
      })
      expect(names.completion).toMatchObject({ values: ["bob"], total: 1, hasMore: false })
    }))

  it.scopedLive("a bearer token is refused for a stdio server, before any request", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", "stdio")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const error = yield* failureOf(mcp.readResource("features", "mem://one", { auth: "user-token" }))
      expect(error._tag).toBe("ProtocolError")
      expect(error.message).toContain("stdio server")
      expect(error.message).not.toContain("user-token")
    }))
})
