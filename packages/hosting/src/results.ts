import type { ClientIdentity, ClusterConfiguration, LogIndex, NodeId, RaftError, RaftEventRecord, Role, Term } from '@raft/abstractions';

/**
 * Whether a command that was not answered `committed` can still have been (or become)
 * committed. `notCommitted` is definite: the command is not in the log and never will be.
 * `unknown` means it was in a leader's log when the answer was given and may commit later
 * (reliability.md lesson 5: an indeterminate outcome is reported as indeterminate, never as a
 * failure). Retry an `unknown` command only with a client identity the state machine
 * de-duplicates on (dissertation §6.3).
 */
export type CommandOutcome = 'notCommitted' | 'unknown';

/** The command is committed and applied; `result` is what the state machine returned. */
export interface CommittedResult<Result> {
  readonly status: 'committed';
  readonly index: LogIndex;
  readonly term: Term;
  readonly result: Result;
}

/** This node is not the leader; ask `leaderId` (reachable at `endpoint`, when the directory knows). Definite: not committed. */
export interface RedirectedResult {
  readonly status: 'redirected';
  readonly leaderId: NodeId;
  readonly endpoint: string | undefined;
}

/** Why a command was refused. Every rejection is definite: the command is not and will not be committed. */
export type CommandRejectionReason =
  /** `start()` has not completed (`NODE_NOT_STARTED`). */
  | 'notStarted'
  /** `stop()` was called (`NODE_STOPPED`). */
  | 'stopping'
  /** The payload is above `maxCommandBytes` (`COMMAND_TOO_LARGE`). */
  | 'tooLarge'
  /** The mailbox is full (`MAILBOX_FULL`) or the leader's uncommitted bytes are at `maxUncommittedBytes`. Retryable. */
  | 'overloaded'
  /** No leader is known (an election is going on). Retryable. */
  | 'noLeader'
  /** A leadership transfer is in progress. Retryable. */
  | 'transferInProgress'
  /** The entry was in the leader's log, but a different entry was committed at its index: the leader lost leadership first. */
  | 'leadershipLost'
  /** The node failed (a persistence or state-machine failure) before the command reached the log. */
  | 'failed';

/** The command was refused; see {@link CommandRejectionReason}. */
export interface RejectedResult {
  readonly status: 'rejected';
  readonly reason: CommandRejectionReason;
  /** `true` when the same command may succeed if submitted again later. */
  readonly retryable: boolean;
  /** The typed error behind the rejection, when there is one (`NODE_NOT_STARTED`, `MAILBOX_FULL`, …). */
  readonly error?: RaftError;
}

/** No answer within the timeout. `outcome` says whether the command may still commit. */
export interface TimedOutResult {
  readonly status: 'timedOut';
  readonly outcome: CommandOutcome;
}

/**
 * The wait was ended before an answer: by the caller's `AbortSignal` (`aborted`), by
 * `stop()` (`stopped`), or because the node failed (`failed`). `outcome` says whether the
 * command may still commit (on the other nodes of the cluster).
 */
export interface CancelledResult {
  readonly status: 'cancelled';
  readonly reason: 'aborted' | 'stopped' | 'failed';
  readonly outcome: CommandOutcome;
}

/** The answer to `submit`: exactly one per command. */
export type CommandResult<Result = unknown> = CommittedResult<Result> | RedirectedResult | RejectedResult | TimedOutResult | CancelledResult;

/** Options of `submit`. */
export interface SubmitOptions {
  /** Aborting it ends the wait with `cancelled` (the command may still commit if already in the log). */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait for the answer. @default the node's `requestTimeoutMs` */
  readonly timeoutMs?: number;
  /** Chosen by the client, stored with the entry and handed to the state machine. */
  readonly correlationId?: string;
  /** Client session identity for exactly-once de-duplication by the state machine (dissertation §6.3). */
  readonly client?: ClientIdentity;
}

/** Options of `read` and `transferLeadership`. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** @default the node's `requestTimeoutMs` */
  readonly timeoutMs?: number;
}

/** Why a read or transfer was refused. */
export type RequestRejectionReason = 'notStarted' | 'stopping' | 'overloaded' | 'noLeader' | 'transferInProgress' | 'leaderNotReady' | 'invalidTarget' | 'failed';

/** Shared non-success answers of `read` and `transferLeadership`. */
export type RequestFailure =
  | RedirectedResult
  | { readonly status: 'rejected'; readonly reason: RequestRejectionReason; readonly retryable: boolean; readonly error?: RaftError }
  | { readonly status: 'timedOut' }
  | { readonly status: 'cancelled'; readonly reason: 'aborted' | 'stopped' | 'failed' };

/**
 * The answer to `read`: `ready` once leadership was confirmed by a quorum and the local state
 * machine has applied at least `readIndex` — reading it now is linearizable (dissertation §6.4).
 */
export type ReadResult = { readonly status: 'ready'; readonly readIndex: LogIndex } | RequestFailure;

/** The answer to `transferLeadership`: `completed` with the leader now known (the target on success). */
export type TransferResult = { readonly status: 'completed'; readonly leaderId: NodeId } | RequestFailure;

