/**
 * `@raft/abstractions`: the contracts every `@raft/*` package shares. Value types, protocol
 * messages, the core's inputs, effects and events, the storage, transport, state-machine and
 * telemetry interfaces, and the error classes. No runtime dependencies; the only code is small
 * value helpers every layer needs (branded-id constructors, entry sizes, configuration sets,
 * the CRC-32C checksum of the on-disk and wire formats).
 *
 * @example
 * ```ts
 * import { NodeId, LogIndex, type StateMachine, type CommittedCommand } from '@raft/abstractions';
 *
 * class Counter implements StateMachine<number> {
 *   value = 0;
 *   apply(command: CommittedCommand): number { return (this.value += command.payload[0] ?? 0); }
 *   async *exportSnapshot() { yield new Uint8Array([this.value]); }
 *   async importSnapshot(chunks: AsyncIterable<Uint8Array>) { for await (const c of chunks) this.value = c[0] ?? 0; }
 * }
 * const leader = NodeId('n1');
 * const first = LogIndex(1);
 * ```
 *
 * @packageDocumentation
 */

// Identifiers
export { NodeId, Term, LogIndex } from './ids.js';
export type { Brand, RequestId } from './ids.js';

// Log, configuration and persistent state
export { ENTRY_OVERHEAD_BYTES, entrySize } from './log-entry.js';
export type { EntryKind, ClientIdentity, CommandEntry, ConfigurationEntry, NoopEntry, LogEntry } from './log-entry.js';
export { isJointConfiguration, allVoters, allMembers } from './configuration.js';
export type { ClusterConfiguration, ConfigurationChange, SetMembersChange } from './configuration.js';
export type { PersistentMeta } from './meta.js';
export type { SnapshotMeta } from './snapshot.js';

// Protocol messages
export { RAFT_MESSAGE_TYPES } from './messages.js';
export type {
  MessageBase,
  RequestVote,
  RequestVoteResponse,
  AppendEntries,
  AppendEntriesResponse,
  InstallSnapshot,
  InstallSnapshotResponse,
  TimeoutNow,
  RaftMessage,
  RaftMessageType,
} from './messages.js';

// The core contract: inputs, effects, events, status
export type {
  TickInput,
  MessageInput,
  ProposeInput,
  ReadInput,
  ChangeConfigurationInput,
  TransferLeadershipInput,
  MetaPersistedInput,
  LogPersistedInput,
  AppliedInput,
  SnapshotSavedInput,
  SnapshotInstalledInput,
  PersistenceFailedInput,
  RaftInput,
} from './inputs.js';
export type {
  PersistMetaEffect,
  TruncateLogEffect,
  AppendLogEffect,
  CompactLogEffect,
  SendSnapshotEffect,
  InstallSnapshotChunkEffect,
  SendEffect,
  ApplyEffect,
  RejectionReason,
  RequestOutcome,
  ProposalResult,
  ReadResult,
  ConfigurationChangeResult,
  TransferLeadershipResult,
  RequestResultEffect,
  RaftEffect,
  RaftEffectType,
} from './effects.js';
export { RAFT_EVENT_TYPES } from './events.js';
export type { RaftEvent, RaftEventType } from './events.js';
export type { RaftOutput } from './output.js';
export type { Role, ProgressState, FollowerProgress, RaftStatus } from './status.js';

// Interfaces implemented by adapter packages
export type { LogStore, MetaStore, SnapshotWriter, SnapshotReader, SnapshotStore, RaftStorage, StorageProvider } from './storage.js';
export type { Transport, TransportReceiver, PeerDirectory } from './transport.js';
export type { StateMachine, CommittedCommand } from './state-machine.js';
export { RAFT_METRICS } from './telemetry.js';
export type {
  RaftEventRecord,
  EventSink,
  MetricSink,
  MetricAttributes,
  MetricKind,
  MetricDefinition,
  MetricName,
} from './telemetry.js';

// Checksums (CRC-32C, shared by the storage formats and the wire format)
export { crc32c, formatCrc32c } from './checksum.js';

// Errors
export {
  RAFT_ERROR_CODES,
  RaftError,
  InvalidArgumentError,
  ConfigurationError,
  IllegalStateError,
  LifecycleError,
  MailboxFullError,
  CommandTooLargeError,
  StorageError,
  CodecError,
  TransportError,
  isRaftError,
} from './errors.js';
export type { RaftErrorCode, RaftErrorOptions } from './errors.js';
