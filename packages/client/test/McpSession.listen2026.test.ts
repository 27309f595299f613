/**
 * `subscriptions/listen` (2026-07-28) against the server2026 fixture: list changes and resource
 * updates reach `onNotification`, the acknowledged filter decides whether a subscription holds,
 * a dropped stream is listened to again, and a stream replaced by a new filter is closed.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { McpSession } from "../src/index.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"
import { server2026Http, server2026StdioCommand } from "./support/server2026Peer.js"

const collect = () => {
  const seen: Array<McpSession.Notification> = []
  const onNotification = (notification: McpSession.Notification) => Effect.sync(() => void seen.push(notification))
  const has = (method: string, uri?: string) =>
    seen.some((notification) =>
      notification.method === method &&
      (uri === undefined || (typeof notification.params === "object" && notification.params !== null && "uri" in notification.params &&
        notification.params.uri === uri))
    )
  return { seen, onNotification, has }
}

const listens = (records: ReadonlyArray<{ readonly kind: string; readonly method?: string; readonly message?: unknown }>) =>
  records.filter((record) => record.kind === "request" && record.method === "subscriptions/listen")

describe("McpSession 2026-07-28 subscriptions/listen over HTTP", () => {
  it.scopedLive("listens for list changes when asked, and hands them to onNotification without the acknowledgement", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const notes = collect()
      const session = yield* McpSession.make({ server: "new", url: server.url, listen: true, onNotification: notes.onNotification })
      yield* eventuallyValue(server.received, (records) => listens(records).length === 1)
      yield* session.callTool("add_tool", { name: "t1" })
      yield* eventually(() => notes.has("notifications/tools/list_changed"), "notifications/tools/list_changed")
      expect(notes.has("notifications/subscriptions/acknowledged")).toBe(false)
      const [listen] = listens(yield* server.received)
      expect(listen?.message).toMatchObject({ params: { notifications: { toolsListChanged: true } } })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("subscribes to resource updates through the filter, acknowledged, and stops them on unsubscribe", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const notes = collect()
      const session = yield* McpSession.make({ server: "new", url: server.url, onNotification: notes.onNotification })
      // without listen: no stream until a subscription needs one
      expect(listens(yield* server.received)).toEqual([])
      yield* session.subscribeResource("mem://note")
      yield* session.callTool("set_note", { text: "changed" })
      yield* eventually(() => notes.has("notifications/resources/updated", "mem://note"), "the update of mem://note")
      yield* session.unsubscribeResource("mem://note")
      const records = yield* eventuallyValue(server.received, (all) => all.some((record) => record.kind === "subscription-ended"))
      expect(records.find((record) => record.kind === "subscription-ended")?.mode).toBe("client")
      const before = notes.seen.length
      yield* session.callTool("set_note", { text: "again" })
      yield* session.listTools()
      expect(notes.seen.slice(before).some((notification) => notification.method === "notifications/resources/updated")).toBe(false)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a server without resources.subscribe refuses subscriptions before anything is sent", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http(["--no-subscribe"])
      const session = yield* McpSession.make({ server: "new", url: server.url })
      const error = yield* failureOf(session.subscribeResource("mem://note"))
      expect(error._tag === "ProtocolError" ? error.code : error._tag).toBe(-32601)
      expect(listens(yield* server.received)).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("listens again, with the same filter, after the server drops the stream", () =>
    Effect.gen(function*() {
      const server = yield* server2026Http()
      const notes = collect()
      const session = yield* McpSession.make({ server: "new", url: server.url, listen: true, onNotification: notes.onNotification })
      yield* session.subscribeResource("mem://note")
      // one stream for the lists at start, replaced by one with the subscription
      yield* eventuallyValue(server.received, (all) => listens(all).length === 2 && all.some((record) => record.kind === "subscription-ended"))
      yield* session.callTool("close_subscriptions", { mode: "drop" })
      const records = yield* eventuallyValue(server.received, (all) => listens(all).length === 3)
      const again = listens(records).at(-1)
      expect(again?.message).toMatchObject({ params: { notifications: { toolsListChanged: true, resourceSubscriptions: ["mem://note"] } } })
      yield* session.callTool("set_note", { text: "after" })
      yield* eventually(() => notes.has("notifications/resources/updated", "mem://note"), "the update after the reconnect")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("McpSession 2026-07-28 subscriptions/listen over stdio", () => {
  it.scopedLive("correlates the stream's notifications by subscription id on the shared channel", () =>
    Effect.gen(function*() {
      const notes = collect()
      const session = yield* McpSession.make({ server: "new", ...server2026StdioCommand(), onNotification: notes.onNotification })
      yield* session.subscribeResource("mem://note")
      yield* session.callTool("set_note", { text: "changed" })
      yield* eventually(() => notes.has("notifications/resources/updated", "mem://note"), "the update of mem://note")
      yield* session.callTool("add_tool", { name: "t2" })
      yield* eventually(() => notes.has("notifications/tools/list_changed"), "notifications/tools/list_changed")
    }))
})
