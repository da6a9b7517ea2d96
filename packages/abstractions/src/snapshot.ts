import type { ClusterConfiguration } from './configuration.js';
import type { LogIndex, Term } from './ids.js';

/**
 * Describes a snapshot (§7): the state machine as of `lastIncludedIndex`, which replaces
 * every log entry up to and including it.
 */
export interface SnapshotMeta {
  /** Index of the last entry the snapshot replaces. */
  readonly lastIncludedIndex: LogIndex;
  /** Term of that entry. */
  readonly lastIncludedTerm: Term;
  /** The latest configuration at or before `lastIncludedIndex` (dissertation §5.4). */
  readonly configuration: ClusterConfiguration;
  /** Size of the snapshot data in bytes. */
  readonly size: number;
  /** Checksum of the data as `"<algorithm>:<hex>"`, for example `"crc32c:8a9136aa"`. */
  readonly checksum: string;
}
