/**
 * What a language model reads of an MCP tool result: the text blocks joined, the other blocks
 * (image, audio, embedded resource, resource link) described by kind, mime type and size, never
 * their bytes, and `structuredContent` kept as it came. Pure: see `McpToolkit`.
 */

/** @internal */
export interface Output {
  readonly text: string
  readonly structuredContent?: unknown
}

/** @internal */
export interface ErrorOutput {
  readonly isError: true
  readonly error: string
  readonly structuredContent?: unknown
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const stringField = (block: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const value = block[key]
  return typeof value === "string" ? value : undefined
}

/** Bytes of decoded data, or of base64 text as a lenient decoder may have left it. */
const byteLength = (data: unknown): number | undefined => {
  if (data instanceof Uint8Array) return data.length
  if (typeof data !== "string") return undefined
  const clean = data.replace(/\s/g, "")
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding)
}

const textBytes = (text: string): number => new TextEncoder().encode(text).length

const formatSize = (bytes: number | undefined): string | undefined => bytes === undefined ? undefined : `${bytes} bytes`

const bracket = (kind: string, details: ReadonlyArray<string | undefined>): string => {
  const present = details.filter((detail): detail is string => detail !== undefined && detail !== "")
  return present.length === 0 ? `[${kind}]` : `[${kind}: ${present.join(", ")}]`
}

/**
 * One content block as text: a text block as it is; an embedded text resource described, then its
 * text; anything else described by kind, mime type and size.
 *
 * @internal
 */
export const describeBlock = (block: unknown): string => {
  if (!isRecord(block)) return "[content of an unknown kind]"
  const type = stringField(block, "type")
  switch (type) {
    case "text":
      return stringField(block, "text") ?? ""
    case "image":
    case "audio":
      return bracket(type, [stringField(block, "mimeType"), formatSize(byteLength(block.data))])
    case "resource": {
      const resource = isRecord(block.resource) ? block.resource : {}
      const text = stringField(resource, "text")
      const head = bracket("resource", [
        stringField(resource, "uri"),
        stringField(resource, "mimeType"),
        formatSize(text === undefined ? byteLength(resource.blob) : textBytes(text))
      ])
      return text === undefined ? head : `${head}\n${text}`
    }
    case "resource_link": {
      const name = stringField(block, "title") ?? stringField(block, "name")
      const size = typeof block.size === "number" ? formatSize(block.size) : undefined
      const description = stringField(block, "description")
      return bracket("resource link", [
        stringField(block, "uri"),
        name === undefined ? undefined : JSON.stringify(name),
        stringField(block, "mimeType"),
        size,
        description
      ])
    }
    default:
      return type === undefined ? "[content of an unknown kind]" : bracket(`${type} content`, [])
  }
}

/**
 * Every block described, joined with newlines.
 *
 * @internal
 */
export const describeContent = (content: ReadonlyArray<unknown>): string => content.map(describeBlock).join("\n")

const withStructured = <A extends object>(value: A, structuredContent: unknown): A =>
  structuredContent === undefined ? value : { ...value, structuredContent }

/**
 * A successful result as the model reads it.
 *
 * @internal
 */
export const output = (result: { readonly content: ReadonlyArray<unknown>; readonly structuredContent?: unknown }): Output =>
  withStructured<Output>({ text: describeContent(result.content) }, result.structuredContent)

/**
 * A result with `isError: true` as the model reads it: the server's words as `error`.
 *
 * @internal
 */
export const errorOutput = (result: { readonly content: ReadonlyArray<unknown>; readonly structuredContent?: unknown }): ErrorOutput =>
  withStructured<ErrorOutput>({ isError: true, error: describeContent(result.content) }, result.structuredContent)

/**
 * A failure of the call itself (transport, protocol, circuit, unknown tool) as the model reads it.
 * Error messages of effect-mcp never carry a credential.
 *
 * @internal
 */
export const failureOutput = (message: string): ErrorOutput => ({ isError: true, error: message })
