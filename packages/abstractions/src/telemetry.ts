import type { RaftEvent } from './events.js';
import type { NodeId, Term } from './ids.js';
import type { Role } from './status.js';

/** An event as published by a node: the event plus who saw it and in what state. */
export interface RaftEventRecord {
  readonly nodeId: NodeId;
  readonly term: Term;
  readonly role: Role;
  readonly event: RaftEvent;
}

/** Receives protocol events. Implementations must not throw and must return quickly. */
export interface EventSink {
  publish(record: RaftEventRecord): void;
}

/** Attribute values attached to a metric measurement. */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

/** What kind of instrument a metric is. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Receives metric measurements. Implementations must not throw and must return quickly. */
export interface MetricSink {
  /** Add `value` (default 1) to a counter. */
  increment(name: MetricName, value?: number, attributes?: MetricAttributes): void;
  /** Set a gauge to its current value. */
  gauge(name: MetricName, value: number, attributes?: MetricAttributes): void;
  /** Record one observation in a histogram. */
  record(name: MetricName, value: number, attributes?: MetricAttributes): void;
}

/** Description of one standard metric. */
export interface MetricDefinition {
  readonly kind: MetricKind;
  /** UCUM unit, as OpenTelemetry expects (`"1"`, `"ms"`, `"By"`, `"{entry}"`). */
  readonly unit: string;
  readonly description: string;
  /** Attribute keys recorded with every measurement, besides `node`. */
  readonly attributes: readonly string[];
}

/**
 * Name of a standard metric. The catalogue ({@link RAFT_METRICS}) is documented in
 * `docs/metrics.md`; a test keeps the two in step.
 */
export type MetricName =
  | 'raft.leader.changes'
  | 'raft.elections.started'
  | 'raft.term'
  | 'raft.commit.index'
  | 'raft.applied.index'
  | 'raft.commit.latency'
  | 'raft.log.append.duration'
  | 'raft.log.append.entries'
  | 'raft.mailbox.depth'
  | 'raft.replication.lag'
  | 'raft.replication.inflight'
  | 'raft.snapshot.size'
  | 'raft.snapshot.duration'
  | 'raft.send.failures'
  | 'raft.proposals.rejected'
  | 'raft.uncommitted.bytes'
  | 'raft.messages.dropped';

/**
 * The standard metrics every node reports, by name.
 */
export const RAFT_METRICS: Readonly<Record<MetricName, MetricDefinition>> = {
  'raft.leader.changes': { kind: 'counter', unit: '{change}', description: 'Times the known leader changed.', attributes: [] },
  'raft.elections.started': { kind: 'counter', unit: '{election}', description: 'Elections (and pre-vote rounds) started by this node.', attributes: ['pre_vote'] },
  'raft.term': { kind: 'gauge', unit: '1', description: 'Current term.', attributes: [] },
  'raft.commit.index': { kind: 'gauge', unit: '1', description: 'Commit index.', attributes: [] },
  'raft.applied.index': { kind: 'gauge', unit: '1', description: 'Index last applied to the state machine.', attributes: [] },
  'raft.commit.latency': { kind: 'histogram', unit: 'ms', description: 'Propose to committed on the leader.', attributes: [] },
  'raft.log.append.duration': { kind: 'histogram', unit: 'ms', description: 'Duration of one durable log write (including fsync).', attributes: [] },
  'raft.log.append.entries': { kind: 'histogram', unit: '{entry}', description: 'Entries per durable log write.', attributes: [] },
  'raft.mailbox.depth': { kind: 'gauge', unit: '{input}', description: 'Inputs waiting in the node mailbox.', attributes: [] },
  'raft.replication.lag': { kind: 'gauge', unit: '{entry}', description: 'Leader last index minus follower match index.', attributes: ['follower'] },
  'raft.replication.inflight': { kind: 'gauge', unit: '{message}', description: 'AppendEntries in flight to a follower.', attributes: ['follower'] },
  'raft.snapshot.size': { kind: 'histogram', unit: 'By', description: 'Size of snapshots saved or installed.', attributes: ['origin'] },
  'raft.snapshot.duration': { kind: 'histogram', unit: 'ms', description: 'Duration of taking or installing a snapshot.', attributes: ['origin'] },
  'raft.send.failures': { kind: 'counter', unit: '{message}', description: 'Messages the transport failed to send.', attributes: ['peer'] },
  'raft.proposals.rejected': { kind: 'counter', unit: '{proposal}', description: 'Proposals refused, by reason.', attributes: ['reason'] },
  'raft.uncommitted.bytes': { kind: 'gauge', unit: 'By', description: 'Bytes appended by the leader and not yet committed.', attributes: [] },
  'raft.messages.dropped': { kind: 'counter', unit: '{message}', description: 'Received messages dropped as invalid.', attributes: ['reason'] },
};
