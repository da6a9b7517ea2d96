import type { EventSink, RaftEvent, RaftEventRecord, RaftEventType } from '@raft/abstractions';

/** The event of type `T` out of the {@link RaftEvent} union. */
export type RaftEventOf<T extends RaftEventType> = Extract<RaftEvent, { readonly type: T }>;

/**
 * An {@link EventSink} for tests that keeps every published record, in order.
 *
 * @example
 * ```ts
 * const events = new CapturingEventSink();
 * // … run a node with `events` as its event sink …
 * expect(events.ofType('leaderElected').map((e) => e.leaderId)).toEqual(['n1']);
 * ```
 */
export class CapturingEventSink implements EventSink {
  /** Every record published so far, oldest first. Cleared by {@link CapturingEventSink.clear}. */
  readonly records: RaftEventRecord[] = [];

  publish(record: RaftEventRecord): void {
    this.records.push(record);
  }

  /** The events (without their record envelope), oldest first. */
  events(): RaftEvent[] {
    return this.records.map((record) => record.event);
  }

  /** The events of one type, oldest first, typed as that member of the union. */
  ofType<T extends RaftEventType>(type: T): RaftEventOf<T>[] {
    const matching: RaftEventOf<T>[] = [];
    for (const record of this.records) {
      if (record.event.type === type) matching.push(record.event as RaftEventOf<T>);
    }
    return matching;
  }

  /** The records published by one node, oldest first. */
  fromNode(nodeId: string): RaftEventRecord[] {
    return this.records.filter((record) => record.nodeId === nodeId);
  }

  /** Forgets every record. */
  clear(): void {
    this.records.length = 0;
  }
}
