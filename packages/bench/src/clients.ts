/**
 * Every client, in report order: raw (the limit), the three compared clients (the official SDK
 * client, the AI SDK client, effect-mcp), then the two bare references.
 */
import { aiSdkClient } from "./clients/aiSdk.js"
import { bareEffect, bareHttpClient } from "./clients/bare.js"
import { effectMcp } from "./clients/effectMcp.js"
import { rawClient } from "./clients/raw.js"
import { sdkClient } from "./clients/sdk.js"
import type { BenchClient } from "./loops.js"

export { aiSdkClient, bareEffect, bareHttpClient, effectMcp, rawClient, sdkClient }

export const clients: ReadonlyArray<BenchClient> = [rawClient, sdkClient, aiSdkClient, effectMcp, bareHttpClient, bareEffect]
