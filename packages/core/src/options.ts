import { ConfigurationError, type NodeId } from '@raft/abstractions';

/**
 * Tunables of one Raft node. Times are in logical ticks: the host decides how long a tick
 * is (for example 10 ms) and feeds `{ type: 'tick' }` inputs.
 */
export interface RaftNodeOptions {
  /** This node's id. It must be a voter or learner of the configuration to take part. */
  readonly id: NodeId;
  /**
   * Base election timeout. A follower that hears nothing from a leader for a random number of
   * ticks in `[electionTicks, 2·electionTicks)` starts an election (§5.2).
   * @default 10
   */
  readonly electionTicks?: number;
  /**
   * Ticks between leader heartbeats. Must be below `electionTicks` (well below: a tenth of it
   * is typical, dissertation §9.3).
   * @default 1
   */
  readonly heartbeatTicks?: number;
  /**
   * Run a pre-vote round before a real election, so a node that cannot win never raises the
   * cluster's term (dissertation §9.6).
   * @default true
   */
  readonly preVote?: boolean;
  /**
   * A leader that has not heard from a quorum within an election timeout steps down, and a
   * follower that heard from a leader within the election timeout ignores vote requests
   * (dissertation §6.2, §4.2.3).
   * @default true
   */
  readonly checkQuorum?: boolean;
  /**
   * AppendEntries messages with entries that may be in flight to one follower at once
   * (pipelining window, etcd `MaxInflightMsgs`).
   * @default 256
   */
  readonly maxInflightMessages?: number;
  /**
   * Entry bytes ({@link entrySize}) that may be in flight to one follower at once; 0 means
   * no byte limit.
   * @default 0
   */
  readonly maxInflightBytes?: number;
  /**
   * Upper bound on entry bytes in one AppendEntries; a message always carries at least one
   * entry when there is one to send.
   * @default 1048576 (1 MiB)
   */
  readonly maxMessageBytes?: number;
  /**
   * Entry bytes a leader may hold appended but uncommitted; proposals beyond it are refused
   * with reason `uncommittedLimit`. 0 means no limit. A proposal is always accepted when
   * nothing is uncommitted, so one large command cannot wedge the leader.
   * @default 67108864 (64 MiB)
   */
  readonly maxUncommittedBytes?: number;
  /**
   * Bytes of snapshot data per InstallSnapshot chunk; one chunk is in flight per follower.
   * @default 1048576 (1 MiB)
   */
  readonly snapshotChunkBytes?: number;
  /**
   * Log entries kept below a newly saved snapshot, so a slightly lagging follower still catches
   * up from the log instead of receiving the whole snapshot (§7).
   * @default 1024
   */
  readonly trailingLogEntries?: number;
  /**
   * Seed of the node's PRNG (randomised election timeouts). The same seed and the same
   * inputs always give the same outputs.
   * @default a hash of `id`
   */
  readonly seed?: number;
}

/** {@link RaftNodeOptions} with every default filled in. */
export interface ResolvedRaftOptions {
  readonly id: NodeId;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxInflightMessages: number;
  readonly maxInflightBytes: number;
  readonly maxMessageBytes: number;
  readonly maxUncommittedBytes: number;
  readonly snapshotChunkBytes: number;
  readonly trailingLogEntries: number;
  readonly seed: number;
}

/** The documented defaults of {@link RaftNodeOptions}. */
export const DEFAULT_RAFT_OPTIONS: Readonly<Omit<ResolvedRaftOptions, 'id' | 'seed'>> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxInflightMessages: 256,
  maxInflightBytes: 0,
  maxMessageBytes: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  trailingLogEntries: 1024,
};

function positiveInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(option, `must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegativeInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(option, `must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** FNV-1a over the id's UTF-16 code units: a stable default seed. */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Fills in defaults and validates every option.
 * @throws ConfigurationError naming the first wrong option.
 */
export function resolveRaftOptions(options: RaftNodeOptions): ResolvedRaftOptions {
  if (typeof options.id !== 'string' || options.id.length === 0) {
    throw new ConfigurationError('id', 'must be a non-empty node id');
  }
  const electionTicks = positiveInteger('electionTicks', options.electionTicks ?? DEFAULT_RAFT_OPTIONS.electionTicks);
  const heartbeatTicks = positiveInteger('heartbeatTicks', options.heartbeatTicks ?? DEFAULT_RAFT_OPTIONS.heartbeatTicks);
  if (heartbeatTicks >= electionTicks) {
    throw new ConfigurationError('heartbeatTicks', `must be below electionTicks (${electionTicks}), got ${heartbeatTicks}`);
  }
  const seed = options.seed ?? hashId(options.id);
  if (!Number.isSafeInteger(seed)) throw new ConfigurationError('seed', `must be a safe integer, got ${seed}`);
  return {
    id: options.id,
    electionTicks,
    heartbeatTicks,
    preVote: options.preVote ?? DEFAULT_RAFT_OPTIONS.preVote,
    checkQuorum: options.checkQuorum ?? DEFAULT_RAFT_OPTIONS.checkQuorum,
    maxInflightMessages: positiveInteger(
      'maxInflightMessages',
      options.maxInflightMessages ?? DEFAULT_RAFT_OPTIONS.maxInflightMessages,
    ),
    maxInflightBytes: nonNegativeInteger('maxInflightBytes', options.maxInflightBytes ?? DEFAULT_RAFT_OPTIONS.maxInflightBytes),
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_RAFT_OPTIONS.maxMessageBytes),
    maxUncommittedBytes: nonNegativeInteger(
      'maxUncommittedBytes',
      options.maxUncommittedBytes ?? DEFAULT_RAFT_OPTIONS.maxUncommittedBytes,
    ),
    snapshotChunkBytes: positiveInteger('snapshotChunkBytes', options.snapshotChunkBytes ?? DEFAULT_RAFT_OPTIONS.snapshotChunkBytes),
    trailingLogEntries: nonNegativeInteger('trailingLogEntries', options.trailingLogEntries ?? DEFAULT_RAFT_OPTIONS.trailingLogEntries),
    seed,
  };
}
