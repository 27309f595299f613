/**
 * What every client offers the benchmark: `workers` concurrent loops of sequential `tools/call`
 * requests, each loop bounded both in count and in time, recording every call's latency.
 */
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"

/** Latencies in milliseconds, one per call. */
export type Latencies = Array<number>

/** A bound on one run: at most `calls` calls per worker, none started after `until` (`performance.now()`). */
export interface Bound {
  readonly calls: number
  readonly until: number
}

export interface Connected {
  /** Runs `workers` loops within `bound`; resolves with the number of calls made. */
  readonly run: (workers: number, bound: Bound, latencies: Latencies) => Promise<number>
  readonly close: () => Promise<void>
}

/** A stdio server: the command the client starts, and its arguments (never through a shell). */
export interface StdioServer {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** A client, with the transports it speaks; a peer is measured with every client that speaks its transport. */
export interface BenchClient {
  readonly name: string
  readonly http?: (url: string) => Promise<Connected>
  readonly stdio?: (server: StdioServer) => Promise<Connected>
}

/** `workers` promise loops of sequential `call`s within `bound`. */
export const loops = async (workers: number, bound: Bound, latencies: Latencies, call: () => Promise<unknown>): Promise<number> => {
  let done = 0
  const worker = async () => {
    for (let i = 0; i < bound.calls && performance.now() < bound.until; i++) {
      const start = performance.now()
      await call()
      latencies.push(performance.now() - start)
      done++
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
  return done
}

/** `workers` fibers of sequential `call`s within `bound`, on `runtime`. */
export const effectLoops = <R>(runtime: ManagedRuntime.ManagedRuntime<R, never>, call: Effect.Effect<unknown, unknown, R>): Connected["run"] =>
  (workers, bound, latencies) => {
    let done = 0
    const timed = Effect.suspend(() => {
      const start = performance.now()
      return Effect.map(call, () => {
        latencies.push(performance.now() - start)
        done++
      })
    })
    // each worker counts its own calls
    const worker = () => {
      let i = 0
      return Effect.whileLoop({
        while: () => i++ < bound.calls && performance.now() < bound.until,
        body: () => timed,
        step: () => undefined
      })
    }
    return runtime.runPromise(
      Effect.forEach(Array.from({ length: workers }), () => Effect.suspend(worker), { concurrency: "unbounded", discard: true })
    ).then(() => done)
  }
