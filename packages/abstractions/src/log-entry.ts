import type { ClusterConfiguration } from './configuration.js';
import type { LogIndex, Term } from './ids.js';

/** What a log entry carries. */
export type EntryKind = 'command' | 'configuration' | 'noop';

/**
 * Who sent a command, for exactly-once de-duplication by the state machine
 * (dissertation §6.3): a client session id and that client's sequence number.
 */
export interface ClientIdentity {
  readonly clientId: string;
  readonly sequence: number;
}

/** Fields every log entry has. */
interface EntryBase {
  /** Position in the log (§5.3). */
  readonly index: LogIndex;
  /** Term of the leader that created the entry (§5.3). */
  readonly term: Term;
}

/** An application command: opaque bytes handed to the state machine when committed. */
export interface CommandEntry extends EntryBase {
  readonly kind: 'command';
  /** The command, opaque to Raft. */
  readonly payload: Uint8Array;
  /** Optional id the client chose to correlate the command with its result. */
  readonly correlationId?: string;
  /** Optional client identity used for de-duplication. */
  readonly client?: ClientIdentity;
}

/**
 * A membership configuration. It takes effect on a server as soon as it is appended to its
 * log, not when committed (dissertation §4.1).
 */
export interface ConfigurationEntry extends EntryBase {
  readonly kind: 'configuration';
  readonly configuration: ClusterConfiguration;
}

/** The empty entry a new leader appends to commit entries of earlier terms (§5.4.2, §8). */
export interface NoopEntry extends EntryBase {
  readonly kind: 'noop';
}

/** One entry of the replicated log, discriminated on `kind`. */
export type LogEntry = CommandEntry | ConfigurationEntry | NoopEntry;

/** Fixed per-entry overhead counted by {@link entrySize}, in bytes. */
export const ENTRY_OVERHEAD_BYTES = 24;

/**
 * The size an entry counts for in byte limits (message size, in-flight bytes, uncommitted
 * bytes): its payload plus a fixed overhead. Configuration entries count an estimate of their
 * member list. This is an accounting measure, not the encoded size.
 */
export function entrySize(entry: LogEntry): number {
  switch (entry.kind) {
    case 'command':
      return ENTRY_OVERHEAD_BYTES + entry.payload.byteLength;
    case 'configuration': {
      const c = entry.configuration;
      return ENTRY_OVERHEAD_BYTES + 16 * (c.voters.length + c.learners.length + (c.oldVoters?.length ?? 0));
    }
    case 'noop':
      return ENTRY_OVERHEAD_BYTES;
  }
}
