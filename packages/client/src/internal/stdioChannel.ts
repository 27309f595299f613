/**
 * MCP's stdio transport as a `Channel`: the server is a child process started with
 * `@effect/platform`'s `Command` (never through a shell); messages are newline-delimited JSON on
 * its stdin and stdout, many requests in flight at once, matched by id; its stderr goes to debug
 * logs, and the last lines of it into the error when the process dies.
 *
 * Shutdown follows the spec: close stdin, wait, SIGTERM, wait, SIGKILL, each wait bounded by
 * `closeTimeout`, so that a server that ignores both EOF and SIGTERM still ends in time.
 */
import type * as Duration from "effect/Duration"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type AnswerError, fromAnswer, type TransportError } from "../McpError.js"
import * as Abort from "./abort.js"
import type * as Answer from "./answer.js"
import type { Channel, Handlers, Outgoing } from "./channel.js"
import * as JsonRpc from "./jsonRpc.js"
import * as StdioProcess from "./stdioProcess.js"
import * as Transport from "./transport.js"

/** @internal */
export interface StdioChannelOptions {
  readonly server: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string | undefined
  readonly maxMessageSize: number
  readonly closeTimeout: Duration.Duration
  readonly onExit: Effect.Effect<void> | undefined
  /**
   * Whether an error answer with an id no request of ours can have settles the only request in
   * flight: while the probe is, since some old servers answer a method they do not know so;
   * later such an answer belongs to no request. Default: never.
   */
  readonly acceptStray?: (() => boolean) | undefined
  /** Told of the process's first output, on stdout or stderr: it has started. */
  readonly onOutput?: (() => void) | undefined
}

/** What a server process inherits of ours; everything else must be given in its `env`. */
const INHERITED = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"] as const

/**
 * The process's environment: the inherited few (skipping shell functions, which some shells
 * export as `() {…}` values) and the configured ones.
 *
 * @internal
 */
export const environment = (env: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name of INHERITED) {
    const value = process.env[name]
    if (value !== undefined && !value.startsWith("()")) out[name] = value
  }
  return { ...out, ...env }
}

const STDERR_TAIL_LINES = 20
const STDERR_LINE_LIMIT = 500

/** Hands a request its answer, or the reason it will get none. */
type Settle = (outcome: Answer.Answer | TransportError) => void

/**
 * Splits bytes into lines, never holding a partial line longer than `limit`. A line past the
 * limit makes it return `undefined` (`"fail"`), or is cut to its first `limit` bytes and the rest
 * of it dropped (`"cut"`).
 */
const lineSplitter = (limit: number, overflow: "fail" | "cut") => {
  let pending: Array<Buffer> = []
  let pendingSize = 0
  /** Dropping the rest of a line that was cut. */
  let skipping = false
  const take = (part: Buffer) => {
    const line = pendingSize === 0 ? part : Buffer.concat([...pending, part], pendingSize + part.length)
    pending = []
    pendingSize = 0
    return line
  }
  return (chunk: Uint8Array): Array<string> | undefined => {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const lines: Array<string> = []
    let start = 0
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      const line = take(bytes.subarray(start, end))
      start = end + 1
      if (skipping) {
        skipping = false
        continue
      }
      if (line.length > limit) {
        if (overflow === "fail") return undefined
        lines.push(`${line.subarray(0, limit).toString("utf8")}…`)
      } else {
        lines.push(line.toString("utf8"))
      }
    }
    if (start < bytes.length && !skipping) {
      pending.push(Buffer.from(bytes.subarray(start)))
      pendingSize += bytes.length - start
      if (pendingSize > limit) {
        if (overflow === "fail") return undefined
        lines.push(`${take(Buffer.alloc(0)).subarray(0, limit).toString("utf8")}…`)
        skipping = true
      }
    }
    return lines
  }
}

