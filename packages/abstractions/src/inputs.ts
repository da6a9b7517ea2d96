import type { ConfigurationChange } from './configuration.js';
import type { LogIndex, NodeId, RequestId, Term } from './ids.js';
import type { ClientIdentity } from './log-entry.js';
import type { PersistentMeta } from './meta.js';
import type { RaftMessage } from './messages.js';

/** One logical clock tick; the host turns wall time into ticks. */
export interface TickInput {
  readonly type: 'tick';
}

/** A protocol message received from a peer (untrusted: never makes `process` throw). */
export interface MessageInput {
  readonly type: 'message';
  readonly message: RaftMessage;
}

/** A client command to append to the log (only a leader accepts it). */
export interface ProposeInput {
  readonly type: 'propose';
  readonly requestId: RequestId;
  readonly payload: Uint8Array;
  readonly correlationId?: string;
  readonly client?: ClientIdentity;
}

/** A linearizable read request: resolved with a read index once leadership is confirmed (§6.4). */
export interface ReadInput {
  readonly type: 'read';
  readonly requestId: RequestId;
}

/** A membership change request (dissertation ch. 4). */
export interface ChangeConfigurationInput {
  readonly type: 'changeConfiguration';
  readonly requestId: RequestId;
  readonly change: ConfigurationChange;
}

/** Ask the leader to hand leadership to `target`, or to the most up-to-date voter (§3.10). */
export interface TransferLeadershipInput {
  readonly type: 'transferLeadership';
  readonly requestId: RequestId;
  readonly target?: NodeId;
}

/** The host made `meta` durable (the meta of a `persistMeta` effect, in order). */
export interface MetaPersistedInput {
  readonly type: 'metaPersisted';
  readonly meta: PersistentMeta;
  /** The `write` number of the acknowledged `persistMeta` effect (recommended). */
  readonly write?: number;
}

/**
 * The host made the log durable up to `upTo`, whose entry has term `term` (the last entry of
 * an `appendLog` effect). The term guards against an acknowledgement for entries that were
 * meanwhile overwritten by a later truncation.
 */
export interface LogPersistedInput {
  readonly type: 'logPersisted';
  readonly upTo: LogIndex;
  readonly term: Term;
  /**
   * The `write` number of the acknowledged `appendLog` effect (recommended). Without it the
   * core takes the oldest pending write that ends at (`upTo`, `term`), which is always safe but
   * can leave a newer write with the same end unacknowledged until the next completion.
   */
  readonly write?: number;
}

/** The host applied committed entries to the state machine up to `upTo`. */
export interface AppliedInput {
  readonly type: 'applied';
  readonly upTo: LogIndex;
}

/**
 * The host saved a snapshot of its state machine durably (§7), at an index it had applied
 * (and reported with `applied`). The core then compacts the log prefix it covers (answering
 * with `compactLog`, keeping `trailingLogEntries`) and uses it for followers that need it.
 */
export interface SnapshotSavedInput {
  readonly type: 'snapshotSaved';
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
}

/**
 * The host installed a snapshot received from the leader (the last `installSnapshotChunk`):
 * durable and loaded into the state machine.
 */
export interface SnapshotInstalledInput {
  readonly type: 'snapshotInstalled';
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
}

/**
 * A durable write failed. This is fatal for the node (the PostgreSQL fsync lesson: a retried
 * fsync may falsely succeed); the core stops producing effects other than events.
 */
export interface PersistenceFailedInput {
  readonly type: 'persistenceFailed';
  readonly operation: 'meta' | 'log' | 'snapshot';
  readonly reason: string;
}

/** Every input of `RaftNodeState.process`, discriminated on `type`. */
export type RaftInput =
  | TickInput
  | MessageInput
  | ProposeInput
  | ReadInput
  | ChangeConfigurationInput
  | TransferLeadershipInput
  | MetaPersistedInput
  | LogPersistedInput
  | AppliedInput
  | SnapshotSavedInput
  | SnapshotInstalledInput
  | PersistenceFailedInput;
