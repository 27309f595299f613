/**
 * Decoding a `tools/call` result.
 *
 * Most results hold only text blocks, and the schema's general decoding of them (a union of five
 * block kinds, then the class) costs more than the rest of a loopback call's MCP work. So a result
 * made only of text blocks, with nothing else to check, is recognised by hand and built as the
 * schema builds it; a property test holds the two to the same output, keys in the same order.
 * Any other shape, a wrong one included, goes through `McpSchema.CallToolResult`.
 *
 * @internal
 */
import * as McpSchema from "@effect/ai/McpSchema"
import * as Either from "effect/Either"
import type { TransportError } from "../McpError.js"
import * as Transport from "./transport.js"

const bySchema = Transport.decoder(McpSchema.CallToolResult, "the tools/call result")

/** A plain text block, `{ type: "text", text }`, and nothing more. */
const isTextBlock = (block: unknown): boolean => {
  if (typeof block !== "object" || block === null) return false
  for (const key in block) {
    if (key !== "type" && key !== "text") return false
  }
  const { text, type } = block as { readonly type?: unknown; readonly text?: unknown }
  return type === "text" && typeof text === "string"
}

/**
 * The result, when it holds only `content` made of plain text blocks and perhaps a boolean
 * `isError`, built as the schema builds it: fresh blocks, their keys in the schema's order.
 *
 * @internal
 */
export const textOnly = (answer: unknown): McpSchema.CallToolResult | undefined => {
  if (typeof answer !== "object" || answer === null) return undefined
  for (const key in answer) {
    if (key !== "content" && key !== "isError") return undefined
  }
  const { content, isError } = answer as { readonly content?: unknown; readonly isError?: unknown }
  if (!Array.isArray(content) || (isError !== undefined && typeof isError !== "boolean")) return undefined
  const blocks: ReadonlyArray<unknown> = content
  const texts: Array<typeof McpSchema.TextContent.Type> = []
  for (const block of blocks) {
    if (!isTextBlock(block)) return undefined
    texts.push({ type: "text", text: (block as { readonly text: string }).text })
  }
  // checked above as the schema would check it, so the class is built without checking again
  return new McpSchema.CallToolResult("isError" in answer ? { content: texts, isError } : { content: texts }, true)
}

/** @internal */
export const decode = (answer: unknown, target: Transport.Target): Either.Either<McpSchema.CallToolResult, TransportError> => {
  const result = textOnly(answer)
  return result === undefined ? bySchema(answer, target) : Either.right(result)
}
