import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigurationError,
  IllegalStateError,
  InvalidArgumentError,
  type SnapshotMeta,
  type SnapshotReader,
  type SnapshotStore,
  type SnapshotWriter,
  StorageError,
  crc32c,
  formatCrc32c,
} from '@raft/abstractions';
import {
  MAX_FOOTER_BYTES,
  SNAPSHOT_FILE,
  TRAILER_BYTES,
  decodeFooter,
  decodeTrailer,
  encodeFooter,
  snapshotFileName,
} from './internal/format.js';
import { ioError, syncDirectory } from './internal/fs.js';

/** Options of {@link fileSnapshotStore}. */
export interface FileSnapshotStoreOptions {
  /** Directory holding the snapshot files; created if missing. Use one directory per node. */
  readonly dir: string;
  /**
   * How many committed snapshots to keep: the newest plus `retain - 1` older ones to fall back
   * on when the newest fails its checksum.
   * @default 2
   */
  readonly retain?: number;
  /** Chunk size of `SnapshotReader.chunks()` when the caller does not pass one, in bytes. @default 1048576 */
  readonly chunkBytes?: number;
  /**
   * Called when a committed snapshot fails verification and an older one is tried instead
   * (for logging; the damaged file is left in place for inspection until retention removes it).
   */
  readonly onCorrupted?: (file: string, reason: string) => void;
}

const DEFAULT_RETAIN = 2;
const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const VERIFY_BLOCK_BYTES = 1024 * 1024;

/**
 * A durable {@link SnapshotStore} in a directory. A snapshot streams into a temporary file;
 * `commit` appends a footer with its metadata and CRC-32C, fsyncs the file, renames it into
 * place atomically and fsyncs the directory, then deletes snapshots beyond `retain`.
 * `latest()` verifies the newest file end to end and falls back to the previous valid one;
 * a temporary (uncommitted) file is never returned and is removed when the store opens.
 *
 * @example
 * ```ts
 * const snapshots = fileSnapshotStore({ dir: '/var/lib/app/raft/snapshots', retain: 3 });
 * const writer = await snapshots.begin({ lastIncludedIndex, lastIncludedTerm, configuration });
 * for await (const chunk of stateMachine.snapshotChunks()) await writer.write(chunk);
 * const meta = await writer.commit(); // durable and newest from here on
 * ```
 */
