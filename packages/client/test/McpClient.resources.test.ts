import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { McpClient, McpError } from "../src/index.js"
import * as Peers from "./support/childPeers.js"
import { eventually, eventuallyValue, failureOf } from "./support/effects.js"

const client = (options: McpClient.McpClientOptions) =>
  Effect.map(Layer.build(McpClient.layerNode(options)), (context) => Context.get(context, McpClient.McpClient))

const textOf = (result: { readonly content: ReadonlyArray<unknown> }): string => {
  const first = result.content[0]
  return typeof first === "object" && first !== null && "text" in first ? String(first.text) : ""
}

interface Stats {
  readonly requests: Readonly<Record<string, number>>
  readonly subscribes: number
  readonly unsubscribes: number
  readonly active: number
}

/** What the features fixture saw, by its `stats` tool. */
const statsOf = (mcp: McpClient.Service, server: string) =>
  Effect.map(mcp.callTool(server, "stats", {}), (result): Stats => JSON.parse(textOf(result)))

/** Runs a subscription in the background, counting its updates. */
const counting = (stream: Stream.Stream<McpClient.ResourceUpdate, McpError.McpClientError>) =>
  Effect.gen(function*() {
    const seen: Array<McpClient.ResourceUpdate> = []
    const fiber = yield* Effect.forkScoped(Stream.runForEach(stream, (update) => Effect.sync(() => seen.push(update))))
    return { seen, fiber }
  })

/** Calls `touch` until `done` holds: a notification sent before the GET stream is up is lost. */
const touchUntil = (mcp: McpClient.Service, server: string, uri: string, done: () => boolean) =>
  repeatUntil(mcp.callTool(server, "touch", { uri }), done)

/** Repeats `effect` every 20 ms until `done` holds, failing the test after 5 s. */
const repeatUntil = <A, E>(effect: Effect.Effect<A, E>, done: () => boolean) =>
  effect.pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: () => done() }),
    Effect.timeout("5 seconds"),
    Effect.orDieWith(() => new Error("the condition did not hold within 5 s")),
    Effect.asVoid
  )

