/**
 * Runs one client alone against one HTTP peer, for `node --cpu-prof`:
 * `node --cpu-prof dist/profile.js [effect-mcp|raw|SDK client|AI SDK client] [calls] [concurrency] [minimal|chunked|sse-stream|sdk]`.
 */
import { clients } from "./clients.js"
import { httpPeerNames, startPeer } from "./peers.js"

const [name = "effect-mcp", calls = "20000", concurrency = "16", peerArg = "minimal"] = process.argv.slice(2)
const client = clients.find((candidate) => candidate.name === name)
if (client?.http === undefined) throw new Error(`unknown HTTP client ${name}`)
const peerName = httpPeerNames.find((candidate) => candidate === peerArg)
if (peerName === undefined) throw new Error(`unknown peer ${peerArg}`)
const peer = await startPeer(peerName)
const connected = await client.http(`${peer.origin}/mcp`)
const workers = Number(concurrency)
await connected.run(workers, { calls: 200, until: Number.POSITIVE_INFINITY }, [])
const start = performance.now()
const made = await connected.run(workers, { calls: Number(calls) / workers, until: Number.POSITIVE_INFINITY }, [])
const seconds = (performance.now() - start) / 1000
console.log(`${name}: ${Math.round(made / seconds)} calls/s at concurrency ${concurrency} on ${peerName}`)
await connected.close()
await peer.stop()
