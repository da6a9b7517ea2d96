/**
 * `@raft/telemetry-noop`: the telemetry that costs nothing, and the telemetry tests read.
 *
 * - {@link noopEventSink} and {@link noopMetricSink} discard everything; they are the default
 *   sinks of `@raft/hosting`.
 * - {@link CapturingEventSink} and {@link CapturingMetricSink} keep everything, with a small query
 *   API, for tests that check which events and metrics a node reports.
 *
 * @example
 * ```ts
 * import { CapturingMetricSink, noopEventSink } from '@raft/telemetry-noop';
 *
 * const metrics = new CapturingMetricSink();
 * metrics.increment('raft.leader.changes');
 * metrics.record('raft.commit.latency', 0.4);
 * metrics.counter('raft.leader.changes');   // 1
 * metrics.histogram('raft.commit.latency'); // [0.4]
 * metrics.violations;                       // [] — every measurement matched the catalogue
 * noopEventSink.publish(record);            // does nothing
 * ```
 *
 * @packageDocumentation
 */

// No-op sinks (the defaults of @raft/hosting)
export { noopEventSink, noopMetricSink } from './noop.js';

// Capturing sinks for tests
export { CapturingEventSink } from './capturing-event-sink.js';
export type { RaftEventOf } from './capturing-event-sink.js';
export { CapturingMetricSink } from './capturing-metric-sink.js';
export type { MetricObservation, MetricViolation } from './capturing-metric-sink.js';
