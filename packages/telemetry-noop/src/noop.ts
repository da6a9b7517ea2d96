import type { EventSink, MetricSink } from '@raft/abstractions';

/**
 * An {@link EventSink} that discards every record. The default event sink of `@raft/hosting`
 * when none is given. Frozen, shared, allocation-free.
 */
export const noopEventSink: EventSink = Object.freeze({
  publish(): void {},
});

/**
 * A {@link MetricSink} that discards every measurement. The default metric sink of
 * `@raft/hosting` when none is given. Frozen, shared, allocation-free.
 */
export const noopMetricSink: MetricSink = Object.freeze({
  increment(): void {},
  gauge(): void {},
  record(): void {},
});
