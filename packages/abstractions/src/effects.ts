import type { LogIndex, NodeId, RequestId, Term } from './ids.js';
import type { LogEntry } from './log-entry.js';
import type { PersistentMeta } from './meta.js';
import type { InstallSnapshot, RaftMessage } from './messages.js';

/** Persist term and vote; answer with `metaPersisted` once durable. */
export interface PersistMetaEffect {
  readonly type: 'persistMeta';
  readonly meta: PersistentMeta;
  /**
   * The write number: persistence effects are numbered in the order the core emits them.
   * Echo it in `metaPersisted` so the acknowledgement names this write exactly.
   */
  readonly write: number;
}

/**
 * Durably delete every log entry after `after`. Always followed, in the same output, by the
 * `appendLog` that replaces them (and counted as part of that write); no separate completion
 * is reported.
 */
export interface TruncateLogEffect {
  readonly type: 'truncateLog';
  readonly after: LogIndex;
}

/**
 * Durably append `entries` (contiguous, following the current last index). Answer with
 * `logPersisted { upTo, term }` of the last entry once durable. The host may merge several
 * appends into one write and acknowledge only the last.
 */
export interface AppendLogEffect {
  readonly type: 'appendLog';
  readonly entries: readonly LogEntry[];
  /**
   * The write number (see {@link PersistMetaEffect.write}). Echo it in `logPersisted`: after a
   * truncation two writes can end at the same (index, term), and only the number tells which
   * one a group commit acknowledged.
   */
  readonly write: number;
}

/**
 * Discard log entries up to and including `upTo`, which a durable snapshot covers (§7). When
 * the log does not hold `upTo` with `term` (a follower installed a snapshot that replaces a
 * divergent or shorter log), discard every entry: the log then restarts empty after `upTo`
 * (with a {@link LogStore}: `truncateAfter(firstIndex - 1)` then `compactUpTo(upTo, term)`).
 * No completion is reported; after a crash the host's boot drops log entries at or below the
 * newest snapshot.
 */
export interface CompactLogEffect {
  readonly type: 'compactLog';
  readonly upTo: LogIndex;
  readonly term: Term;
}

/**
 * Send a message. Every message the core emits is already safe to send: anything that
 * promises durable state is held back until the matching completion input has arrived.
 */
export interface SendEffect {
  readonly type: 'send';
  readonly message: RaftMessage;
}

/**
 * Apply committed entries to the state machine, in order; each committed entry appears in
 * exactly one `apply` effect. Answer with `applied { upTo }`.
 */
export interface ApplyEffect {
  readonly type: 'apply';
  readonly entries: readonly LogEntry[];
}

/**
 * Leader side of snapshot transfer (§7): read up to `maxBytes` bytes at `message.offset` of the
 * snapshot at `message.lastIncludedIndex` and send `{ ...message, data, size, done }` as one
 * InstallSnapshot to `message.to` (`done` when the chunk reaches the end). Keep that snapshot
 * readable until the transfer ends, even when newer ones are saved (for example keep its reader
 * open): a transfer that restarted on every save would never finish under load. If it is gone,
 * send nothing; the core restarts the transfer with the newest one after an election timeout.
 * The core keeps one chunk in flight per follower and retries a lost one; the host emits a
 * `snapshotSent` event when it sends the last chunk.
 */
export interface SendSnapshotEffect {
  readonly type: 'sendSnapshot';
  readonly message: Omit<InstallSnapshot, 'data' | 'done' | 'size'>;
  readonly maxBytes: number;
}

/**
 * Follower side of snapshot transfer (§7): write `chunk.data` at `chunk.offset` into the
 * snapshot being received. Offset 0 starts a new one (abort any partial one); chunks arrive in
 * order. On the chunk with `done`, commit it durably (atomically: a crash before leaves the
 * previous state intact), replace the state machine with it, then report `snapshotInstalled`.
 * A failed write is reported as `persistenceFailed` with operation `snapshot`.
 */
export interface InstallSnapshotChunkEffect {
  readonly type: 'installSnapshotChunk';
  readonly chunk: InstallSnapshot;
}

/** Why the core refused a request. */
export type RejectionReason =
  /** No leader is known (for example during an election). */
  | 'noLeader'
  /** A leadership transfer is in progress (§3.10). */
  | 'transferInProgress'
  /** The leader's uncommitted log exceeds `maxUncommittedBytes`. */
  | 'uncommittedLimit'
  /** Another membership change has not completed. */
  | 'configurationChangeInProgress'
  /** The request makes no sense in the current configuration (unknown node, already a member…). */
  | 'invalidChange'
  /** The leader has not yet committed an entry of its own term (needed for reads and changes). */
  | 'leaderNotReady'
  /** The node hit a fatal persistence failure and no longer serves. */
  | 'failed';

/** Outcome of a proposal, read, configuration change or transfer the core decided at once. */
export type RequestOutcome =
  /** This node is not the leader; `leaderId` is the leader it knows of. */
  | { readonly status: 'redirected'; readonly leaderId: NodeId }
  | { readonly status: 'rejected'; readonly reason: RejectionReason };

/**
 * Result of a proposal. `appended` means the leader put it in its log at `index` in `term`;
 * it is committed if and when the entry at `index` that gets applied has that same term.
 */
export type ProposalResult = { readonly status: 'appended'; readonly index: LogIndex; readonly term: Term } | RequestOutcome;

/** Result of a read: `ready` once leadership is confirmed; serve after applying `readIndex`. */
export type ReadResult = { readonly status: 'ready'; readonly readIndex: LogIndex } | RequestOutcome;

/**
 * Result of a configuration change: `appended` when the (first) configuration entry of the
 * change is in the leader's log; completion is observable as events.
 */
export type ConfigurationChangeResult =
  | { readonly status: 'appended'; readonly index: LogIndex; readonly term: Term }
  | RequestOutcome;

/** Result of a leadership transfer. */
export type TransferLeadershipResult =
  | { readonly status: 'completed'; readonly leaderId: NodeId }
  | { readonly status: 'timedOut' }
  | RequestOutcome;

/** The answer to a request input, matched by `requestId`. */
export type RequestResultEffect =
  | { readonly type: 'proposalResult'; readonly requestId: RequestId; readonly result: ProposalResult }
  | { readonly type: 'readResult'; readonly requestId: RequestId; readonly result: ReadResult }
  | {
      readonly type: 'configurationChangeResult';
      readonly requestId: RequestId;
      readonly result: ConfigurationChangeResult;
    }
  | {
      readonly type: 'transferLeadershipResult';
      readonly requestId: RequestId;
      readonly result: TransferLeadershipResult;
    };

/**
 * Every effect the core asks the host to carry out. The host starts them in the order given;
 * persistence effects are executed (or queued) in order, so a completion for a later write
 * implies the earlier ones are durable.
 */
export type RaftEffect =
  | PersistMetaEffect
  | TruncateLogEffect
  | AppendLogEffect
  | CompactLogEffect
  | SendSnapshotEffect
  | InstallSnapshotChunkEffect
  | SendEffect
  | ApplyEffect
  | RequestResultEffect;

/** The `type` tag of every effect. */
export type RaftEffectType = RaftEffect['type'];
