/**
 * Every client, in report order: raw (the limit), the three compared clients (the official SDK
 * client, the AI SDK client, effect-mcp), effect-mcp with a tracer installed (HTTP), the stdio
 * experiment effect-mcp (spawn), then the two bare references.
 */
import { aiSdkClient } from "./clients/aiSdk.js"
import { bareEffect, bareHttpClient } from "./clients/bare.js"
import { effectMcp, effectMcpSpawn, effectMcpTraced } from "./clients/effectMcp.js"
import { rawClient } from "./clients/raw.js"
import { sdkClient } from "./clients/sdk.js"
import type { BenchClient } from "./loops.js"

export { aiSdkClient, bareEffect, bareHttpClient, effectMcp, effectMcpSpawn, effectMcpTraced, rawClient, sdkClient }

export const clients: ReadonlyArray<BenchClient> = [rawClient, sdkClient, aiSdkClient, effectMcp, effectMcpTraced, effectMcpSpawn, bareHttpClient, bareEffect]
