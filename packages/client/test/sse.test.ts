import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Sse from "../src/internal/sse.js"

interface Event {
  readonly message: unknown
  readonly pretty: boolean
  readonly comment: boolean
  readonly name: boolean
  readonly id: number | undefined
}

const text = FastCheck.string({ unit: "binary", maxLength: 30 })

const event = (message: FastCheck.Arbitrary<unknown>): FastCheck.Arbitrary<Event> =>
  FastCheck.record({
    message,
    pretty: FastCheck.boolean(),
    comment: FastCheck.boolean(),
    name: FastCheck.boolean(),
    id: FastCheck.option(FastCheck.nat(), { nil: undefined })
  })

const notification = text.map((data) => ({ jsonrpc: "2.0", method: "notifications/message", params: { data } }))
const answer = text.map((text) => ({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text }] } }))

const body = FastCheck.record({
  events: FastCheck.tuple(FastCheck.array(event(notification), { maxLength: 4 }), event(answer))
    .map(([before, last]) => [...before, last]),
  newline: FastCheck.constantFrom("\n", "\r\n", "\r"),
  cuts: FastCheck.array(FastCheck.nat(), { maxLength: 12 })
})

const render = (events: ReadonlyArray<Event>, newline: string): string =>
  events.map((event) => {
    const lines: Array<string> = []
    if (event.comment) lines.push(": keep-alive")
    if (event.name) lines.push("event: message")
    if (event.id !== undefined) lines.push(`id: ${event.id}`)
    const json = JSON.stringify(event.message, null, event.pretty ? 2 : undefined)
    for (const line of json.split("\n")) lines.push(`data: ${line}`)
    return lines.join(newline) + newline + newline
  }).join("")

const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point))
    start = point
  }
  return chunks
}

describe("SSE decoding", () => {
  it.effect.prop(
    "every message of the body is decoded the same under any chunking and line ends",
    { body },
    ({ body }) =>
      Effect.sync(() => {
        const bytes = new TextEncoder().encode(render(body.events, body.newline))
        const decode = Sse.makeDecoder(1024 * 1024)
        const decoded: Array<unknown> = []
        for (const chunk of split(bytes, body.cuts)) {
          const events = decode(chunk)
          if (!Array.isArray(events)) throw events
          for (const event of events) if (event._tag === "Event") decoded.push(JSON.parse(event.data))
        }
        expect(decoded).toEqual(body.events.map((event) => event.message))
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it("drops a byte order mark at the start of the body only, however the body is split", () => {
    const bom = "\uFEFF"
    const data = (chunks: ReadonlyArray<string | Uint8Array>) => {
      const decode = Sse.makeDecoder(1024)
      return chunks.flatMap((chunk) => {
        const events = decode(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk)
        if (!Array.isArray(events)) throw events
        return events.flatMap((event) => event._tag === "Event" ? [event.data] : [])
      })
    }
    expect(data([`${bom}data: a\n\n`])).toEqual(["a"])
    expect(data([new Uint8Array([0xef, 0xbb]), new TextEncoder().encode(`${bom}`).subarray(2), "data: a\n\n"])).toEqual(["a"])
    expect(data(["data: x", `${bom}y\n\n`])).toEqual([`x${bom}y`])
    expect(data(["data: é", `${bom}y\n\n`])).toEqual([`é${bom}y`])
    expect(data(["", `${bom}data: a\n\n`])).toEqual(["a"])
  })

  it("folds a CRLF split across chunks into one line end", () => {
    const fold = Sse.makeLineEndFolder()
    expect([fold("data: a\r"), fold(""), fold("\ndata: b\r\n"), fold("\r")].join("")).toBe("data: a\ndata: b\n\n")
  })
})
