import type { ClientIdentity, LogIndex, NodeId, RaftError, RaftEventRecord, Role, Term } from '@raft/abstractions';

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
  /** Every protocol event of the core and the host, as published to the event sink. */
  readonly event: RaftEventRecord;
}

/** The name of a {@link NodeEventMap} event. */
export type NodeEventType = keyof NodeEventMap;
