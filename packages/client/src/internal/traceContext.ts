/**
 * W3C trace context in a request's `params._meta` (`traceparent`, `tracestate`), as the MCP
 * semantic conventions carry it: read off an Effect span, merged into the params.
 */
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Tracer from "effect/Tracer"

const traceId = /^[0-9a-f]{32}$/
const spanId = /^[0-9a-f]{16}$/
const invalidTraceId = "0".repeat(32)
const invalidSpanId = "0".repeat(16)

/** Where `@effect/opentelemetry` keeps the `tracestate` of an external parent span. */
const traceStateTag = Context.GenericTag<unknown>("@effect/opentelemetry/Tracer/OtelTraceState")

const serializeTraceState = (u: unknown): string | undefined => {
  if (!Predicate.hasProperty(u, "serialize") || typeof u.serialize !== "function") return undefined
  const serialized: unknown = u.serialize()
  return typeof serialized === "string" && serialized !== "" ? serialized : undefined
}

/**
 * The W3C `tracestate` of a span: that of the OpenTelemetry span behind an `@effect/opentelemetry`
 * span, else that of the nearest external parent that has one.
 */
const traceStateOf = (span: Tracer.AnySpan): string | undefined => {
  if (Predicate.hasProperty(span, "span") && Predicate.hasProperty(span.span, "spanContext") && typeof span.span.spanContext === "function") {
    const context: unknown = span.span.spanContext()
    return Predicate.hasProperty(context, "traceState") ? serializeTraceState(context.traceState) : undefined
  }
  let current: Option.Option<Tracer.AnySpan> = Option.some(span)
  while (Option.isSome(current)) {
    const state = Context.getOption(current.value.context, traceStateTag)
    if (Option.isSome(state)) return serializeTraceState(state.value)
    current = current.value._tag === "Span" ? current.value.parent : Option.none()
  }
  return undefined
}

/**
 * The W3C trace context of `span`, for a request's `params._meta`: `traceparent`, and
 * `tracestate` when there is one. `undefined` when the span's ids are not W3C ids (a tracer of
 * its own kind).
 *
 * @internal
 */
export const traceMeta = (span: Tracer.AnySpan): Readonly<Record<string, string>> | undefined => {
  if (!traceId.test(span.traceId) || !spanId.test(span.spanId) || span.traceId === invalidTraceId || span.spanId === invalidSpanId) {
    return undefined
  }
  const traceparent = `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  const tracestate = traceStateOf(span)
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate }
}

/**
 * `params` with `meta` merged into its `_meta`; params that are not an object are left alone.
 *
 * @internal
 */
export const withMeta = (params: unknown, meta: Readonly<Record<string, unknown>>): unknown => {
  if (params === undefined) return { _meta: { ...meta } }
  if (!Predicate.isRecord(params)) return params
  const existing = Predicate.isRecord(params._meta) ? params._meta : {}
  return { ...params, _meta: { ...existing, ...meta } }
}
