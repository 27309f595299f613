#!/usr/bin/env node
/**
 * The `effect-mcp` command: `status`, `tools [server]`, `call <server> <tool> [json-args]`,
 * `watch`, `login <server>`, `logout <server>`, with `--config <file>` (default: env
 * `MCP_CONFIG`), `--tokens <file>`, `--json` and `--help`.
 *
 * Exit codes: one per kind of failure, listed in `exitCodes.ts` and under `--help`.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { main } from "./main.js"

main(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
