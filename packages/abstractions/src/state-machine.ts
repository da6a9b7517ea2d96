import type { LogIndex, Term } from './ids.js';
import type { ClientIdentity } from './log-entry.js';

/** A committed command handed to the state machine. */
export interface CommittedCommand {
  readonly index: LogIndex;
  readonly term: Term;
  readonly payload: Uint8Array;
  readonly correlationId?: string;
  readonly client?: ClientIdentity;
}

/**
 * The application's replicated state machine, the one thing a user writes. Commands are
 * applied in log order, exactly once per process lifetime (after a restart the host replays
 * from the latest snapshot).
 */
export interface StateMachine<Result = unknown> {
  /** Apply a committed command and return the result handed back to the client. */
  apply(command: CommittedCommand): Result | Promise<Result>;
  /** Stream out the state as of the last applied command (for a snapshot, §7). */
  exportSnapshot(): AsyncIterable<Uint8Array>;
  /** Replace the whole state with a snapshot's data. */
  importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void>;
}
