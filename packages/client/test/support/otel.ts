/**
 * `@effect/opentelemetry` with in-memory span and metric exporters, for tests that read what the
 * client exports: `layer` installs the SDK (its tracer and a reader of Effect's metrics),
 * `spans()` gives every ended span, `metrics()` collects the metrics now.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Resource from "@effect/opentelemetry/Resource"

export interface Otel {
  readonly layer: Layer.Layer<Resource.Resource>
  readonly spans: () => ReadonlyArray<ReadableSpan>
  readonly metrics: Effect.Effect<ReadonlyArray<ResourceMetrics>>
}

export const otel = (): Otel => {
  const spanExporter = new InMemorySpanExporter()
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // exports only when asked (`metrics`)
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
  return {
    layer: NodeSdk.layer(() => ({
      resource: { serviceName: "effect-mcp-test" },
      spanProcessor: new SimpleSpanProcessor(spanExporter),
      metricReader: reader
    })),
    spans: () => spanExporter.getFinishedSpans(),
    metrics: Effect.promise(async () => {
      metricExporter.reset()
      await reader.forceFlush()
      return metricExporter.getMetrics()
    })
  }
}

/** The data points of the metric `name` (cumulative, as Effect keeps them), of every export. */
export const dataPoints = (exported: ReadonlyArray<ResourceMetrics>, name: string) =>
  exported.flatMap((resource) =>
    resource.scopeMetrics.flatMap((scope) => scope.metrics.filter((metric) => metric.descriptor.name === name))
  )
