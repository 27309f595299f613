/**
 * One request through undici's `dispatch`, with a handler of our own.
 *
 * undici's `request` wraps every answer in a `Readable` (an async resource, event listeners and a
 * few ticks to read it, even when the whole body came with the headers). The small answers of
 * MCP's hot path need none of that: this handler collects a small body as undici delivers it and
 * hands it over whole when it ends, and only a body that is large, an SSE stream or a failed
 * status becomes a `Readable`, fed by undici and paused while its reader lags behind.
 *
 * @internal
 */
import type * as Undici from "@effect/platform-node/Undici"
import { Readable } from "node:stream"
import type * as Abort from "./abort.js"
import * as Body from "./body.js"
import * as Defaults from "./defaults.js"

/** The status and the headers (parsed once) of an answer. @internal */
export interface Answered {
  readonly statusCode: number
  readonly headers: Undici.Dispatcher.ResponseData["headers"]
}

/** Where undici's answer to one request went: read whole, streamed, or failed. @internal */
export interface Outcome {
  /** A success of at most `Defaults.smallBody` bytes, not an SSE stream, read whole. */
  readonly read: (answered: Answered, body: Uint8Array) => void
  /** Any other answer, its body (the chunks already read included) still to be read. */
  readonly stream: (answered: Answered, body: Readable) => void
  readonly requestFailed: (cause: unknown) => void
  readonly bodyFailed: (answered: Answered, cause: unknown) => void
}

const announcedLength = (headers: Answered["headers"]) => {
  const value = headers["content-length"]
  return typeof value === "string" && value !== "" ? Number(value) : Number.NaN
}

/** @internal */
export const isEventStream = (headers: Answered["headers"]): boolean => {
  const value = headers["content-type"]
  return typeof value === "string" && value.startsWith("text/event-stream")
}

/** Whether an answer is read whole before it is handed over (one wake-up of the fiber, not two). */
const readWhole = (statusCode: number, headers: Answered["headers"]) => {
  if (statusCode >= 300) return false
  const length = announcedLength(headers)
  // an SSE body may stay open and deliver notifications first: it is read as it comes
  return Number.isNaN(length) ? !isEventStream(headers) : length <= Defaults.smallBody
}

class Handler implements Undici.Dispatcher.DispatchHandler {
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private answered: Answered | undefined = undefined
  private chunks: Array<Uint8Array> = []
  private size = 0
  private body: Readable | undefined = undefined
  /** Whether undici is done with the request: ended, failed or aborted. */
  private settled = false

  constructor(private readonly signal: Abort.Abort, private readonly outcome: Outcome) {
    signal.on("abort", this.onAbort)
  }

  readonly onAbort = () => {
    const reason = this.signal.reason
    if (this.body !== undefined) this.body.destroy(reason)
    // before the request started, `onRequestStart` aborts it
    else if (!this.settled) this.controller?.abort(reason ?? new Body.BodyClosedError())
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController) {
    this.controller = controller
    if (this.signal.aborted) controller.abort(this.signal.reason ?? new Body.BodyClosedError())
  }

  onResponseStart(controller: Undici.Dispatcher.DispatchController, statusCode: number, headers: Answered["headers"]) {
    // informational answers come before the real one
    if (statusCode < 200) return
    const answered: Answered = { statusCode, headers }
    this.answered = answered
    if (!readWhole(statusCode, headers)) this.handOver(controller, answered)
  }

  onResponseData(controller: Undici.Dispatcher.DispatchController, chunk: Uint8Array) {
    const body = this.body
    if (body !== undefined) {
      if (!body.push(chunk)) controller.pause()
      return
    }
    this.chunks.push(chunk)
    this.size += chunk.length
    const answered = this.answered
    if (this.size > Defaults.smallBody && answered !== undefined) this.handOver(controller, answered)
  }

  onResponseEnd() {
    this.settled = true
    const body = this.body
    if (body !== undefined) {
      body.push(null)
      return
    }
    this.signal.off("abort", this.onAbort)
    const answered = this.answered
    // undici ends a request only after its answer started; this keeps a broken promise from hanging the caller
    if (answered === undefined) return this.outcome.requestFailed(new Body.BodyClosedError())
    const chunks = this.chunks
    this.outcome.read(answered, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size))
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error) {
    if (this.settled) return
    this.settled = true
    const body = this.body
    if (body !== undefined) {
      body.destroy(error)
      return
    }
    this.signal.off("abort", this.onAbort)
    const answered = this.answered
    if (answered === undefined) this.outcome.requestFailed(error)
    else this.outcome.bodyFailed(answered, error)
  }

  /** Turns the rest of the answer into a `Readable`, starting with the chunks already read. */
  private handOver(controller: Undici.Dispatcher.DispatchController, answered: Answered) {
    const body = new Readable({
      read: () => controller.resume(),
      destroy: (error, callback) => {
        // a reader that leaves before the end gives the request up, and its connection with it
        if (!this.settled) {
          this.settled = true
          controller.abort(error ?? new Body.BodyClosedError())
        }
        callback(error)
      }
    })
    body.on("close", () => this.signal.off("abort", this.onAbort))
    this.body = body
    for (const chunk of this.chunks) {
      if (!body.push(chunk)) controller.pause()
    }
    this.chunks = []
    this.outcome.stream(answered, body)
  }
}

/**
 * Sends one request through `dispatcher`, unless `signal` was fired already (undici would queue
 * an aborted request until a socket is free before failing it); firing `signal` later aborts it,
 * or destroys its streamed body. `outcome` hears of its answer, once.
 *
 * @internal
 */
export const dispatch = (
  dispatcher: Undici.Dispatcher,
  options: Undici.Dispatcher.DispatchOptions,
  signal: Abort.Abort,
  outcome: Outcome
): void => {
  if (signal.aborted) return outcome.requestFailed(signal.reason)
  dispatcher.dispatch(options, new Handler(signal, outcome))
}