export function fileSnapshotStore(options: FileSnapshotStoreOptions): SnapshotStore {
  const { dir } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw new ConfigurationError('dir', 'must be a non-empty path');
  const retain = options.retain ?? DEFAULT_RETAIN;
  if (!Number.isSafeInteger(retain) || retain < 1) throw new ConfigurationError('retain', `must be an integer >= 1, got ${retain}`);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new ConfigurationError('chunkBytes', `must be an integer >= 1, got ${chunkBytes}`);

  let closed = false;
  /** Set after a failed fsync or rename: nothing more is written (a retried fsync may lie). */
  let failure: StorageError | undefined;
  /** Highest sequence number committed so far; the next commit takes the one after. */
  let sequence = 0;
  /** Files already verified end to end by this instance (committed files never change). */
  const verified = new Map<string, SnapshotMeta>();
  /** Commits and retention run one at a time, in order. */
  let commitChain: Promise<unknown> = Promise.resolve();
  let ready: Promise<void> | undefined;
  /** Open writers and readers, released by `close()`. */
  const live = new Set<{ release(): Promise<void> }>();

  const init = (): Promise<void> => {
    ready ??= (async () => {
      try {
        await mkdir(dir, { recursive: true });
        for (const name of await readdir(dir)) {
          // A temporary file is a snapshot that never committed: it must never be returned.
          if (name.endsWith('.tmp')) await unlink(join(dir, name));
          const match = SNAPSHOT_FILE.exec(name);
          if (match) sequence = Math.max(sequence, Number(match[1]));
        }
        await syncDirectory(dir);
      } catch (cause) {
        ready = undefined;
        throw ioError(`cannot open snapshot directory ${dir}`, cause);
      }
    })();
    return ready;
  };
  const check = (): void => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `snapshot store ${dir} is closed`);
  };
  const checkWritable = (): void => {
    check();
    if (failure) throw new StorageError('STORAGE_IO_FAILED', `snapshot store ${dir} refuses writes after an earlier failure: ${failure.message}`, { cause: failure });
  };

  const committedFiles = async (): Promise<string[]> => {
    try {
      return (await readdir(dir)).filter((name) => SNAPSHOT_FILE.test(name)).sort().reverse();
    } catch (cause) {
      throw ioError(`cannot list snapshot directory ${dir}`, cause);
    }
  };

  const applyRetention = async (): Promise<void> => {
    const files = await committedFiles();
    const stale = files.slice(retain);
    for (const name of stale) {
      await unlink(join(dir, name));
      verified.delete(name);
    }
    if (stale.length > 0) await syncDirectory(dir);
  };

  return {
    async begin(meta) {
      checkWritable();
      await init();
      for (const field of ['lastIncludedIndex', 'lastIncludedTerm'] as const) {
        if (!Number.isSafeInteger(meta[field]) || meta[field] < 0) throw new InvalidArgumentError(`${field} must be a non-negative safe integer, got ${meta[field]}`);
      }
      const tmpName = `snapshot-${randomBytes(8).toString('hex')}.tmp`;
      const tmpPath = join(dir, tmpName);
      let handle: FileHandle;
      try {
        handle = await open(tmpPath, 'wx');
      } catch (cause) {
        throw ioError(`cannot create ${tmpPath}`, cause);
      }
      let size = 0;
      let crc = 0;
      let state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
      const ensureOpen = (): void => {
        checkWritable();
        if (state !== 'open') throw new IllegalStateError(`snapshot writer is already ${state}`);
      };
      const discard = async (): Promise<void> => {
        live.delete(resource);
        await handle.close().catch(() => undefined);
        await unlink(tmpPath).catch(() => undefined);
      };
      const resource = {
        release: async (): Promise<void> => {
          if (state !== 'open') return;
          state = 'aborted';
          await discard();
        },
      };
      live.add(resource);

      const writer: SnapshotWriter = {
        async write(chunk) {
          ensureOpen();
          try {
            await handle.write(chunk, 0, chunk.byteLength);
          } catch (cause) {
            state = 'aborted';
            await discard();
            throw ioError(`cannot write ${tmpPath}`, cause);
          }
          size += chunk.byteLength;
          crc = crc32c(chunk, crc);
        },

        async commit() {
          ensureOpen();
          state = 'committing';
          const committed: SnapshotMeta = {
            lastIncludedIndex: meta.lastIncludedIndex,
            lastIncludedTerm: meta.lastIncludedTerm,
            configuration: meta.configuration,
            size,
            checksum: formatCrc32c(crc),
          };
          const footer = encodeFooter(committed);
          try {
            await handle.write(footer, 0, footer.byteLength);
            // Durable contents before the name: a crash after the rename must find whole data.
            await handle.sync();
            live.delete(resource);
            await handle.close();
          } catch (cause) {
            state = 'aborted';
            await discard();
            failure = ioError(`cannot make ${tmpPath} durable`, cause);
            throw failure;
          }
          const run = commitChain.then(async () => {
            checkWritable();
            const name = snapshotFileName(++sequence);
            try {
              await rename(tmpPath, join(dir, name));
              await syncDirectory(dir);
            } catch (cause) {
              failure = ioError(`cannot commit snapshot ${name} in ${dir}`, cause);
              throw failure;
            }
            verified.set(name, committed);
            state = 'committed';
            try {
              await applyRetention();
            } catch {
              // The new snapshot is committed; an old file left behind is removed next time.
            }
            return committed;
          });
          commitChain = run.catch(() => undefined);
          try {
            return await run;
          } catch (error) {
            state = 'aborted';
            await unlink(tmpPath).catch(() => undefined);
            throw error;
          }
        },

        async abort() {
          if (state === 'committed' || state === 'committing') throw new IllegalStateError(`snapshot writer is already ${state}`);
          if (state === 'aborted') return;
          state = 'aborted';
          await discard();
        },
      };
      return writer;
    },

    async latest() {
      check();
      await init();
      const files = await committedFiles();
      const problems: string[] = [];
      for (const name of files) {
        const path = join(dir, name);
        let handle: FileHandle;
        try {
          handle = await open(path, 'r');
        } catch (cause) {
          // Deleted by retention between listing and opening: a newer one exists and was tried.
          if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw ioError(`cannot open ${path}`, cause);
        }
        const meta = verified.get(name) ?? (await verify(handle, path).catch(async (error: unknown) => {
          await handle.close();
          throw error;
        }));
        if (typeof meta === 'string') {
          await handle.close();
          problems.push(`${path}: ${meta}`);
          options.onCorrupted?.(path, meta);
          continue;
        }
        verified.set(name, meta);
        const reader = fileSnapshotReader(handle, path, meta, chunkBytes, () => live.delete(resource));
        const resource = { release: () => reader.close() };
        live.add(resource);
        return reader;
      }
      if (problems.length > 0) {
        throw new StorageError('SNAPSHOT_CORRUPTED', `no valid snapshot in ${dir}: ${problems.join('; ')}`);
      }
      return undefined;
    },

    async close() {
      closed = true;
      await commitChain;
      await Promise.all([...live].map((resource) => resource.release()));
      live.clear();
    },
  };
}

