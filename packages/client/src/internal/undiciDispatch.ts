/**
 * One request through undici's `dispatch`, with a handler of our own.
 *
 * undici's `request` wraps every answer in a `Readable` (an async resource, event listeners and a
 * few ticks to read it, even when the whole body came with the headers). The small answers of
 * MCP's hot path need none of that: this handler collects a small body as undici delivers it and
 * hands it over whole when it ends, and only a body that is large, an SSE stream, the answer to a
 * `HEAD` or of a status of 300 or more is handed over as it comes, as a `StreamedBody`.
 *
 * @internal
 */
import type * as Undici from "@effect/platform-node/Undici"
import { Readable } from "node:stream"
import type * as Abort from "./abort.js"
import * as Body from "./body.js"
import * as Defaults from "./defaults.js"
import { BodyClosedError, StreamedBody } from "./streamedBody.js"

/** The status and the headers (parsed once) of an answer. @internal */
export interface Answered {
  readonly statusCode: number
  readonly headers: Undici.Dispatcher.ResponseData["headers"]
}

/** Where undici's answer to one request went, told once: read whole, streamed, or failed. @internal */
export interface Outcome {
  /** A success of at most `Defaults.smallBody` bytes, read whole: not an SSE stream, unless its length was announced. */
  readonly read: (answered: Answered, body: Uint8Array) => void
  /** Any other answer, its body (the chunks already read included) still to be read. */
  readonly stream: (answered: Answered, body: StreamedBody) => void
  readonly requestFailed: (cause: unknown) => void
  readonly bodyFailed: (answered: Answered, cause: unknown) => void
  /** What threw while telling one of the above, in undici's callback: it must still reach the caller. */
  readonly defect: (cause: unknown) => void
}

/** @internal */
export const isEventStream = (headers: Answered["headers"]): boolean => Body.isEventStreamType(headers["content-type"])

/** Whether an answer is read whole before it is handed over (one wake-up of the fiber, not two). */
const readWhole = (method: string, statusCode: number, headers: Answered["headers"]) => {
  // a HEAD answer's length is the resource's, which a body read whole (empty) would hide
  if (statusCode >= 300 || method === "HEAD") return false
  const length = Body.lengthOf(headers["content-length"])
  // an SSE body may stay open and deliver notifications first: it is read as it comes
  return Number.isNaN(length) ? !isEventStream(headers) : length <= Defaults.smallBody
}

const ignore = () => {}

class Handler implements Undici.Dispatcher.DispatchHandler {
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private answered: Answered | undefined = undefined
  private chunks: Array<Uint8Array> = []
  private size = 0
  private body: StreamedBody | undefined = undefined
  /** Whether a body read whole or a failure was told: later news is dropped. Once a body is handed over, it hears the news itself. */
  private settled = false

  constructor(
    private readonly method: string,
    private readonly requestBody: unknown,
    private readonly signal: Abort.Abort,
    private readonly outcome: Outcome
  ) {
    signal.on("abort", this.onAbort)
  }

  readonly onAbort = (): void => {
    const reason = this.signal.reason ?? new BodyClosedError()
    if (this.body !== undefined) return this.body.destroy(reason)
    if (this.settled) return
    const controller = this.controller
    // a request still waiting for a connection fails now, unsent; `onRequestStart` drops it
    if (controller === undefined) return this.fail(reason)
    controller.abort(reason)
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController) {
    this.controller = controller
    if (this.settled || this.signal.aborted) controller.abort(this.signal.reason ?? new BodyClosedError())
  }

  onResponseStart(controller: Undici.Dispatcher.DispatchController, statusCode: number, headers: Answered["headers"]) {
    // informational answers come before the real one
    if (statusCode < 200 || this.settled) return
    const answered: Answered = { statusCode, headers }
    this.answered = answered
    if (!readWhole(this.method, statusCode, headers)) this.handOver(controller, answered)
  }

  onResponseData(controller: Undici.Dispatcher.DispatchController, chunk: Uint8Array) {
    const body = this.body
    if (body !== undefined) return body.push(chunk)
    if (this.settled) return
    this.chunks.push(chunk)
    this.size += chunk.length
    const answered = this.answered
    if (this.size > Defaults.smallBody && answered !== undefined) this.handOver(controller, answered)
  }

  onResponseEnd() {
    const body = this.body
    if (body !== undefined) return body.finish()
    const answered = this.answered
    if (this.settled) return
    // undici ends a request only after its answer started; this keeps a broken promise from hanging the caller
    if (answered === undefined) return this.fail(new BodyClosedError())
    const chunks = this.chunks
    this.settle(() => this.outcome.read(answered, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)))
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error) {
    const body = this.body
    if (body !== undefined) return body.fail(error)
    if (this.settled) return
    const answered = this.answered
    if (answered === undefined) this.fail(error)
    else this.settle(() => this.outcome.bodyFailed(answered, error))
  }

  /** Fails the request before its answer started, releasing a streamed request body as undici's `request` does. */
  private fail(cause: unknown) {
    const requestBody = this.requestBody
    if (requestBody instanceof Readable && !requestBody.destroyed) requestBody.on("error", ignore).destroy(cause instanceof Error ? cause : undefined)
    this.settle(() => this.outcome.requestFailed(cause))
  }

  /** Tells the outcome, once; whatever throws while telling it still reaches the caller. */
  private settle(tell: () => void) {
    this.settled = true
    this.signal.off("abort", this.onAbort)
    try {
      tell()
    } catch (defect) {
      this.outcome.defect(defect)
    }
  }

  /** Hands the rest of the answer over as it comes, starting with the chunks already read. */
  private handOver(controller: Undici.Dispatcher.DispatchController, answered: Answered) {
    // a reader that gives the body up before its end gives the request up, and its connection with it
    const body = new StreamedBody(controller, () => this.signal.off("abort", this.onAbort))
    this.body = body
    for (const chunk of this.chunks) body.push(chunk)
    this.chunks = []
    try {
      this.outcome.stream(answered, body)
    } catch (defect) {
      body.destroy()
      this.outcome.defect(defect)
    }
  }
}

/**
 * Sends one request through `dispatcher`, unless `signal` was fired already (undici would queue
 * an aborted request until a socket is free before failing it). Firing `signal` later fails a
 * request still waiting for a connection at once, aborts one under way, or destroys its streamed
 * body. `outcome` hears of its answer, once.
 *
 * @internal
 */
export const dispatch = (
  dispatcher: Undici.Dispatcher,
  options: Undici.Dispatcher.DispatchOptions,
  signal: Abort.Abort,
  outcome: Outcome
): void => {
  const handler = new Handler(options.method, options.body, signal, outcome)
  if (signal.aborted) return handler.onAbort()
  dispatcher.dispatch(options, handler)
}
