import * as Tool from "@effect/ai/Tool"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { McpClient, McpToolkit } from "../src/index.js"
import { eventuallyValue, failureOf } from "./support/effects.js"
import { sdkPeer, sdkToolNames } from "./support/sdkPeer.js"
import { server2026Http } from "./support/server2026Peer.js"

/** The client's Layer built in the test's scope, as a context to provide. */
const clientContext = (options: McpClient.McpClientOptions) => Layer.build(McpClient.layerNode(options))

const png = new Uint8Array(1234)

describe("McpToolkit results", () => {
  it("joins text blocks and keeps structuredContent", () => {
    expect(McpToolkit.toOutput({
      content: [{ type: "text", text: "first" }, { type: "text", text: "second" }],
      structuredContent: { count: 2 }
    })).toEqual({ text: "first\nsecond", structuredContent: { count: 2 } })
    expect(McpToolkit.toOutput({ content: [] })).toEqual({ text: "" })
    expect("structuredContent" in McpToolkit.toOutput({ content: [{ type: "text", text: "x" }] })).toBe(false)
  })

  it("describes images, audio and resources by mime type and size, never their bytes", () => {
    const blob = new Uint8Array([1, 2, 3, 4, 5])
    const text = McpToolkit.describeContent([
      { type: "image", data: png, mimeType: "image/png" },
      { type: "audio", data: "UklGRg==", mimeType: "audio/wav" },
      { type: "resource", resource: { uri: "file:///notes.md", mimeType: "text/markdown", text: "# Notes\nhé" } },
      { type: "resource", resource: { uri: "file:///logo.bin", mimeType: "application/octet-stream", blob } },
      { type: "resource_link", uri: "file:///menu.pdf", name: "menu", mimeType: "application/pdf", size: 2048, description: "Tonight's menu" },
      { type: "video", uri: "x" },
      42
    ])
    expect(text.split("\n")).toEqual([
      "[image: image/png, 1234 bytes]",
      "[audio: audio/wav, 4 bytes]",
      "[resource: file:///notes.md, text/markdown, 11 bytes]",
      "# Notes",
      "hé",
      "[resource: file:///logo.bin, application/octet-stream, 5 bytes]",
      "[resource link: file:///menu.pdf, \"menu\", application/pdf, 2048 bytes, Tonight's menu]",
      "[video content]",
      "[content of an unknown kind]"
    ])
    expect(text).not.toContain("UklGRg")
  })

  it("turns an isError result into an error the model reads", () => {
    expect(McpToolkit.toErrorOutput({ content: [{ type: "text", text: "no such district" }], structuredContent: { known: ["Central"] } }))
      .toEqual({ isError: true, error: "no such district", structuredContent: { known: ["Central"] } })
  })
})

