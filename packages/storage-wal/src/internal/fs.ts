import { type FileHandle, open } from 'node:fs/promises';
import { StorageError } from '@raft/abstractions';

/**
 * The file operations the WAL needs, so tests can inject failures (a failing fdatasync, for
 * one). The default is `node:fs/promises`; everything runs in the libuv thread pool, never
 * blocking the event loop that runs ticks and heartbeats.
 */
export interface WalFileSystem {
  open(path: string, flags: string): Promise<FileHandle>;
}

export const nodeFileSystem: WalFileSystem = { open: (path, flags) => open(path, flags) };

/**
 * fsyncs a directory so that creations, renames and deletions in it are durable. Linux and
 * macOS support it; Windows cannot open a directory for syncing, so there it is skipped.
 */
export async function syncDirectory(fs: WalFileSystem, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Wraps a failed file-system call in a `STORAGE_IO_FAILED` error naming what failed. */
export function ioError(what: string, cause: unknown): StorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageError('STORAGE_IO_FAILED', `${what}: ${detail}`, { cause });
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/** Writes `buffers` one after another from `position` with one `writev` (no copy), finishing a short write. */
export async function writevFully(handle: FileHandle, buffers: readonly Uint8Array[], position: number): Promise<void> {
  // writev takes at most IOV_MAX (1024 on Linux) buffers per call.
  const IOV_MAX = 1024;
  let at = position;
  for (let k = 0; k < buffers.length; k += IOV_MAX) {
    const group = buffers.slice(k, k + IOV_MAX);
    const total = group.reduce((n, b) => n + b.byteLength, 0);
    const { bytesWritten } = await handle.writev(group, at);
    if (bytesWritten < total) {
      const rest = new Uint8Array(total - bytesWritten);
      let skip = bytesWritten;
      let filled = 0;
      for (const buffer of group) {
        if (skip >= buffer.byteLength) {
          skip -= buffer.byteLength;
          continue;
        }
        rest.set(buffer.subarray(skip), filled);
        filled += buffer.byteLength - skip;
        skip = 0;
      }
      await writeFully(handle, rest, at + bytesWritten);
    }
    at += total;
  }
}

/** Reads exactly `into.byteLength` bytes at `position`, or throws at end of file. */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at offset ${position + done}`);
    done += bytesRead;
  }
}

/** Reads a whole file. */
export async function readWhole(handle: FileHandle): Promise<Uint8Array> {
  const { size } = await handle.stat();
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const { bytesRead } = await handle.read(bytes, done, size - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === size ? bytes : bytes.subarray(0, done);
}
