import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigurationError,
  InvalidArgumentError,
  type MetaStore,
  type PersistentMeta,
  type RaftStorage,
  type SnapshotStore,
  StorageError,
  type StorageProvider,
  Term,
} from '@raft/abstractions';
import { fileSnapshotStore } from '@raft/snapshots-file';
import { type WalFileSystem, ioError, nodeFileSystem } from './internal/fs.js';
import { acquireLock } from './internal/lock.js';
import { readMetaFile, writeMetaFile } from './internal/meta-file.js';
import { type FailureState, WalLog, type WalRecoveryReport } from './internal/wal-log.js';

export type { WalRecoveryReport } from './internal/wal-log.js';

/** Options of {@link walStorage}. */
export interface WalStorageOptions {
  /** Directory of this node's storage; created if missing. One directory per node. */
  readonly dir: string;
  /**
   * Size at which the active segment is closed and a new one started, in bytes. Compaction
   * deletes whole segments, so smaller segments free space sooner; larger ones mean fewer files.
   * @default 67108864 (64 MiB)
   */
  readonly segmentBytes?: number;
  /**
   * Upper bound of one group-commit batch (one write + one fdatasync), in bytes; a single
   * larger append still goes in one batch of its own.
   * @default 8388608 (8 MiB)
   */
  readonly maxBatchBytes?: number;
  /**
   * Opens the snapshot store; called on every `open()`. Use it to pass `fileSnapshotStore` of
   * `@raft/snapshots-file` with your own options (`() => fileSnapshotStore({ dir, retain: 5 })`)
   * or any other {@link SnapshotStore}.
   * @default `fileSnapshotStore({ dir: <dir>/snapshots })` from `@raft/snapshots-file` (keeps 2 snapshots)
   */
  readonly snapshots?: () => SnapshotStore | Promise<SnapshotStore>;
  /** Called once per `open()` with what recovery found (a torn tail cut off, leftover files removed). */
  readonly onRecovery?: (report: WalRecoveryReport) => void;
}

/** Internal seams for tests (fault injection); not part of the public API. */
export interface WalInternals {
  readonly fs?: WalFileSystem;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;

function positiveInteger(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ConfigurationError(option, `must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/**
 * Durable storage in one directory: the log as an append-only write-ahead log of CRC-32C framed
 * segment files with group commit, the term and vote in an atomically replaced meta file, and
 * snapshots in `<dir>/snapshots` (or the store `snapshots` opens). An exclusive lock file keeps
 * a second process (or a second open) out with `STORAGE_LOCKED`.
 *
 * @example
 * ```ts
 * const storage = await walStorage({ dir: '/var/lib/app/raft' }).open();
 * await storage.log.append(entries);      // resolves after the fdatasync that covers it
 * await storage.meta.save({ currentTerm, votedFor });
 * await storage.close();
 * ```
 */
export function walStorage(options: WalStorageOptions, internals: WalInternals = {}): StorageProvider {
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw new ConfigurationError('dir', 'must be a non-empty path');
  const segmentBytes = positiveInteger('segmentBytes', options.segmentBytes, DEFAULT_SEGMENT_BYTES, 1024, MAX_SEGMENT_BYTES);
  const maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, 1, MAX_SEGMENT_BYTES);
  const fs = internals.fs ?? nodeFileSystem;
  const { dir } = options;

  return {
    async open(): Promise<RaftStorage> {
      try {
        await mkdir(dir, { recursive: true });
      } catch (cause) {
        throw ioError(`cannot create storage directory ${dir}`, cause);
      }
      const lock = await acquireLock(dir);
      const state: FailureState = { failure: undefined };
      let log: WalLog | undefined;
      let snapshots: SnapshotStore | undefined;
      try {
        const existing = await readMetaFile(fs, dir);
        log = await WalLog.open({ dir, fs, segmentBytes, maxBatchBytes, state, metaStorageId: existing?.storageId });
        const meta = walMetaStore(fs, dir, log.id, existing?.meta, state);
        snapshots = options.snapshots ? await options.snapshots() : fileSnapshotStore({ dir: join(dir, 'snapshots') });
        options.onRecovery?.(log.recovery);
        const opened = { log, meta, snapshots };
        let closing: Promise<void> | undefined;
        return {
          ...opened,
          close() {
            closing ??= (async () => {
              const results = await Promise.allSettled([opened.log.close(), opened.meta.close(), opened.snapshots.close()]);
              await lock.release();
              const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
              if (failed) throw failed.reason;
            })();
            return closing;
          },
        };
      } catch (error) {
        await log?.close().catch(() => undefined);
        await snapshots?.close().catch(() => undefined);
        await lock.release();
        throw error;
      }
    },
  };
}

/**
 * The {@link MetaStore} of a WAL directory: the meta file is replaced atomically on each save
 * (temp file, fsync, rename, directory fsync); saves run one at a time in call order.
 */
function walMetaStore(fs: WalFileSystem, dir: string, storageId: string, initial: PersistentMeta | undefined, state: FailureState): MetaStore {
  let current: PersistentMeta = initial ?? { currentTerm: Term(0), votedFor: undefined };
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const check = (): void => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `meta store in ${dir} is closed`);
  };
  return {
    async load() {
      check();
      return current;
    },
    save(meta) {
      try {
        check();
        if (!Number.isSafeInteger(meta.currentTerm) || meta.currentTerm < 0) {
          throw new InvalidArgumentError(`currentTerm must be a non-negative safe integer, got ${meta.currentTerm}`);
        }
      } catch (error) {
        return Promise.reject(error);
      }
      const copy: PersistentMeta = { currentTerm: meta.currentTerm, votedFor: meta.votedFor };
      const run = chain.then(async () => {
        if (state.failure !== undefined) {
          throw new StorageError('STORAGE_IO_FAILED', `storage in ${dir} refuses writes after an earlier failure: ${state.failure.message}`, { cause: state.failure });
        }
        try {
          await writeMetaFile(fs, dir, copy, storageId);
        } catch (cause) {
          state.failure = ioError(`cannot save the meta file in ${dir}`, cause);
          throw state.failure;
        }
        current = copy;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      await chain;
    },
  };
}
