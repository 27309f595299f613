/**
 * The MCP 2026-07-28 fixture (`fixtures/server2026.mjs`, flags listed at its top) as a child process
 * owned by the test's scope: over Streamable HTTP (started here on a loopback port, killed when the
 * scope closes) or over stdio (the command a client session starts, or a raw child the test talks
 * to line by line). What the server received is read back as records: `GET /received` on HTTP,
 * its stderr lines on stdio.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const server2026Fixture = fileURLToPath(new URL("../fixtures/server2026.mjs", import.meta.url))

/** One thing the server saw or did, as its stderr line or `GET /received` gives it. */
export interface Server2026Record {
  readonly kind: "request" | "answer" | "notification" | "invalid" | "cancelled" | "subscription-ended" | "log"
  readonly seq: number
  readonly transport?: "http" | "stdio"
  readonly id?: string | number
  readonly method?: string
  /** HTTP only: the request's headers, lower-case names. */
  readonly headers?: Readonly<Record<string, string | ReadonlyArray<string>>>
  readonly meta?: Readonly<Record<string, unknown>>
  readonly message?: unknown
  /** HTTP only: the status of the answer. */
  readonly status?: number
  readonly code?: number
  readonly resultType?: string
  readonly via?: string
  readonly mode?: string
}

const stopped = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

const parseLine = (line: string): unknown => {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

/** Splits a stream into lines, handing each complete one to `onLine`. */
const eachLine = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
  let buffer = ""
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    let end = buffer.indexOf("\n")
    while (end !== -1) {
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + 1)
      if (line.trim() !== "") onLine(line)
      end = buffer.indexOf("\n")
    }
  })
}

export interface Server2026Http {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string
  /** What the server received so far, oldest first. */
  readonly received: Effect.Effect<ReadonlyArray<Server2026Record>>
}

/** The fixture over Streamable HTTP with `flags`, on an ephemeral loopback port, killed when the scope closes. */
export const server2026Http = (flags: ReadonlyArray<string> = []): Effect.Effect<Server2026Http, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ChildProcess; readonly url: string; readonly receivedUrl: string }, Error>((resume) => {
      const child = spawn(process.execPath, [server2026Fixture, "--http", ...flags], { stdio: ["ignore", "pipe", "pipe"] })
      let settled = false
      let errors = ""
      // stderr carries a record per message: read to the end, or a busy server blocks on a full pipe
      child.stderr.on("data", (chunk: Buffer) => {
        if (!settled) errors = (errors + chunk.toString("utf8")).slice(-2000)
      })
      eachLine(child.stdout, (line) => {
        const ready = parseLine(line)
        if (settled || typeof ready !== "object" || ready === null || !("url" in ready) || !("received" in ready)) return
        settled = true
        resume(Effect.succeed({ child, url: String(ready.url), receivedUrl: String(ready.received) }))
      })
      child.once("exit", (code) => {
        if (settled) return
        settled = true
        resume(Effect.fail(new Error(`server2026.mjs ${flags.join(" ")} exited with ${code} before listening: ${errors}`)))
      })
    }),
    ({ child }) => stopped(child)
  ).pipe(Effect.map(({ receivedUrl, url }) => ({
    url,
    received: Effect.promise(async () => {
      const response = await fetch(receivedUrl)
      const body = (await response.json()) as { readonly records: ReadonlyArray<Server2026Record> }
      return body.records
    })
  })))

/** The fixture over stdio with `flags`, as the command and arguments a client session starts. */
export const server2026StdioCommand = (flags: ReadonlyArray<string> = []): { readonly command: string; readonly args: ReadonlyArray<string> } => ({
  command: process.execPath,
  args: [server2026Fixture, "--stdio", ...flags]
})

export interface Server2026Stdio {
  /** Writes one JSON-RPC message as a line on the server's stdin. */
  readonly send: (message: unknown) => Effect.Effect<void>
  /** The first message on stdout, since the start, that passes `matches` and was not taken before; waits for it. */
  readonly next: (matches: (message: Readonly<Record<string, unknown>>) => boolean) => Effect.Effect<Readonly<Record<string, unknown>>>
  /** Every message written on stdout so far. */
  readonly messages: Effect.Effect<ReadonlyArray<Readonly<Record<string, unknown>>>>
  /** The records written on stderr so far. */
  readonly records: Effect.Effect<ReadonlyArray<Server2026Record>>
  /** Waits for the first record that passes `matches`. */
  readonly record: (matches: (record: Server2026Record) => boolean) => Effect.Effect<Server2026Record>
  /** Closes stdin and waits for the process to exit; its exit code. */
  readonly closeInput: Effect.Effect<number | null>
}

/** The fixture over stdio with `flags`, as a raw child the test writes to and reads from; killed when the scope closes. */
export const server2026Stdio = (flags: ReadonlyArray<string> = []): Effect.Effect<Server2026Stdio, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => spawn(process.execPath, [server2026Fixture, "--stdio", ...flags], { stdio: ["pipe", "pipe", "pipe"] })),
      stopped
    ),
    (child) => {
      const messages: Array<Readonly<Record<string, unknown>>> = []
      const taken = new Set<number>()
      const records: Array<Server2026Record> = []
      const waiters = new Set<() => void>()
      const wake = () => {
        for (const waiter of [...waiters]) waiter()
      }
      eachLine(child.stdout, (line) => {
        const message = parseLine(line)
        messages.push(typeof message === "object" && message !== null ? message as Record<string, unknown> : { unparsed: line })
        wake()
      })
      eachLine(child.stderr, (line) => {
        const record = parseLine(line)
        if (typeof record === "object" && record !== null && "kind" in record) records.push(record as Server2026Record)
        wake()
      })
      child.once("exit", wake)
      /** Resumes with `find()` once it is defined, checking again whenever output arrives. */
      const waitFor = <A>(find: () => A | undefined, what: string) =>
        Effect.async<A>((resume) => {
          const check = () => {
            const found = find()
            if (found !== undefined) {
              waiters.delete(check)
              resume(Effect.succeed(found))
            } else if (child.exitCode !== null || child.signalCode !== null) {
              waiters.delete(check)
              resume(Effect.dieMessage(`server2026.mjs exited before ${what}`))
            }
          }
          waiters.add(check)
          check()
          return Effect.sync(() => waiters.delete(check))
        })
      return {
        send: (message) => Effect.sync(() => void child.stdin.write(`${JSON.stringify(message)}\n`)),
        next: (matches) =>
          waitFor(() => {
            const index = messages.findIndex((message, i) => !taken.has(i) && matches(message))
            if (index === -1) return undefined
            taken.add(index)
            return messages[index]
          }, "the awaited message"),
        messages: Effect.sync(() => [...messages]),
        records: Effect.sync(() => [...records]),
        record: (matches) => waitFor(() => records.find(matches), "the awaited record"),
        closeInput: Effect.async<number | null>((resume) => {
          if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
          child.once("exit", (code) => resume(Effect.succeed(code)))
          child.stdin.end()
        })
      }
    }
  )
