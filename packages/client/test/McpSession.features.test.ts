import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import { McpSession } from "../src/index.js"
import { failureOf } from "./support/effects.js"
import { answerJson, rawPeer } from "./support/rawPeer.js"

const everything = { capabilities: { resources: { subscribe: true }, prompts: {}, completions: {}, logging: {} } }

describe("McpSession resources and prompts against a raw server", () => {
  it.scopedLive("decodes 2025-11-25 fields it does not know and missing optional ones", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((request, res) => {
        const id = request.message?.id
        switch (request.message?.method) {
          case "resources/list":
            return answerJson(res, id, {
              resources: [{ uri: "mem://a", name: "a", icons: [{ src: "https://example.com/a.png" }], _meta: { x: 1 } }]
            })
          case "prompts/list":
            return answerJson(res, id, { prompts: [{ name: "bare" }], _meta: {} })
          case "resources/read":
            return answerJson(res, id, { contents: [{ uri: "mem://a", text: "A", annotations: { audience: ["user"] } }] })
          default:
            return answerJson(res, id, {})
        }
      }, { initializeExtra: everything })
      const session = yield* McpSession.make({ server: "raw", url: peer.url })
      expect((yield* session.listResources()).map((resource) => resource.uri)).toEqual(["mem://a"])
      expect((yield* session.listPrompts()).map((prompt) => [prompt.name, prompt.arguments])).toEqual([["bare", undefined]])
      const read = yield* session.readResource("mem://a")
      expect(read.contents[0]).toMatchObject({ uri: "mem://a", text: "A" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a list that repeats a cursor fails instead of looping", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((request, res) =>
        answerJson(res, request.message?.id, { resourceTemplates: [{ uriTemplate: "mem://{x}", name: "x" }], nextCursor: "again" }), {
        initializeExtra: everything
      })
      const session = yield* McpSession.make({ server: "raw", url: peer.url })
      const error = yield* failureOf(session.listResourceTemplates())
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain(`resources/templates/list repeated the cursor "again"`)
      expect(peer.requests.filter((request) => request.message?.method === "resources/templates/list").length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a method whose capability was not announced is not sent", () =>
    Effect.gen(function*() {
      // the raw peer announces tools only
      const peer = yield* rawPeer((request, res) => answerJson(res, request.message?.id, {}))
      const session = yield* McpSession.make({ server: "raw", url: peer.url })
      const refused = [
        yield* failureOf(session.listPrompts()),
        yield* failureOf(session.readResource("mem://a")),
        yield* failureOf(session.complete({ type: "ref/prompt", name: "p" }, { name: "a", value: "" })),
        yield* failureOf(session.setLoggingLevel("info"))
      ]
      expect(refused.map((error) => error._tag === "ProtocolError" ? error.code : error._tag)).toEqual([-32601, -32601, -32601, -32601])
      expect(refused.map((error) => /"(\w+)" capability/.exec(error.message)?.[1])).toEqual(["prompts", "resources", "completions", "logging"])
      expect(peer.requests.map((request) => request.message?.method).filter((method) => method !== undefined)).toEqual([
        // the 2026-07-28 probe the raw (2025) peer refuses
        "server/discover",
        "initialize",
        "notifications/initialized"
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
