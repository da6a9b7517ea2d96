import type { ClusterConfiguration } from './configuration.js';
import type { LogIndex, NodeId, Term } from './ids.js';

/** The role a server plays (§5.1), plus the pre-candidate of pre-vote (dissertation §9.6). */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** How the leader is replicating to one follower (etcd's progress states). */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one follower. */
export interface FollowerProgress {
  readonly nodeId: NodeId;
  readonly state: ProgressState;
  /** Highest index known to be replicated on the follower. */
  readonly matchIndex: LogIndex;
  /** Index of the next entry to send. */
  readonly nextIndex: LogIndex;
  /** AppendEntries messages sent and not yet acknowledged. */
  readonly inflightMessages: number;
  /** Whether the follower has been heard from within the current check-quorum window. */
  readonly recentlyActive: boolean;
  /** `true` for a learner. */
  readonly learner: boolean;
}

/** A copy of a node's state, for inspection. Mutating it changes nothing. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly votedFor: NodeId | undefined;
  /** The leader this node currently follows (itself when leader). */
  readonly leaderId: NodeId | undefined;
  readonly commitIndex: LogIndex;
  /** Highest index the host reported as applied. */
  readonly appliedIndex: LogIndex;
  /** Highest index known durable in the local log. */
  readonly persistedIndex: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  /** Index covered by the latest snapshot (0 when none). */
  readonly snapshotIndex: LogIndex;
  /** The configuration in force (the latest one in the log). */
  readonly configuration: ClusterConfiguration;
  /** Per-follower progress, sorted by node id; empty unless leader. */
  readonly progress: readonly FollowerProgress[];
  /** Bytes of entries appended by this leader and not yet committed. */
  readonly uncommittedBytes: number;
  /** Target of a leadership transfer in progress, if any. */
  readonly transferTarget: NodeId | undefined;
  /** `true` after a fatal persistence failure. */
  readonly failed: boolean;
}
