/**
 * The child process behind a stdio channel, as the little the channel needs of it: read stdout
 * and stderr chunk by chunk, write lines to stdin, end stdin, wait for the exit, send a signal.
 *
 * Two ways to get one. `command` (the default, and what the library uses) starts it with
 * `@effect/platform`'s `Command` and the `CommandExecutor` in context (else Node's): stdout and
 * stderr are the executor's Streams, stdin its Sink fed from a queue. `spawn` is an experiment
 * kept for the benchmark: Node's `child_process.spawn` directly (same options as the Node
 * executor: no shell, its own process group, the same environment, cwd and signals), its pipes
 * read with `'data'` events and written with `write`, so that an answer is settled in the pipe's
 * callback without waking a fiber. It is chosen with the `StdioBackend` reference.
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type ChildProcess, spawn } from "node:child_process"
import { access } from "node:fs/promises"
import type { Readable } from "node:stream"

/**
 * How stdio servers are started: `"command"` (`@effect/platform`'s `Command`, the default) or
 * `"spawn"` (Node's `child_process` directly; an experiment measured by the benchmark).
 *
 * @internal
 */
export class StdioBackend extends Context.Reference<StdioBackend>()("@effect-mcp/client/internal/StdioBackend", {
  defaultValue: (): Backend => "command"
}) {}

/** @internal */
export type Backend = "command" | "spawn"

/** @internal */
export interface StartOptions {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string | undefined
}

/** Why a process could not be started, or a pipe read: a message that never quotes the arguments. */
export interface StdioFailure {
  readonly _tag: "StdioFailure"
  readonly message: string
}

const failure = (message: string): StdioFailure => ({ _tag: "StdioFailure", message })

/**
 * What a chunk of stdout asks for: `undefined` when it was handled on the spot, else an effect
 * to run before the next chunk is read.
 */
export type OnChunk<E> = (chunk: Uint8Array) => Effect.Effect<void, E> | undefined

/** @internal */
export interface StdioProcess {
  /** Hands stdout to `onChunk` chunk by chunk until it ends. */
  readonly readStdout: <E>(onChunk: OnChunk<E>) => Effect.Effect<void, E | StdioFailure>
  /** Hands stderr to `onChunk` chunk by chunk until it ends. */
  readonly readStderr: (onChunk: (chunk: Uint8Array) => Effect.Effect<void>) => Effect.Effect<void, StdioFailure>
  /** Writes one line (the newline is added); messages written together may leave in one write. */
  readonly write: (line: string) => void
  /** Closes stdin once what was written has left (EOF, the spec's first step of shutdown). */
  readonly endInput: Effect.Effect<void>
  /** The exit code; fails when the process was killed by a signal. */
  readonly exitCode: Effect.Effect<number, StdioFailure>
  readonly isRunning: Effect.Effect<boolean, unknown>
  /** Sends `signal` to the process group (else the process) and waits for the exit. */
  readonly kill: (signal: "SIGTERM" | "SIGKILL") => Effect.Effect<void, unknown>
}

/**
 * Starts the process in `scope` (whose close kills a process still running) with the backend in
 * context; its stdin is fed by a fiber of `scope` (`command`) or written directly (`spawn`).
 *
 * @internal
 */
export const start = (options: StartOptions, scope: Scope.Scope): Effect.Effect<StdioProcess, StdioFailure> =>
  Effect.flatMap(StdioBackend, (backend) => backend === "spawn" ? startSpawn(options, scope) : startCommand(options, scope))