describe.each(["stdio", "http"] as const)("McpClient resources of server-everything over %s", (transport) => {
  it.scopedLive("lists resources and templates and reads text and blobs", () =>
    Effect.gen(function*() {
      const server = yield* Peers.everything("everything", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const resources = yield* mcp.listResources("everything")
      expect(resources.map((resource) => resource.uri)).toContain("demo://resource/static/document/features.md")
      const templates = yield* mcp.listResourceTemplates("everything")
      expect(templates.map((template) => template.uriTemplate)).toEqual(
        expect.arrayContaining(["demo://resource/dynamic/text/{resourceId}", "demo://resource/dynamic/blob/{resourceId}"])
      )

      const text = yield* mcp.readResource("everything", "demo://resource/dynamic/text/7")
      const first = text.contents[0]
      expect(first !== undefined && "text" in first ? first.text : undefined).toMatch(/^Resource 7: This is a plaintext resource/)
      const blob = yield* mcp.readResource("everything", "demo://resource/dynamic/blob/7")
      const bytes = blob.contents[0]
      expect(bytes !== undefined && "blob" in bytes ? Buffer.from(bytes.blob).toString("utf8") : undefined).toMatch(
        /^Resource 7: This is a base64 blob/
      )
      const document = yield* mcp.readResource("everything", "demo://resource/static/document/features.md")
      expect(document.contents[0]?.mimeType).toBe("text/markdown")
    }))

  it.scopedLive("a subscription receives the server's updates of its uri", () =>
    Effect.gen(function*() {
      const server = yield* Peers.everything("everything", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const uri = "demo://resource/dynamic/text/1"
      const { fiber, seen } = yield* counting(mcp.subscribeResource("everything", uri))
      // each second toggle starts the server's updates, with one sent at once
      yield* repeatUntil(mcp.callTool("everything", "toggle-subscriber-updates", {}), () => seen.length > 0)
      expect(seen[0]).toEqual({ server: "everything", uri })
      yield* Fiber.interrupt(fiber)
    }))
})

describe.each(["stdio", "http"] as const)("McpClient resources of the SDK fixture over %s", (transport) => {
  it.scopedLive("lists follow every page and stay cached until the server announces a change", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const resources = yield* mcp.listResources("features")
      expect(resources.map((resource) => resource.uri)).toEqual(["mem://one", "mem://two", "mem://three"])
      expect((yield* mcp.listResources("features")).length).toBe(3)
      expect((yield* mcp.listResourceTemplates("features")).map((template) => template.name)).toEqual(["by-name"])
      expect((yield* mcp.listPrompts("features")).map((prompt) => prompt.name)).toEqual(["greet"])
      const before = yield* statsOf(mcp, "features")
      // three resources in pages of two, listed once however often asked
      expect(before.requests["resources/list"]).toBe(2)
      expect(before.requests["resources/templates/list"]).toBe(1)

      yield* mcp.callTool("features", "add_resource", { uri: "mem://four" })
      const after = yield* eventuallyValue(mcp.listResources("features"), (list) => list.length === 4)
      expect(after.map((resource) => resource.uri)).toContain("mem://four")
      yield* mcp.listResourceTemplates("features")
      const stats = yield* statsOf(mcp, "features")
      expect(stats.requests["resources/templates/list"]).toBe(2)
      // prompts were not announced as changed: still cached
      expect((yield* mcp.listPrompts("features")).length).toBe(1)
      expect((yield* statsOf(mcp, "features")).requests["prompts/list"]).toBe(1)

      yield* mcp.callTool("features", "add_prompt", { name: "farewell" })
      const prompts = yield* eventuallyValue(mcp.listPrompts("features"), (list) => list.length === 2)
      expect(prompts.map((prompt) => prompt.name)).toEqual(["greet", "farewell"])
    }))

  it.scopedLive("streams of one uri share one server subscription, which the last one ends", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const a = yield* counting(mcp.subscribeResource("features", "mem://one"))
      const b = yield* counting(mcp.subscribeResource("features", "mem://one"))
      yield* touchUntil(mcp, "features", "mem://one", () => a.seen.length > 0 && b.seen.length > 0)
      expect(a.seen[0]).toEqual({ server: "features", uri: "mem://one" })

      yield* Fiber.interrupt(b.fiber)
      const one = yield* statsOf(mcp, "features")
      expect([one.subscribes, one.unsubscribes, one.active]).toEqual([1, 0, 1])
      yield* Fiber.interrupt(a.fiber)
      const none = yield* statsOf(mcp, "features")
      expect([none.subscribes, none.unsubscribes, none.active]).toEqual([1, 1, 0])
    }))

  it.scopedLive("a subscription is made again when the server loses the session, with one update", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", transport)
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour", failureThreshold: 100 })
      const { fiber, seen } = yield* counting(mcp.subscribeResource("features", "mem://two"))
      // no update is asked for before the loss: the first one seen is the one of re-subscribing
      yield* eventuallyValue(statsOf(mcp, "features"), (stats) => stats.active === 1)
      expect(seen).toEqual([])
      // stdio: the process dies and the next one is started; HTTP: the server forgets the session
      yield* Effect.ignore(mcp.callTool("features", transport === "stdio" ? "crash" : "forget", {}, { retry: false }))
      // a new process counts from zero; the HTTP server sees both subscriptions (and these requests
      // meet the forgotten session at once, rather than when the GET stream reconnects)
      const subscribes = transport === "stdio" ? 1 : 2
      yield* eventuallyValue(statsOf(mcp, "features"), (stats) => stats.active === 1 && stats.subscribes === subscribes)
      yield* eventually(() => seen.length > 0, "the update after re-subscribing")
      expect(seen).toEqual([{ server: "features", uri: "mem://two" }])
      const resubscribed = seen.length
      yield* touchUntil(mcp, "features", "mem://two", () => seen.length > resubscribed)
      yield* Fiber.interrupt(fiber)
    }))

  it.scopedLive("a stream running when the client closes fails with TransportError Closed naming the server", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", transport)
      const clientScope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(McpClient.layerNode({ servers: [server], healthInterval: "1 hour" }), clientScope)
      const mcp = Context.get(context, McpClient.McpClient)
      // the stream's fiber belongs to the test, not to the client
      const { fiber } = yield* counting(mcp.subscribeResource("features", "mem://one"))
      yield* eventuallyValue(statsOf(mcp, "features"), (stats) => stats.active === 1)
      yield* Scope.close(clientScope, Exit.void)
      // the timeout only turns a stream that never ends into a failure of the test
      const error = yield* failureOf(Fiber.join(fiber).pipe(
        Effect.timeout("10 seconds"),
        Effect.catchTag("TimeoutException", () => Effect.dieMessage("the stream did not end when the client closed"))
      ))
      expect(error._tag).toBe("TransportError")
      if (error._tag !== "TransportError") return
      expect(error.reason).toBe("Closed")
      expect(error.server).toBe("features")
      expect(error.message).toContain("closed")
    }))

  it.scopedLive("a method whose capability the server did not announce is refused without a request", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", transport, ["--no-subscribe"])
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      const error = yield* failureOf(Stream.runDrain(mcp.subscribeResource("features", "mem://one")))
      expect(error._tag).toBe("ProtocolError")
      if (error._tag !== "ProtocolError") return
      expect(error.code).toBe(-32601)
      expect(error.message).toContain(`"features"`)
      expect(error.message).toContain(`"resources.subscribe"`)
      expect((yield* statsOf(mcp, "features")).requests["resources/subscribe"]).toBeUndefined()
    }))
})