describe("McpToolkit against a real server", () => {
  it.scopedLive("gives each tool the server's inputSchema unchanged and passes the arguments as they are", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const context = yield* clientContext({ servers: [{ name: "sdk", url: peer.url }] })
      const mcp = Context.get(context, McpClient.McpClient)
      const built = yield* Effect.provide(McpToolkit.make(), context)
      expect(Object.keys(built.toolkit.tools)).toEqual(sdkToolNames.map((name) => `sdk__${name}`))
      const listed = yield* mcp.listTools("sdk")
      for (const tool of listed) {
        expect(Tool.getJsonSchema(built.toolkit.tools[`sdk__${tool.name}`]!)).toEqual(tool.inputSchema)
      }
      expect(Tool.getDescription(built.toolkit.tools["sdk__echo"]!)).toBe("Echoes the text back")
      expect(Context.get(built.toolkit.tools["sdk__echo"]!.annotations, Tool.Readonly)).toBe(true)

      const echoed = yield* built.withHandler.handle("sdk__echo", { text: "hi", extra: [1, { deep: true }] })
      expect(echoed.isFailure).toBe(false)
      expect(echoed.result).toEqual({ text: "hi", structuredContent: { echo: "hi" } })
      expect(peer.duplicates()).toEqual([])
      expect(peer.executions("echo")).toBe(1)
    }))

  it.scopedLive("takes the chosen servers and the tools the filter keeps; an unknown server fails", () =>
    Effect.gen(function*() {
      const a = yield* sdkPeer("json")
      const b = yield* sdkPeer("stateless")
      const context = yield* clientContext({ servers: [{ name: "a", url: a.url }, { name: "b", url: b.url }] })
      const onlyB = yield* Effect.provide(McpToolkit.make({ servers: ["b"] }), context)
      expect(onlyB.tools.map((tool) => tool.qualifiedName)).toEqual(sdkToolNames.map((name) => `b__${name}`))
      const filtered = yield* Effect.provide(McpToolkit.make({ filter: /__(echo|add)$/ }), context)
      expect(Object.keys(filtered.toolkit.tools)).toEqual(["a__echo", "a__add", "b__echo", "b__add"])
      const byFunction = yield* Effect.provide(McpToolkit.make({ filter: (tool) => tool.server === "a" && tool.name === "fail" }), context)
      expect(Object.keys(byFunction.toolkit.tools)).toEqual(["a__fail"])
      const unknown = yield* failureOf(Effect.provide(McpToolkit.make({ servers: ["c"] }), context))
      expect(unknown._tag).toBe("UnknownServerError")
      expect(unknown.known).toEqual(["a", "b"])
    }))

  it.scopedLive("forwards the token of the request being served, and only to it", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const context = yield* clientContext({ servers: [{ name: "sdk", url: peer.url }] })
      // built inside alice's request: that must not lend her token to anyone else
      const built = yield* Effect.provide(McpToolkit.make(), context).pipe(McpToolkit.withAuth("jwt-alice"))
      const call = built.withHandler.handle("sdk__echo", { text: "x" })
      yield* McpToolkit.withAuth(call, Redacted.make("jwt-alice"))
      yield* call.pipe(McpToolkit.withAuth("jwt-bob"))
      yield* call
      expect(peer.callAuthorizations).toEqual(["Bearer jwt-alice", "Bearer jwt-bob", undefined])
      const status = JSON.stringify(yield* Effect.provide(Effect.flatMap(McpClient.McpClient, (mcp) => mcp.status), context))
      expect(status).not.toContain("jwt-")
    }))

  it.scopedLive("returns isError results and call failures to the model by default", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const context = yield* clientContext({ servers: [{ name: "sdk", url: peer.url }] })
      const built = yield* Effect.provide(McpToolkit.make(), context)
      const failed = yield* built.withHandler.handle("sdk__fail", {})
      expect(failed).toMatchObject({ isFailure: true, result: { isError: true, error: "it failed on purpose" } })
      const invalid = yield* built.withHandler.handle("sdk__invalid", {})
      expect(invalid.isFailure).toBe(true)
      expect(invalid.result).toEqual({
        isError: true,
        error: "MCP server \"sdk\", tool \"invalid\" answered JSON-RPC error -32602: MCP error -32602: the arguments are invalid on purpose"
      })
      expect(invalid.encodedResult).toEqual(invalid.result)
    }))

  it.scopedLive("with failureMode error, a call failure fails the turn while isError still reaches the model", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("json")
      const context = yield* clientContext({ servers: [{ name: "sdk", url: peer.url }] })
      const built = yield* Effect.provide(McpToolkit.make({ failureMode: "error" }), context)
      const failed = yield* built.withHandler.handle("sdk__fail", {})
      expect(failed).toMatchObject({ isFailure: false, result: { isError: true, error: "it failed on purpose" } })
      const exit = yield* Effect.exit(built.withHandler.handle("sdk__invalid", {}))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("ProtocolError")
    }))

  it.scopedLive("an error of the 2026-07-28 codes is an error the model reads, or fails the turn with failureMode error", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      // no elicitation handler: a tool that asks the user needs a capability the client lacks
      const context = yield* clientContext({ servers: [{ name: "modern", url: server.url }], healthInterval: "1 hour" })
      const returned = yield* Effect.provide(McpToolkit.make({ servers: ["modern"] }), context)
      const read = yield* returned.withHandler.handle("modern__confirm", { ask: ["elicitation"] })
      expect(read.isFailure).toBe(true)
      expect(read.result).toEqual({ isError: true, error: expect.stringContaining("JSON-RPC error -32021") })
      expect(read.encodedResult).toEqual(read.result)

      const failing = yield* Effect.provide(McpToolkit.make({ servers: ["modern"], failureMode: "error" }), context)
      // typed in the turn's error channel, and one of `CallFailure`
      const required = yield* failing.withHandler.handle("modern__confirm", { ask: ["elicitation"] }).pipe(
        Effect.flatMap(() => Effect.dieMessage("the call should have failed")),
        Effect.catchTag("MissingCapabilityError", (error) => {
          expect(Schema.is(McpToolkit.CallFailure)(error)).toBe(true)
          return Effect.succeed(error.required)
        })
      )
      expect(required).toEqual({ elicitation: {} })
    }))

  it.scopedLive("the next toolkit built after tools/list_changed has the new tool", () =>
    Effect.gen(function*() {
      const peer = yield* sdkPeer("sse")
      const context = yield* clientContext({ servers: [{ name: "sdk", url: peer.url }] })
      const before = yield* Effect.provide(McpToolkit.make(), context)
      expect(Object.keys(before.toolkit.tools)).not.toContain("sdk__late_tool")
      yield* Effect.promise(() => peer.addTool("late_tool"))
      const after = yield* eventuallyValue(
        Effect.provide(McpToolkit.make(), context),
        (built) => Object.keys(built.toolkit.tools).includes("sdk__late_tool")
      )
      expect(Object.keys(after.toolkit.tools)).toEqual([...sdkToolNames, "late_tool"].map((name) => `sdk__${name}`))
      expect(Object.keys(before.toolkit.tools)).toEqual(sdkToolNames.map((name) => `sdk__${name}`))
      const late = yield* after.withHandler.handle("sdk__late_tool", {})
      expect(late.result).toEqual({ text: "late_tool done" })
    }))
})
