/**
 * The rest of an answer body that undici is still delivering (see `undiciDispatch.ts`): the
 * chunks waiting to be read, how the body ended, and the one reader to wake.
 *
 * It stands where a Node `Readable` would, whose async resource, event listeners and ticks cost
 * more than an MCP answer does on loopback. A reader takes whatever is waiting synchronously and
 * suspends only on an empty queue; undici is paused while more than `highWaterMark` bytes wait,
 * so a slow reader holds the server back, not memory.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** Why a body ended before its end when nothing else did: its reader gave it up. @internal */
export class BodyClosedError extends Error {
  constructor() {
    super("the body was closed before its end")
  }
}

/** What delivers the chunks: undici's dispatch controller. @internal */
export interface Source {
  readonly pause: () => void
  readonly resume: () => void
  readonly abort: (reason: Error) => void
}

/** Bytes that may wait unread before undici is paused. */
const highWaterMark = 64 * 1024

/** @internal */
export class StreamedBody {
  private chunks: Array<Uint8Array> = []
  private waitingBytes = 0
  private paused = false
  private wake: (() => void) | undefined = undefined
  /** `undefined` while undici delivers; `null` once it delivered the end; else why the body failed. */
  private end: null | Error | undefined = undefined
  /** A reader left the body before its end: what still comes is dropped. */
  private dropping = false

  constructor(
    private readonly source: Source,
    /** Called once, when undici is done with the body (ended, failed or aborted). */
    private readonly onSettled: () => void
  ) {}

  /** A chunk from undici. */
  push(chunk: Uint8Array): void {
    if (this.end !== undefined || this.dropping) return
    this.chunks.push(chunk)
    this.waitingBytes += chunk.length
    if (this.waitingBytes > highWaterMark && !this.paused) {
      this.paused = true
      this.source.pause()
    }
    this.notify()
  }

  /** The end, from undici. */
  finish(): void {
    this.settle(null)
  }

  /** A failure, from undici. */
  fail(error: Error): void {
    this.settle(error)
  }

  /** Whether every chunk was read and undici delivered the end. */
  get ended(): boolean {
    return this.end === null && this.chunks.length === 0
  }

  /**
   * Gives the body up: unless undici had delivered its end or a failure already, it aborts the
   * request and closes its connection, and a reader then sees `reason`. Unread chunks are dropped.
   */
  destroy(reason: Error = new BodyClosedError()): void {
    this.chunks = []
    if (this.end !== undefined) return
    this.settle(reason)
    this.source.abort(reason)
  }

  private settle(end: null | Error) {
    if (this.end !== undefined) return
    this.end = end
    this.onSettled()
    this.notify()
  }

  private notify() {
    const wake = this.wake
    if (wake === undefined) return
    this.wake = undefined
    wake()
  }

  /** The next waiting chunk; else `null` after the end, the error that ended the body, or `undefined` while more may come. */
  poll(): Uint8Array | null | Error | undefined {
    const chunk = this.chunks.shift()
    if (chunk === undefined) return this.end
    this.waitingBytes -= chunk.length
    if (this.paused && this.waitingBytes <= highWaterMark) {
      this.paused = false
      this.source.resume()
    }
    return chunk
  }

  /** Resumes once a chunk waits or the body ended. */
  readonly arrival: Effect.Effect<void> = Effect.async<void>((resume) => {
    // the runtime may yield between a reader's empty `poll` and this wait, and undici deliver then
    if (this.chunks.length > 0 || this.end !== undefined) return resume(Effect.void)
    this.wake = () => resume(Effect.void)
    return this.unwatch
  })

  private readonly unwatch = Effect.sync(() => {
    this.wake = undefined
  })

  /**
   * Drops what is left of a body whose reader stopped early: most often only its end, already
   * delivered with the last chunk read, and then the connection can be reused (giving the body up
   * would close it). A body still open once the events already received have run (an SSE stream
   * the server keeps open) is given up.
   */
  leave(): void {
    this.dropping = true
    this.chunks = []
    this.waitingBytes = 0
    if (this.paused) {
      this.paused = false
      this.source.resume()
    }
    if (this.end === undefined) setImmediate(() => this.destroy())
  }
}

/**
 * Runs `f` on each chunk of `body`, while it answers `true`. What is waiting is read
 * synchronously, and an answer `f` gives at once (an `Effect.succeed`) costs no runtime step: an
 * SSE answer that came with its headers is read nearly as cheaply as a JSON one. A body left
 * before its end (failed, interrupted, or stopped early and still open) is given up, which aborts
 * its request.
 *
 * @internal
 */
export const forEach = <E, E2>(
  body: StreamedBody,
  f: (chunk: Uint8Array) => Effect.Effect<boolean, E>,
  onError: (cause: Error) => E2
): Effect.Effect<void, E | E2> =>
  Effect.suspend(() => {
    /** What is left to do, or `undefined` when reading ended without waiting on anything. */
    const step = (): Effect.Effect<void, E | E2> | undefined => {
      for (;;) {
        const next = body.poll()
        if (next === null) return undefined
        if (next === undefined) return Effect.flatMap(body.arrival, stepOn)
        if (next instanceof Error) return Effect.fail(onError(next))
        const more = f(next)
        if (!isSucceeded(more)) return Effect.flatMap(more, (more) => more ? stepOn() : Effect.void)
        if (!more.value) return undefined
      }
    }
    const stepOn = () => step() ?? Effect.void
    const rest = step()
    if (rest === undefined) {
      if (!body.ended) body.leave()
      return Effect.void
    }
    return Effect.onExit(rest, (exit) => body.ended ? Effect.void : Effect.sync(Exit.isSuccess(exit) ? () => body.leave() : () => body.destroy()))
  })

/**
 * Whether `effect` is already its success (an `Effect.succeed`), whose value can be read without
 * a runtime step.
 *
 * @internal
 */
export const isSucceeded = <A, E>(effect: Effect.Effect<A, E>): effect is Exit.Success<A, E> => Exit.isExit(effect) && Exit.isSuccess(effect)

/**
 * `body` as a `Stream`, for readers of the `HttpClientResponse` interface; ending the stream early
 * gives the body up.
 *
 * @internal
 */
export const toStream = <E>(body: StreamedBody, onError: (cause: Error) => E): Stream.Stream<Uint8Array, E> => {
  const pull: Effect.Effect<Uint8Array, Option.Option<E>> = Effect.suspend(() => {
    const next = body.poll()
    if (next === undefined) return Effect.zipRight(body.arrival, pull)
    if (next === null) return Effect.fail(Option.none())
    return next instanceof Error ? Effect.fail(Option.some(onError(next))) : Effect.succeed(next)
  })
  return Stream.repeatEffectOption(pull).pipe(Stream.ensuring(Effect.sync(() => body.destroy())))
}
