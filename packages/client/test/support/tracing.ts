/**
 * A tracer that keeps every span it makes (made by Effect's built-in tracer), for tests that read
 * what was traced.
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Tracer from "effect/Tracer"

export const recordingTracer = (): { readonly spans: ReadonlyArray<Tracer.Span>; readonly tracer: Tracer.Tracer } => {
  const builtIn = Context.get(DefaultServices.liveServices, Tracer.Tracer)
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = builtIn.span(name, parent, context, links, startTime, kind, options)
      spans.push(span)
      return span
    },
    context: (f, fiber) => builtIn.context(f, fiber)
  })
  return { spans, tracer }
}