describe("McpClient lists of a session the server forgot (SDK fixture over HTTP)", () => {
  it.scopedLive("are listed again: a server that forgot its sessions (a restart) announces no change", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", "http")
      const mcp = yield* client({ servers: [server], healthInterval: "1 hour" })
      yield* mcp.listPrompts("features")
      yield* mcp.listPrompts("features")
      expect((yield* statsOf(mcp, "features")).requests["prompts/list"]).toBe(1)
      yield* mcp.callTool("features", "forget", {}, { retry: false })
      // a request after the server forgot opens the session again; the prompts are then listed anew
      const stats = yield* eventuallyValue(
        Effect.zipRight(mcp.listPrompts("features"), statsOf(mcp, "features")),
        (stats) => stats.requests["prompts/list"] === 2
      )
      expect(stats.requests["prompts/list"]).toBe(2)
    }))
})

describe("McpClient resources across servers", () => {
  it.scopedLive("a read is retried after its connection was cut", () =>
    Effect.gen(function*() {
      const server = yield* Peers.features("features", "http")
      const mcp = yield* client({ servers: [{ ...server, retry: { base: "10 millis" } }], healthInterval: "1 hour" })
      yield* mcp.callTool("features", "cut_next_read", {})
      const read = yield* mcp.readResource("features", "mem://three")
      const blob = read.contents[0]
      expect(blob !== undefined && "blob" in blob ? [...blob.blob] : undefined).toEqual([0, 1, 2, 255])
      expect((yield* statsOf(mcp, "features")).requests["resources/read"]).toBe(2)
    }))

  it.scopedLive("availableResources and availablePrompts span the servers and leave a dead one out", () =>
    Effect.gen(function*() {
      const everything = yield* Peers.everything("everything", "stdio")
      const features = yield* Peers.features("features", "stdio")
      const mcp = yield* client({
        servers: [{ name: "dead", url: "http://127.0.0.1:1/mcp" }, everything, features],
        healthInterval: "1 hour"
      })
      const resources = yield* mcp.availableResources
      expect(resources.filter((resource) => resource.server === "dead")).toEqual([])
      expect(resources.find((resource) => resource.qualifiedName === "features__one")?.uri).toBe("mem://one")
      expect(resources.some((resource) => resource.server === "everything" && resource.qualifiedName.startsWith("everything__"))).toBe(true)
      const prompts = yield* mcp.availablePrompts
      expect(prompts.map((prompt) => prompt.qualifiedName)).toEqual(
        expect.arrayContaining(["everything__simple-prompt", "everything__args-prompt", "features__greet"])
      )
      expect(prompts.find((prompt) => prompt.qualifiedName === "features__greet")?.prompt.arguments?.[0]?.name).toBe("who")
    }))

  it.scopedLive("an unknown server fails with UnknownServerError", () =>
    Effect.gen(function*() {
      const features = yield* Peers.features("features", "stdio")
      const mcp = yield* client({ servers: [features], healthInterval: "1 hour" })
      const read = yield* failureOf(mcp.readResource("nowhere", "mem://one"))
      expect(read).toBeInstanceOf(McpError.UnknownServerError)
      const subscription = yield* failureOf(Stream.runDrain(mcp.subscribeResource("nowhere", "mem://one")))
      expect(subscription._tag).toBe("UnknownServerError")
      const prompts = yield* failureOf(mcp.listPrompts("nowhere"))
      expect(prompts.message).toContain("features")
    }))
})
