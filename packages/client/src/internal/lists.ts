/**
 * The lists a session keeps (tools, resources, resource templates, prompts): the request that
 * fetches each, and the change notification that empties it. One table for both revisions.
 */
import type * as McpSchema from "@effect/ai/McpSchema"

/**
 * The lists a session keeps until the server announces a change.
 *
 * @internal
 */
export interface Lists {
  readonly tools: ReadonlyArray<McpSchema.Tool>
  readonly resources: ReadonlyArray<McpSchema.Resource>
  readonly resourceTemplates: ReadonlyArray<McpSchema.ResourceTemplate>
  readonly prompts: ReadonlyArray<McpSchema.Prompt>
}

/** @internal */
export type ListKind = keyof Lists

/**
 * The request that lists each kind.
 *
 * @internal
 */
export const listMethods: Readonly<Record<ListKind, string>> = {
  tools: "tools/list",
  resources: "resources/list",
  resourceTemplates: "resources/templates/list",
  prompts: "prompts/list"
}

/** @internal */
export const listKinds: ReadonlyArray<ListKind> = ["tools", "resources", "resourceTemplates", "prompts"]

/**
 * Which lists each change notification empties: resources and their templates change together.
 *
 * @internal
 */
export const emptiedBy: Readonly<Record<string, ReadonlyArray<ListKind>>> = {
  "notifications/tools/list_changed": ["tools"],
  "notifications/resources/list_changed": ["resources", "resourceTemplates"],
  "notifications/prompts/list_changed": ["prompts"]
}

/** The kind each list request fetches. @internal */
export const kindOf: ReadonlyMap<string, ListKind> = new Map(listKinds.map((kind) => [listMethods[kind], kind]))
