import { ConfigurationError, type NodeId } from '@raft/abstractions';
import { DEFAULT_RAFT_OPTIONS, type RaftNodeOptions, type ResolvedRaftOptions, resolveRaftOptions } from '@raft/core';

/**
 * Tunables of a hosted node: the runtime's own options plus the core's
 * ({@link RaftNodeOptions} without `id`, which comes from `withNodeId`). Every option is
 * documented with its unit and default in `docs/configuration.md`.
 */
export interface NodeOptions extends Omit<RaftNodeOptions, 'id'> {
  /**
   * Wall-clock length of one logical tick, in milliseconds. The election timeout is
   * `[electionTicks, 2·electionTicks)` ticks and a leader sends heartbeats every
   * `heartbeatTicks` ticks; with the defaults that is 100–200 ms and 10 ms.
   * @default 10
   */
  readonly tickMs?: number;
  /**
   * Take a snapshot of the state machine once this many entries were applied since the last
   * one (the core then compacts the log, keeping `trailingLogEntries`, and sends the snapshot
   * to followers that are too far behind). 0 never snapshots: the log then grows without bound.
   * @default 10000
   */
  readonly snapshotThreshold?: number;
  /**
   * Inputs (received messages and client requests) that may wait in the node's mailbox.
   * A full mailbox refuses client requests with `MAILBOX_FULL` (result `rejected`,
   * reason `overloaded`) and drops received messages (Raft tolerates loss); completions
   * of the node's own I/O and ticks never count against it and are never dropped.
   * @default 16384
   */
  readonly mailboxCapacity?: number;
  /** Largest command payload `submit` accepts, in bytes; larger ones get `COMMAND_TOO_LARGE`. @default 1048576 */
  readonly maxCommandBytes?: number;
  /**
   * How long `submit`, `read` and `transferLeadership` wait for an answer when the caller
   * gives no `timeoutMs`, in milliseconds. Checked on every tick, so the resolution is `tickMs`.
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long a graceful `stop()` keeps the node running so in-flight commands can finish,
   * in milliseconds; commands still waiting afterwards are answered `cancelled` (outcome
   * `unknown` when they were already in the log). 0 stops at once.
   * @default 1000
   */
  readonly stopTimeoutMs?: number;
  /** Inputs processed in one turn of the event loop before it yields to timers and I/O. @default 1024 */
  readonly maxInputsPerTurn?: number;
}

/** The runtime options with every default filled in. */
export interface ResolvedHostingOptions {
  readonly tickMs: number;
  readonly snapshotThreshold: number;
  readonly mailboxCapacity: number;
  readonly maxCommandBytes: number;
  readonly requestTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly maxInputsPerTurn: number;
}

/** The documented defaults of the runtime options (the core's are {@link DEFAULT_RAFT_OPTIONS}). */
export const DEFAULT_HOSTING_OPTIONS: ResolvedHostingOptions = Object.freeze({
  tickMs: 10,
  snapshotThreshold: 10_000,
  mailboxCapacity: 16384,
  maxCommandBytes: 1024 * 1024,
  requestTimeoutMs: 10_000,
  stopTimeoutMs: 1000,
  maxInputsPerTurn: 1024,
});

const CORE_KEYS = [
  'electionTicks',
  'heartbeatTicks',
  'preVote',
  'checkQuorum',
  'maxInflightMessages',
  'maxInflightBytes',
  'maxMessageBytes',
  'maxUncommittedBytes',
  'snapshotChunkBytes',
  'trailingLogEntries',
  'seed',
] as const;
const HOSTING_KEYS = Object.keys(DEFAULT_HOSTING_OPTIONS) as (keyof ResolvedHostingOptions)[];

function positive(option: string, value: number, integer: boolean, max = Number.MAX_SAFE_INTEGER): number {
  const ok = integer ? Number.isSafeInteger(value) : Number.isFinite(value);
  if (!ok || value <= 0 || value > max) {
    throw new ConfigurationError(option, `must be a positive ${integer ? 'integer' : 'number'}${max < Number.MAX_SAFE_INTEGER ? ` of at most ${max}` : ''}, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigurationError(option, `must be a non-negative integer, got ${String(value)}`);
  return value;
}

function nonNegative(option: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(option, `must be a non-negative number, got ${String(value)}`);
  return value;
}

/**
 * Validates every option and fills in defaults.
 * @throws ConfigurationError naming the first wrong (or unknown) option.
 */
export function resolveNodeOptions(id: NodeId, options: NodeOptions): { hosting: ResolvedHostingOptions; core: ResolvedRaftOptions } {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!(CORE_KEYS as readonly string[]).includes(key) && !(HOSTING_KEYS as readonly string[]).includes(key)) {
      throw new ConfigurationError(key, 'is not an option of RaftNode (see docs/configuration.md)');
    }
  }
  for (const key of ['preVote', 'checkQuorum'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') throw new ConfigurationError(key, `must be a boolean, got ${String(value)}`);
  }
  const d = DEFAULT_HOSTING_OPTIONS;
  // setInterval clamps to 1 ms and to 2^31-1 ms; outside that the tick would silently change.
  const hosting: ResolvedHostingOptions = {
    tickMs: positive('tickMs', options.tickMs ?? d.tickMs, false, 2 ** 31 - 1),
    snapshotThreshold: nonNegativeInteger('snapshotThreshold', options.snapshotThreshold ?? d.snapshotThreshold),
    mailboxCapacity: positive('mailboxCapacity', options.mailboxCapacity ?? d.mailboxCapacity, true),
    maxCommandBytes: positive('maxCommandBytes', options.maxCommandBytes ?? d.maxCommandBytes, true),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? d.requestTimeoutMs, false, 2 ** 31 - 1),
    stopTimeoutMs: nonNegative('stopTimeoutMs', options.stopTimeoutMs ?? d.stopTimeoutMs),
    maxInputsPerTurn: positive('maxInputsPerTurn', options.maxInputsPerTurn ?? d.maxInputsPerTurn, true),
  };
  if (hosting.tickMs < 1) throw new ConfigurationError('tickMs', `must be at least 1 ms (timers are not finer), got ${hosting.tickMs}`);
  const coreOptions: { -readonly [K in keyof RaftNodeOptions]: RaftNodeOptions[K] } = { id };
  for (const key of CORE_KEYS) {
    const value = options[key];
    if (value !== undefined) (coreOptions as Record<string, unknown>)[key] = value;
  }
  const core = resolveRaftOptions(coreOptions);
  return { hosting, core };
}

export { DEFAULT_RAFT_OPTIONS };