/** Events of a node, by name, for `on` and `stream`. */
export interface NodeEventMap {
  /** The node's role changed. */
  readonly roleChanged: { readonly from: Role; readonly to: Role; readonly term: Term };
  /** The leader this node knows changed (`undefined`: none known, for example during an election). */
  readonly leaderChanged: { readonly leaderId: NodeId | undefined; readonly endpoint: string | undefined; readonly term: Term };
  /** The commit index advanced (reported at most once per turn of the loop, with the newest value). */
  readonly commitAdvanced: { readonly commitIndex: LogIndex };
  /** The state machine applied entries up to `appliedIndex`. */
  readonly applied: { readonly appliedIndex: LogIndex };
  /** Leader: it appended a configuration entry (a change started, or it leaves a joint configuration). */
  readonly membershipChangeStarted: MembershipChangeEvent;
  /** A configuration entry committed (every node that commits it by log; not for snapshot installs). */
  readonly membershipChangeCommitted: MembershipChangeEvent;
  /** Leader: a change is complete — its C_new (never a joint configuration) is committed. */
  readonly membershipChangeCompleted: MembershipChangeEvent;
  /**
   * The committed membership this node applied changed: a configuration entry was applied, or a
   * snapshot with a different configuration was installed. `committedMembership()` streams it.
   */
  readonly membershipChanged: MembershipUpdate;
  /** Every protocol event of the core and the host, as published to the event sink. */
  readonly event: RaftEventRecord;
}

/** The name of a {@link NodeEventMap} event. */
export type NodeEventType = keyof NodeEventMap;

// ---- membership changes (dissertation ch. 4) ------------------------------------------------

/** Why a membership change was refused. Every rejection is definite: the change is not and will not be in force. */
export type MembershipRejectionReason =
  /** `start()` has not completed (`NODE_NOT_STARTED`). */
  | 'notStarted'
  /** `stop()` was called (`NODE_STOPPED`). */
  | 'stopping'
  /** The mailbox is full (`MAILBOX_FULL`). Retryable. */
  | 'overloaded'
  /** No leader is known (an election is going on). Retryable. */
  | 'noLeader'
  /** The leader has not yet committed an entry of its own term (it was just elected). Retryable. */
  | 'leaderNotReady'
  /** Another membership change has not completed yet: one change at a time (§4.1). Retryable. */
  | 'configurationChangeInProgress'
  /** A leadership transfer is in progress. Retryable. */
  | 'transferInProgress'
  /**
   * The change makes no sense in the configuration in force: the node is already a member
   * (or already a voter), is not a learner (promote), is not a member (remove), the change
   * would leave no voter, or leaves the configuration as it is.
   */
  | 'invalidChange'
  /** The configuration entry was in the leader's log, but a different entry was committed at its index. Retryable. */
  | 'leadershipLost'
  /** The node failed (a persistence or state-machine failure). */
  | 'failed';

/**
 * The change is in force and committed: for a joint change (C_old → C_old,new → C_new, §4.3)
 * this is the commit of C_new, so the cluster no longer needs a majority of C_old.
 */
export interface MembershipCommitted {
  readonly status: 'committed';
  /** Index of the committed configuration entry that holds C_new. */
  readonly index: LogIndex;
  readonly term: Term;
  /** C_new: the configuration now committed. */
  readonly configuration: ClusterConfiguration;
}

/**
 * The answer to a membership call: exactly one per call. `timedOut` and `cancelled` carry the
 * same `outcome` rule as commands: `notCommitted` when the change never reached the leader's
 * log (or, for `promoteLearner`, the learner never caught up), `unknown` when it may still take
 * effect — look at `status().committedConfiguration` or the `membershipChanged` stream.
 */
export type MembershipResult =
  | MembershipCommitted
  | RedirectedResult
  | {
      readonly status: 'rejected';
      readonly reason: MembershipRejectionReason;
      /** `true` when the same change may succeed if requested again later. */
      readonly retryable: boolean;
      readonly error?: RaftError;
    }
  | TimedOutResult
  | CancelledResult;

/** Options of `addLearner`, `removeNode` and `changeMembership`. */
export interface MembershipOptions {
  /** Aborting it ends the wait with `cancelled` (the change may still take effect if already in the log). */
  readonly signal?: AbortSignal;
  /** Milliseconds to wait for the change to commit. @default the node's `requestTimeoutMs` */
  readonly timeoutMs?: number;
}

/** Options of `promoteLearner` and `addVoter`. */
export interface PromoteOptions extends MembershipOptions {
  /**
   * The promotion is proposed only once the learner's match index is within this many entries
   * of the leader's last index (checked on every tick), so a new voter does not stall commits
   * while it catches up. `timeoutMs` covers the wait. Non-negative integer.
   * @default 100
   */
  readonly maxLagEntries?: number;
}

/** Where this node learned the committed membership of a {@link MembershipUpdate}. */
export type MembershipSource =
  /** From its own storage at start (the newest snapshot and the bootstrap configuration). */
  | 'boot'
  /** A configuration entry of the log was applied. */
  | 'log'
  /** A snapshot received from the leader was installed. */
  | 'snapshot';

/** The committed membership as this node knows it (applied configuration entries and installed snapshots). */
export interface MembershipUpdate {
  /** Index of the configuration entry (or of the snapshot that carried it; 0 for a bootstrap configuration). */
  readonly index: LogIndex;
  readonly configuration: ClusterConfiguration;
  /** `true` for the joint configuration C_old,new. */
  readonly joint: boolean;
  /** `true` when this node is a voter or learner of it; `false` once it was removed. */
  readonly member: boolean;
  readonly source: MembershipSource;
}

/** A membership event of the leader: a configuration entry it appended, or the change it completed. */
export interface MembershipChangeEvent {
  readonly index: LogIndex;
  readonly configuration: ClusterConfiguration;
  readonly joint: boolean;
}
