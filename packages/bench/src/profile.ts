/**
 * Runs one client alone against the minimal peer, for `node --cpu-prof`:
 * `node --cpu-prof dist/profile.js [effect-mcp|raw undici|SDK client] [calls] [concurrency]`.
 */
import { clients } from "./clients.js"
import { startPeer } from "./peers.js"

const [name = "effect-mcp", calls = "20000", concurrency = "16"] = process.argv.slice(2)
const client = clients.find((candidate) => candidate.name === name)
if (client === undefined) throw new Error(`unknown client ${name}`)
const peer = await startPeer("minimal")
const connected = await client.connect(`${peer.origin}/mcp`)
await connected.run(Number(concurrency), 200, [])
const start = performance.now()
await connected.run(Number(concurrency), Number(calls) / Number(concurrency), [])
const seconds = (performance.now() - start) / 1000
console.log(`${name}: ${Math.round(Number(calls) / seconds)} calls/s at concurrency ${concurrency}`)
await connected.close()
await peer.stop()