const startCommand = (options: StartOptions, scope: Scope.Scope): Effect.Effect<StdioProcess, StdioFailure> =>
  Effect.gen(function*() {
    const command = Command.make(options.command, ...options.args).pipe(
      Command.env({ ...options.env }, { extendEnv: false }),
      (self) => options.cwd === undefined ? self : Command.workingDirectory(self, options.cwd)
    )
    const executor = yield* Effect.serviceOption(CommandExecutor.CommandExecutor)
    const proc = yield* Command.start(command).pipe(
      Option.isSome(executor)
        ? Effect.provideService(CommandExecutor.CommandExecutor, executor.value)
        : Effect.provide(NodeCommandExecutor.layer.pipe(Layer.provide(NodeFileSystem.layer))),
      Scope.extend(scope),
      // the platform's message quotes the arguments, which may hold a secret: only say what failed
      Effect.mapError((error) => failure(error._tag === "SystemError" ? error.description ?? error.reason : error.message))
    )
    const input = yield* Queue.unbounded<Uint8Array>()
    const encoder = new TextEncoder()
    yield* Stream.fromQueue(input).pipe(
      // the messages waiting are written at once: one write (and one wake-up of the server) for many
      Stream.mapChunks((messages) =>
        Chunk.of(messages.length === 1 ? Chunk.unsafeHead(messages) : Buffer.concat(Chunk.toReadonlyArray(messages)))
      ),
      Stream.run(proc.stdin),
      Effect.catchAllCause((cause) => Effect.logDebug("cannot write to the server's stdin", cause)),
      Effect.interruptible,
      Effect.forkIn(scope)
    )
    const readStdout = <E>(onChunk: OnChunk<E>): Effect.Effect<void, E | StdioFailure> =>
      proc.stdout.pipe(
        Stream.mapError((error) => failure(error.message)),
        Stream.runForEachChunk((chunk) =>
          onChunk(chunk.length === 1 ? Chunk.unsafeHead(chunk) : Buffer.concat(Chunk.toReadonlyArray(chunk))) ?? Effect.void
        )
      )
    const readStderr = (onChunk: (chunk: Uint8Array) => Effect.Effect<void>): Effect.Effect<void, StdioFailure> =>
      proc.stderr.pipe(
        Stream.mapError((error) => failure(error.message)),
        Stream.runForEach(onChunk)
      )
    return {
      readStdout,
      readStderr,
      write: (line) => Queue.unsafeOffer(input, encoder.encode(line + "\n")),
      endInput: Queue.shutdown(input),
      exitCode: Effect.mapError(proc.exitCode, (error) => failure(error.message)),
      isRunning: proc.isRunning,
      kill: (signal) => proc.kill(signal)
    } satisfies StdioProcess
  })

/** The message of whatever a Node API threw or emitted. */
const messageOf = (error: unknown) => error instanceof Error ? error.message : String(error)

/**
 * Reads `readable` with `'data'` events: each chunk is handed to `onChunk` in the event itself;
 * when that asks for an effect, the pipe is paused until the effect has run.
 */
const readPipe = <E>(readable: Readable, onChunk: OnChunk<E>): Effect.Effect<void, E | StdioFailure> =>
  Effect.suspend(() => {
    /** Chunks that came while an effect ran. */
    const held: Array<Uint8Array> = []
    let ended: Effect.Effect<void, StdioFailure> | undefined
    /** Set while the reading fiber waits. */
    let wake: ((next: Effect.Effect<void, E | StdioFailure>) => void) | undefined
    const onData = (chunk: Buffer) => {
      if (wake === undefined) {
        held.push(chunk)
        readable.pause()
        return
      }
      const effect = onChunk(chunk)
      if (effect === undefined) return
      readable.pause()
      const resume = wake
      wake = undefined
      resume(Effect.zipRight(effect, loop))
    }
    const finish = (outcome: Effect.Effect<void, StdioFailure>) => {
      ended ??= outcome
      const resume = wake
      wake = undefined
      resume?.(loop)
    }
    const onEnd = () => finish(Effect.void)
    const onError = (error: unknown) => finish(Effect.fail(failure(messageOf(error))))
    const loop: Effect.Effect<void, E | StdioFailure> = Effect.suspend(() => {
      for (let chunk = held.shift(); chunk !== undefined; chunk = held.shift()) {
        const effect = onChunk(chunk)
        if (effect !== undefined) return Effect.zipRight(effect, loop)
      }
      if (ended !== undefined) return ended
      return Effect.async<void, E | StdioFailure>((resume) => {
        wake = resume
        readable.resume()
        return Effect.sync(() => {
          wake = undefined
          readable.pause()
        })
      })
    })
    readable.on("data", onData)
    readable.once("end", onEnd)
    readable.once("error", onError)
    if (readable.readableEnded) ended = Effect.void
    return Effect.ensuring(
      loop,
      Effect.sync(() => {
        readable.off("data", onData)
        readable.off("end", onEnd)
        readable.off("error", onError)
      })
    )
  })

