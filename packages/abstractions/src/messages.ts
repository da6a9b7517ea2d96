import type { ClusterConfiguration } from './configuration.js';
import type { LogIndex, NodeId, Term } from './ids.js';
import type { LogEntry } from './log-entry.js';

/** Fields every protocol message has. */
export interface MessageBase {
  /** Sender. */
  readonly from: NodeId;
  /** Recipient. */
  readonly to: NodeId;
  /**
   * The sender's current term (§5.1). For a pre-vote request it is the term the sender
   * would campaign in (its term + 1), which it has not adopted (dissertation §9.6).
   */
  readonly term: Term;
}

/**
 * Sent by a candidate to gather votes (§5.2), or by a pre-candidate to learn whether it
 * could win before disrupting anyone (pre-vote, dissertation §9.6).
 */
export interface RequestVote extends MessageBase {
  readonly type: 'RequestVote';
  /** Index of the candidate's last log entry (§5.4.1). */
  readonly lastLogIndex: LogIndex;
  /** Term of the candidate's last log entry (§5.4.1). */
  readonly lastLogTerm: Term;
  /** `true` for a pre-vote: a probe that changes no state on the receiver. */
  readonly preVote: boolean;
  /**
   * `true` when the campaign was started by TimeoutNow (leadership transfer, §3.10); such a
   * request is not ignored by servers that recently heard from the leader (§4.2.3).
   */
  readonly leadershipTransfer: boolean;
}

/** Answer to a {@link RequestVote}. */
export interface RequestVoteResponse extends MessageBase {
  readonly type: 'RequestVoteResponse';
  readonly granted: boolean;
  /** Echoes the request's `preVote` flag. */
  readonly preVote: boolean;
}

/** Sent by the leader to replicate entries and as a heartbeat (§5.3). */
export interface AppendEntries extends MessageBase {
  readonly type: 'AppendEntries';
  /** Index of the entry immediately preceding `entries`. */
  readonly prevLogIndex: LogIndex;
  /** Term of the entry at `prevLogIndex`. */
  readonly prevLogTerm: Term;
  /** Entries to store, contiguous from `prevLogIndex + 1`; empty for a heartbeat. */
  readonly entries: readonly LogEntry[];
  /** The leader's commit index. */
  readonly leaderCommit: LogIndex;
  /**
   * Leader-assigned, increasing within a term; echoed in the response. Lets the leader know a
   * follower acknowledged it after a given moment (read index, dissertation §6.4).
   */
  readonly seq: number;
}

/** Answer to an {@link AppendEntries}. */
export interface AppendEntriesResponse extends MessageBase {
  readonly type: 'AppendEntriesResponse';
  /** `true` when the follower's log matched at `prevLogIndex` and now holds the entries. */
  readonly success: boolean;
  /**
   * On success: the highest index known to match the leader's log (prevLogIndex + number of
   * entries). On failure: the request's `prevLogIndex`.
   */
  readonly matchIndex: LogIndex;
  /**
   * On failure, the fast-backtracking hint (§5.3, "optimization"): the term of the follower's
   * entry at `prevLogIndex`, or absent when the follower's log is shorter.
   */
  readonly conflictTerm?: Term;
  /**
   * On failure: the first index the follower holds for `conflictTerm`, or its last index + 1
   * when its log is shorter than `prevLogIndex`.
   */
  readonly conflictIndex?: LogIndex;
  /** The follower's last log index, to let the leader skip probing. */
  readonly lastLogIndex: LogIndex;
  /** Echo of the request's `seq`. */
  readonly seq: number;
}

/** One chunk of a snapshot sent by the leader to a follower that lacks compacted entries (§7). */
export interface InstallSnapshot extends MessageBase {
  readonly type: 'InstallSnapshot';
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
  /** Configuration as of `lastIncludedIndex`. */
  readonly configuration: ClusterConfiguration;
  /** Byte offset of `data` in the snapshot. */
  readonly offset: number;
  /** The chunk. */
  readonly data: Uint8Array;
  /** `true` for the last chunk. */
  readonly done: boolean;
  /** Total size of the snapshot in bytes. */
  readonly size: number;
}

/** Answer to an {@link InstallSnapshot} chunk. */
export interface InstallSnapshotResponse extends MessageBase {
  readonly type: 'InstallSnapshotResponse';
  /** The snapshot the answer is about. */
  readonly lastIncludedIndex: LogIndex;
  /** The next byte offset the follower expects (lets the leader resume after a lost chunk). */
  readonly nextOffset: number;
  /** `true` once the whole snapshot is durably installed. */
  readonly installed: boolean;
}

/** Tells the recipient to start an election at once (leadership transfer, dissertation §3.10). */
export interface TimeoutNow extends MessageBase {
  readonly type: 'TimeoutNow';
}

/** Every protocol message, discriminated on `type`. */
export type RaftMessage =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | InstallSnapshot
  | InstallSnapshotResponse
  | TimeoutNow;

/** The `type` tag of every protocol message. */
export type RaftMessageType = RaftMessage['type'];

/** All message types, in a stable order (used by codecs and counters). */
export const RAFT_MESSAGE_TYPES: readonly RaftMessageType[] = [
  'RequestVote',
  'RequestVoteResponse',
  'AppendEntries',
  'AppendEntriesResponse',
  'InstallSnapshot',
  'InstallSnapshotResponse',
  'TimeoutNow',
];