/** @internal */
export const make = (
  options: StdioChannelOptions,
  handlers: Handlers
): Effect.Effect<Channel, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const { maxMessageSize, server } = options
    const target: Transport.Target = { server }
    const scope = yield* Effect.scope
    const processScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const pending = new Map<string, Settle>()
    const stderrTail: Array<string> = []
    /** Why the process can take no more requests; set once. */
    let ended: TransportError | undefined
    /** Set by `close`: the process then ends because we asked it to. */
    let closing = false

    const proc = yield* StdioProcess.start({ ...options, env: environment(options.env) }, processScope).pipe(
      Effect.mapError((error) => Transport.transportError(target, "Connect", `cannot start ${JSON.stringify(options.command)}: ${error.message}`))
    )

    const tail = () =>
      stderrTail.length === 0 ? "" : `; its last stderr lines: ${stderrTail.join(" | ")}`

    /** Fails every request in flight, and every later one, with `error`; the process is of no more use. */
    const end = (error: TransportError) => {
      if (ended !== undefined) return false
      ended = error
      const waiting = [...pending.values()]
      pending.clear()
      for (const settle of waiting) settle(error)
      return true
    }

    const write = proc.write

    /**
     * An error answer with an id no request of ours can have (null, or a number below 1: ours
     * are positive integers or strings), when accepted, is the answer to the only request in flight.
     */
    const stray = (answer: Answer.Answer) =>
      answer._tag === "Failure" && (answer.id === null || (typeof answer.id === "number" && answer.id < 1)) && pending.size === 1 &&
      options.acceptStray?.() === true

    const settle = (answer: Answer.Answer) => {
      const key = stray(answer) ? [...pending.keys()][0] : answer.id === null ? undefined : String(answer.id)
      const waiting = key === undefined ? undefined : pending.get(key)
      if (key === undefined || waiting === undefined) return
      pending.delete(key)
      waiting(answer)
    }

    let spoke = false
    const started = () => {
      if (spoke) return
      spoke = true
      options.onOutput?.()
    }

    const splitStdout = lineSplitter(maxMessageSize, "fail")
    /** Settles the answers of a chunk on the spot; an effect when it holds more to do (notifications, server requests, warnings). */
    const onStdout = (chunk: Uint8Array): Effect.Effect<void, TransportError> | undefined => {
      started()
      const lines = splitStdout(chunk)
      if (lines === undefined) {
        return Effect.fail(
          Transport.transportError(target, "Decode", `the server wrote a line larger than the limit of ${maxMessageSize} bytes`)
        )
      }
      const others: Array<Answer.Other> = []
      const answers: Array<Answer.Answer> = []
      const skipped: Array<string> = []
      for (const line of lines) {
        if (line.trim() === "") continue
        let json: unknown
        try {
          json = JSON.parse(line)
        } catch {
          skipped.push(`not JSON: ${Transport.excerpt(line)}`)
          continue
        }
        const message = JsonRpc.classify(json)
        if (typeof message === "string") skipped.push(message)
        else if (message._tag === "Success" || message._tag === "Failure") answers.push(message)
        else others.push(message)
      }
      // a request's progress comes before its answer: its answer waits for the notifications read with it
      if (others.length === 0) answers.forEach(settle)
      if (others.length === 0 && skipped.length === 0) return undefined
      // a server must write nothing but MCP messages to stdout; one that does (a banner, a stray
      // print) is told about in the logs, and its real messages still count
      return Effect.zipRight(
        Effect.forEach(skipped, (why) => Effect.logWarning(`ignored a line on the server's stdout: ${why}`), { discard: true }),
        Effect.forEach(others, (message) => handlers.onMessage(message, undefined), { discard: true }).pipe(
          Effect.ensuring(Effect.sync(() => answers.forEach(settle)))
        )
      )
    }

    const splitStderr = lineSplitter(STDERR_LINE_LIMIT, "cut")
    const onStderr = (chunk: Uint8Array) => {
      started()
      const lines = splitStderr(chunk) ?? []
      return Effect.forEach(lines, (line) => {
        stderrTail.push(line)
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift()
        return Effect.logDebug(line)
      }, { discard: true })
    }

    /** Tells the owner, once, that the process ended by itself. */
    let told = false
    const tell = Effect.suspend(() => {
      if (told || closing || options.onExit === undefined) return Effect.void
      told = true
      return options.onExit
    })

    const stderrRead = yield* Deferred.make<void>()
    yield* proc.readStderr(onStderr).pipe(
      Effect.ignore,
      Effect.ensuring(Deferred.succeed(stderrRead, undefined)),
      Effect.annotateLogs({ server, stream: "stderr" }),
      Effect.interruptible,
      Effect.forkIn(scope)
    )

    // the process ends (by itself, or by `close`): whatever waits fails, and the owner is told
    yield* proc.exitCode.pipe(
      Effect.map((code) => `exited with code ${code}`),
      Effect.orElseSucceed(() => "was killed by a signal"),
      // its last words on stderr may still be on their way
      Effect.zipLeft(Deferred.await(stderrRead).pipe(Effect.timeout(options.closeTimeout), Effect.ignore)),
      Effect.flatMap((how) => {
        end(Transport.transportError(target, "Closed", `the server process ${how}${tail()}`))
        return closing ? Effect.void : Effect.zipRight(Effect.logWarning(`the server process ${how}`), tell)
      }),
      Effect.annotateLogs({ server }),
      Effect.interruptible,
      Effect.forkIn(scope)
    )

    /** Stops a process whose stdout can no longer be trusted; its exit is then handled as any other. */
    const abandon = (error: TransportError) =>
      end(error)
        ? Effect.logWarning(error.detail).pipe(Effect.zipRight(tell), Effect.zipRight(proc.kill("SIGKILL")), Effect.ignore)
        : Effect.void
    yield* proc.readStdout(onStdout).pipe(
      Effect.catchTag("StdioFailure", (error) =>
        Effect.fail(Transport.transportError(target, "Closed", `cannot read the server's stdout: ${error.message}`))),
      // stdout ends when the process exits; one that lives on without it can answer nothing more
      Effect.zipRight(
        proc.exitCode.pipe(
          Effect.timeout(options.closeTimeout),
          Effect.catchTag("TimeoutException", () =>
            closing ? Effect.void : abandon(Transport.transportError(target, "Closed", "the server closed its stdout but kept running"))),
          Effect.ignore
        )
      ),
      // past a line too long, the stream of messages cannot be trusted to be in step
      Effect.catchAll(abandon),
      Effect.annotateLogs({ server }),
      Effect.interruptible,
      Effect.forkIn(scope)
    )
    const close = Effect.suspend(() => {
      if (closing) return Effect.void
      closing = true
      /** Runs `effect` for at most `closeTimeout`, then tells whether the process has ended. */
      const stopped = (effect: Effect.Effect<unknown, unknown>) =>
        effect.pipe(
          Effect.ignore,
          Effect.timeout(options.closeTimeout),
          Effect.ignore,
          Effect.zipRight(proc.isRunning),
          Effect.map((running) => !running),
          Effect.orElseSucceed(() => true)
        )
      return Effect.gen(function*() {
        end(Transport.transportError(target, "Closed", "the session is closed"))
        // EOF first: a well-behaved server exits on it
        yield* proc.endInput
        const exited = (yield* stopped(proc.exitCode)) || (yield* stopped(proc.kill("SIGTERM"))) ||
          (yield* stopped(proc.kill("SIGKILL")))
        if (!exited) yield* Effect.logWarning("the server process did not end, even after SIGKILL")
        yield* Scope.close(processScope, Exit.void).pipe(Effect.timeout(options.closeTimeout), Effect.ignore)
      }).pipe(
        // scope finalizers run uninterruptibly; the waits above have to be able to end
        Effect.interruptible,
        Effect.catchAllCause((cause) => Effect.logDebug("could not stop the server process", cause)),
        Effect.annotateLogs({ server })
      )
    })
    yield* Effect.addFinalizer(() => close)

    const request = (outgoing: Outgoing): Effect.Effect<unknown, TransportError | AnswerError> =>
      Effect.withFiberRuntime((fiber) =>
        Effect.async<unknown, TransportError | AnswerError>((resume) => {
          const { target } = outgoing
          const key = String(outgoing.id)
          // on the caller's fiber, the attempt's deadline and the client's close fire its `Abort`
          const abort = Abort.current(fiber)
          const onAbort = () => {
            pending.delete(key)
            const why = abort?.reason?.why
            resume(Effect.fail(Transport.transportError(target, why === "deadline" ? "Timeout" : "Closed", `the request was aborted: ${why ?? "interrupted"}`)))
          }
          const settle: Settle = (outcome) => {
            abort?.removeListener("abort", onAbort)
            resume(
              outcome._tag === "Success"
                ? Effect.succeed(outcome.result)
                : outcome._tag === "Failure"
                ? Effect.fail(fromAnswer({ ...target, code: outcome.code, message: outcome.message, data: outcome.data }))
                : Effect.fail(Transport.transportError(target, outcome.reason, outcome.detail))
            )
          }
          // nothing is written to a process that has ended: the request provably never left
          if (ended !== undefined) return settle(Transport.transportError(target, "Connect", `the server process is not running: ${ended.detail}`))
          if (abort?.aborted === true) return onAbort()
          pending.set(key, settle)
          abort?.once("abort", onAbort)
          write(outgoing.body)
          return Effect.sync(() => {
            pending.delete(key)
            abort?.removeListener("abort", onAbort)
          })
        })
      )

    const channel: Channel = {
      kind: "stdio",
      handshake: (_generation, outgoing) => request(outgoing),
      establish: () => {},
      sessionId: () => undefined,
      request,
      send: (body) =>
        Effect.suspend(() => {
          if (ended !== undefined) return Effect.fail(Transport.transportError(target, "Connect", `the server process is not running: ${ended.detail}`))
          write(body)
          return Effect.void
        }),
      listen: Effect.void,
      close
    }
    return channel
  }).pipe(Effect.annotateLogs({ server: options.server }))
