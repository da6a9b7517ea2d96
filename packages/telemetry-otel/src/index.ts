/**
 * `@raft/telemetry-otel`: production telemetry for `@raft/*` nodes.
 *
 * - {@link otelMetricSink}: the standard metrics (`docs/metrics.md`) as OpenTelemetry
 *   counters, observable gauges and histograms (with bucket boundaries from 50 µs to 10 s).
 * - {@link otelEventSink}: protocol events (`docs/events.md`) as spans and span events;
 *   elections and snapshot transfers as spans with a duration and an outcome.
 * - {@link pinoEventSink}: each protocol event as one JSON line, at a level per event type.
 *
 * `@opentelemetry/api` is a peer dependency: the sinks use the API version of your
 * application, and record nothing until you register an SDK (or pass a provider). No sink
 * ever throws into the node; failures are counted.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * import { otelMetricSink, otelEventSink, pinoEventSink } from '@raft/telemetry-otel';
 *
 * const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] });
 * const metricSink = otelMetricSink({ meterProvider });
 * const eventSink = pinoEventSink({ level: 'info' });
 * metricSink.increment('raft.leader.changes', 1, { node: 'n1' });
 * eventSink.publish({ nodeId, term, role: 'leader', event: { type: 'leaderElected', leaderId: nodeId, term } });
 * ```
 *
 * @packageDocumentation
 */

// OpenTelemetry metrics
export { otelMetricSink, INSTRUMENTATION_SCOPE } from './otel-metric-sink.js';
export type { OtelMetricSink, OtelMetricSinkOptions } from './otel-metric-sink.js';
export { DURATION_BUCKETS_MS, COUNT_BUCKETS, SIZE_BUCKETS_BYTES, defaultBucketBoundaries } from './buckets.js';

// OpenTelemetry traces
export { otelEventSink, DEFAULT_OTEL_EXCLUDED_EVENTS } from './otel-event-sink.js';
export type { OtelEventSink, OtelEventSinkOptions, SpanOutcome } from './otel-event-sink.js';

// Structured logs
export { pinoEventSink, DEFAULT_EVENT_LEVELS } from './pino-event-sink.js';
export type { PinoEventSink, PinoEventSinkOptions } from './pino-event-sink.js';