/** Checks a committed file end to end; returns its meta or the reason it is not valid. */
async function verify(handle: FileHandle, path: string): Promise<SnapshotMeta | string> {
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < TRAILER_BYTES) return `file of ${fileSize} bytes is too short`;
    const trailer = new Uint8Array(TRAILER_BYTES);
    await readFully(handle, trailer, fileSize - TRAILER_BYTES);
    const decoded = decodeTrailer(trailer, fileSize);
    if (typeof decoded === 'string') return decoded;
    if (decoded.footerLength > MAX_FOOTER_BYTES) return 'footer too large';
    const footer = new Uint8Array(decoded.footerLength);
    const dataSize = fileSize - TRAILER_BYTES - decoded.footerLength;
    await readFully(handle, footer, dataSize);
    if (crc32c(footer) !== decoded.footerCrc) return `footer checksum mismatch at offset ${dataSize}`;
    const meta = decodeFooter(footer, dataSize);
    if (typeof meta === 'string') return meta;
    let crc = 0;
    const block = new Uint8Array(Math.min(VERIFY_BLOCK_BYTES, Math.max(dataSize, 1)));
    for (let at = 0; at < dataSize; at += block.byteLength) {
      const length = Math.min(block.byteLength, dataSize - at);
      await readFully(handle, block.subarray(0, length), at);
      crc = crc32c(block, crc, 0, length);
    }
    if (formatCrc32c(crc) !== meta.checksum) return `data checksum ${formatCrc32c(crc)} does not match ${meta.checksum}`;
    return meta;
  } catch (cause) {
    throw ioError(`cannot read ${path}`, cause);
  }
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at offset ${position + done}`);
    done += bytesRead;
  }
}

function fileSnapshotReader(handle: FileHandle, path: string, meta: SnapshotMeta, defaultChunk: number, onClose: () => void): SnapshotReader {
  let closed = false;
  const check = (): void => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `snapshot reader for ${path} is closed`);
  };
  const readRange = async (offset: number, length: number): Promise<Uint8Array> => {
    const clipped = Math.max(0, Math.min(length, meta.size - offset));
    const out = new Uint8Array(clipped);
    try {
      await readFully(handle, out, offset);
    } catch (cause) {
      throw ioError(`cannot read ${path}`, cause);
    }
    return out;
  };
  return {
    meta,
    async read(offset, length) {
      check();
      if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${offset}`);
      if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative integer, got ${length}`);
      return readRange(offset, length);
    },
    async *chunks(chunkSize = defaultChunk) {
      check();
      if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${chunkSize}`);
      // The file was verified when opened; checking again while streaming catches damage
      // that happened since, before the consumer acts on the last chunk.
      let crc = 0;
      for (let at = 0; at < meta.size; at += chunkSize) {
        check();
        const chunk = await readRange(at, chunkSize);
        crc = crc32c(chunk, crc);
        if (at + chunk.byteLength >= meta.size && formatCrc32c(crc) !== meta.checksum) {
          throw new StorageError('SNAPSHOT_CORRUPTED', `${path} changed on disk since it was verified: checksum ${formatCrc32c(crc)}, expected ${meta.checksum}`);
        }
        yield chunk;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      onClose();
      await handle.close();
    },
  };
}
