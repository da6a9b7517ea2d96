import type { ClusterConfiguration, LogEntry, LogIndex, PersistentMeta, Term } from '@raft/abstractions';

/** The snapshot a node starts from: what it covers and the configuration in force at its index. */
export interface BootSnapshot {
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
  readonly configuration: ClusterConfiguration;
}

/**
 * What the host recovered from durable storage before the first input (all of it durable).
 * A fresh node passes only `configuration`, the bootstrap membership.
 */
export interface RaftBootState {
  /** Term and vote from the meta store. @default term 0, no vote */
  readonly meta?: PersistentMeta;
  /** The newest snapshot, if any; the log then starts at `lastIncludedIndex + 1`. */
  readonly snapshot?: BootSnapshot;
  /** The log entries after the snapshot (or from index 1), contiguous, as stored. */
  readonly entries?: readonly LogEntry[];
  /**
   * The bootstrap configuration: used when neither the snapshot nor the log holds one. A node
   * joining an existing cluster passes an empty one (`{ voters: [], learners: [] }`) and
   * learns its membership from the leader.
   */
  readonly configuration?: ClusterConfiguration;
  /**
   * Highest index already reflected in the host's state machine (for a durable state
   * machine); committed by definition. @default the snapshot's index, or 0
   */
  readonly appliedIndex?: LogIndex;
}