const startSpawn = (options: StartOptions, scope: Scope.Scope): Effect.Effect<StdioProcess, StdioFailure> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const { cwd } = options
    // as the Node executor does: a working directory that cannot be entered fails with its path
    if (cwd !== undefined) yield* Effect.tryPromise({ try: () => access(cwd), catch: (error) => failure(messageOf(error)) })
    const exit = yield* Deferred.make<readonly [number | null, NodeJS.Signals | null]>()
    const group = process.platform !== "win32"
    /** Signals the process group (what the Node executor does), else the process alone. */
    const signal = (handle: ChildProcess, name: "SIGTERM" | "SIGKILL") =>
      Effect.try({
        try: () => {
          if (!group || handle.pid === undefined) throw new Error("no process group")
          process.kill(-handle.pid, name)
        },
        catch: messageOf
      }).pipe(
        Effect.orElse(() =>
          Effect.suspend(() => handle.kill(name) ? Effect.void : Effect.fail(`cannot send ${name} to the server process`))
        )
      )
    const child = yield* Effect.acquireRelease(
      Effect.async<ChildProcess, StdioFailure>((resume) => {
        const handle = spawn(options.command, [...options.args], {
          stdio: ["pipe", "pipe", "pipe"],
          cwd,
          env: { ...options.env },
          detached: group
        })
        handle.on("error", (error) => resume(Effect.fail(failure(error.message))))
        handle.on("exit", (code, name) => Deferred.unsafeDone(exit, Effect.succeed([code, name] as const)))
        handle.on("spawn", () => resume(Effect.succeed(handle)))
        // a pipe that fails (EPIPE when the process is gone) must not crash this process
        handle.stdin?.on("error", (error) => Runtime.runFork(runtime)(Effect.logDebug("cannot write to the server's stdin", error)))
        return Effect.sync(() => handle.kill("SIGTERM"))
      }),
      // as the Node executor does: a process still running is sent SIGTERM and awaited; one that
      // ended badly may have left children in its group, which are sent SIGTERM too
      (handle) =>
        Effect.flatMap(Deferred.isDone(exit), (done) =>
          done
            ? Effect.flatMap(Deferred.await(exit), ([code]) => code !== 0 && code !== null ? Effect.ignore(signal(handle, "SIGTERM")) : Effect.void)
            : signal(handle, "SIGTERM").pipe(Effect.zipRight(Deferred.await(exit)), Effect.ignore))
    ).pipe(Scope.extend(scope))
    const { stderr, stdin, stdout } = child
    if (stdin === null || stdout === null || stderr === null) return yield* Effect.fail(failure("the server process has no pipes"))
    let corked = false
    const uncork = () => {
      corked = false
      stdin.uncork()
    }
    return {
      readStdout: (onChunk) => readPipe(stdout, onChunk),
      readStderr: (onChunk) => readPipe(stderr, onChunk),
      write: (line) => {
        if (!stdin.writable) return
        // the lines written in one turn of the event loop leave in one write (one wake-up of the
        // server): at concurrency 16 that took effect-mcp from about 28 000 to 36 000 calls/s
        if (!corked) {
          corked = true
          stdin.cork()
          process.nextTick(uncork)
        }
        stdin.write(line + "\n")
      },
      endInput: Effect.sync(() => stdin.end()),
      exitCode: Effect.flatMap(Deferred.await(exit), ([code, name]) =>
        code !== null ? Effect.succeed(code) : Effect.fail(failure(`the server process was killed by ${name}`))),
      isRunning: Effect.negate(Deferred.isDone(exit)),
      kill: (name) => signal(child, name).pipe(Effect.zipRight(Deferred.await(exit)), Effect.asVoid)
    } satisfies StdioProcess
  })
