import type { FileHandle } from 'node:fs/promises';
import { open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogIndex, NodeId, Term } from '@raft/abstractions';
import { sampleEntries, sampleEntry } from '@raft/harness/compliance';
import { fileSnapshotStore } from '@raft/snapshots-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WalFileSystem } from '../src/internal/fs.js';
import { walStorage } from '../src/index.js';
import { openWal, removeDir, tempDir } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

/** A file system whose `datasync` / `sync` calls can be held back or made to fail. */
function controllableFs() {
  const state = {
    datasyncs: 0,
    failNext: false,
    hold: undefined as Promise<void> | undefined,
  };
  const wrap = (handle: FileHandle): FileHandle =>
    new Proxy(handle, {
      get(target, property, receiver) {
        if (property === 'datasync' || property === 'sync') {
          return async () => {
            state.datasyncs++;
            if (state.hold) await state.hold;
            if (state.failNext) {
              state.failNext = false;
              throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
            }
            return property === 'datasync' ? target.datasync() : target.sync();
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const fs: WalFileSystem = { open: async (path, flags) => wrap(await open(path, flags)) };
  return { fs, state };
}

describe('walStorage: group commit', () => {
  it('writes appends that arrive while an fdatasync is in flight together, with one fdatasync', async () => {
    const { fs, state } = controllableFs();
    const storage = await openWal(dir, { segmentBytes: 1 << 20 }, { fs });
    let release!: () => void;
    state.hold = new Promise((resolve) => {
      release = resolve;
    });
    const before = state.datasyncs;
    const first = storage.log.append([sampleEntry(1, 1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The first batch's fdatasync is held: the next 100 appends queue behind it.
    const rest = Array.from({ length: 100 }, (_, k) => storage.log.append([sampleEntry(k + 2, 1)]));
    state.hold = undefined;
    release();
    await Promise.all([first, ...rest]);
    expect(state.datasyncs - before).toBe(2);
    expect(storage.log.lastIndex()).toBe(101);
    await storage.close();
  });

  it('resolves an append only after the fdatasync that covers it has completed', async () => {
    const { fs, state } = controllableFs();
    const storage = await openWal(dir, {}, { fs });
    let release!: () => void;
    state.hold = new Promise((resolve) => {
      release = resolve;
    });
    let resolved = false;
    const append = storage.log.append(sampleEntries(1, 3, 1)).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(resolved).toBe(false);
    state.hold = undefined;
    release();
    await append;
    expect(resolved).toBe(true);
    await storage.close();
  });
});

describe('walStorage: a failed fsync (the PostgreSQL lesson)', () => {
  it('rejects the append it covered and refuses every later write, even once fsync works again', async () => {
    const { fs, state } = controllableFs();
    const storage = await openWal(dir, {}, { fs });
    await storage.log.append(sampleEntries(1, 5, 1));
    await storage.meta.save({ currentTerm: Term(1), votedFor: NodeId('n1') });
    state.failNext = true;
    await expect(storage.log.append(sampleEntries(6, 6, 1))).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await expect(storage.log.append(sampleEntries(7, 7, 1))).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await expect(storage.log.truncateAfter(LogIndex(2))).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await expect(storage.log.compactUpTo(LogIndex(2), Term(1))).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await expect(storage.meta.save({ currentTerm: Term(2), votedFor: undefined })).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await storage.close();

    // Reopening re-reads the disk: everything acknowledged is there.
    const again = await openWal(dir);
    expect(again.log.lastIndex()).toBeGreaterThanOrEqual(5);
    expect(await again.log.read(LogIndex(1), LogIndex(5))).toEqual(sampleEntries(1, 5, 1));
    expect(await again.meta.load()).toEqual({ currentTerm: 1, votedFor: 'n1' });
    await again.close();
  });

  it('rejects every append queued behind the failed batch', async () => {
    const { fs, state } = controllableFs();
    const storage = await openWal(dir, {}, { fs });
    state.failNext = true;
    const results = await Promise.allSettled([1, 2, 3].map((k) => storage.log.append([sampleEntry(k, 1)])));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await storage.close();
  });

  it('a failed meta fsync also poisons the log', async () => {
    const { fs, state } = controllableFs();
    const storage = await openWal(dir, {}, { fs });
    state.failNext = true;
    await expect(storage.meta.save({ currentTerm: Term(3), votedFor: undefined })).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await expect(storage.log.append([sampleEntry(1, 1)])).rejects.toMatchObject({ code: 'STORAGE_IO_FAILED' });
    await storage.close();
    const again = await openWal(dir);
    expect((await again.meta.load()).currentTerm).toBe(0);
    await again.close();
  });
});

describe('walStorage: the lock file', () => {
  it('refuses a second open of the same directory with STORAGE_LOCKED until the first closes', async () => {
    const first = await openWal(dir);
    await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_LOCKED', message: expect.stringContaining(String(process.pid)) });
    await first.close();
    const second = await openWal(dir);
    await second.close();
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    await (await openWal(dir)).close();
    // PID 2^22 + 1 is above Linux's default pid_max: no such process.
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 4_194_305, host: (await import('node:os')).hostname(), token: 'dead' }));
    const storage = await openWal(dir);
    await storage.close();
  });

  it('refuses a lock held by a live process or by another host', async () => {
    const { hostname } = await import('node:os');
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, host: hostname(), token: 'alive' }));
    await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 4_194_305, host: 'elsewhere.example', token: 'remote' }));
    await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
  });
});

describe('walStorage: meta file', () => {
  it('is replaced atomically: a leftover meta.tmp from a crash is ignored', async () => {
    const storage = await openWal(dir);
    await storage.meta.save({ currentTerm: Term(4), votedFor: NodeId('n2') });
    await storage.close();
    await writeFile(join(dir, 'meta.tmp'), 'half written');
    const again = await openWal(dir);
    expect(await again.meta.load()).toEqual({ currentTerm: 4, votedFor: 'n2' });
    expect(await readdir(dir)).not.toContain('meta.tmp');
    await again.close();
  });

  it('a corrupted meta file refuses to start with STORAGE_CORRUPTED rather than starting at term 0', async () => {
    const storage = await openWal(dir);
    await storage.meta.save({ currentTerm: Term(4), votedFor: NodeId('n2') });
    await storage.close();
    const bytes = await readFile(join(dir, 'meta'));
    bytes[bytes.byteLength - 5] = (bytes[bytes.byteLength - 5] as number) ^ 1;
    await writeFile(join(dir, 'meta'), bytes);
    await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_CORRUPTED', message: expect.stringContaining('meta') });
  });

  it('a meta file without any WAL segment is refused (the log was lost: amnesia)', async () => {
    const storage = await openWal(dir);
    await storage.log.append(sampleEntries(1, 3, 1));
    await storage.meta.save({ currentTerm: Term(2), votedFor: NodeId('n1') });
    await storage.close();
    for (const name of await readdir(dir)) if (name.endsWith('.wal')) await rm(join(dir, name));
    await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_CORRUPTED' });
  });

  it('a segment from another storage directory is refused', async () => {
    const other = await tempDir();
    try {
      const a = await openWal(dir);
      await a.log.append(sampleEntries(1, 2, 1));
      await a.meta.save({ currentTerm: Term(1), votedFor: undefined });
      await a.close();
      const b = await openWal(other);
      await b.log.append(sampleEntries(1, 2, 1));
      await b.close();
      const name = (await readdir(other)).find((n) => n.endsWith('.wal'))!;
      await writeFile(join(dir, name), await readFile(join(other, name)));
      await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_CORRUPTED', message: expect.stringContaining('another directory') });
    } finally {
      await removeDir(other);
    }
  });
});

describe('walStorage: segments', () => {
  it('rotates at segmentBytes and deletes whole segments once compacted', async () => {
    const storage = await openWal(dir, { segmentBytes: 2048 });
    for (let k = 0; k < 50; k++) await storage.log.append(sampleEntries(k * 4 + 1, k * 4 + 4, 1, 64));
    const many = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    expect(many).toBeGreaterThan(5);
    await storage.log.compactUpTo(LogIndex(180), Term(1));
    const few = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    expect(few).toBeLessThan(many / 2);
    expect(await storage.log.read(LogIndex(1), LogIndex(200))).toEqual(sampleEntries(181, 200, 1, 64));
    await storage.close();
    const again = await openWal(dir, { segmentBytes: 2048 });
    expect(again.log.firstIndex()).toBe(181);
    expect(await again.log.read(LogIndex(1), LogIndex(200))).toEqual(sampleEntries(181, 200, 1, 64));
    await again.close();
  });

  it('validates its options with INVALID_CONFIGURATION naming the option', () => {
    expect(() => walStorage({ dir: '' })).toThrowError(expect.objectContaining({ option: 'dir' }));
    expect(() => walStorage({ dir, segmentBytes: 10 })).toThrowError(expect.objectContaining({ option: 'segmentBytes' }));
    expect(() => walStorage({ dir, maxBatchBytes: 0 })).toThrowError(expect.objectContaining({ option: 'maxBatchBytes' }));
  });

  it('detects a record damaged after open when it is read, with STORAGE_CORRUPTED', async () => {
    const storage = await openWal(dir);
    await storage.log.append(sampleEntries(1, 20, 1, 50));
    const name = (await readdir(dir)).find((n) => n.endsWith('.wal'))!;
    const handle = await open(join(dir, name), 'r+');
    await handle.write(new Uint8Array([0xff]), 0, 1, 200);
    await handle.close();
    await expect(storage.log.read(LogIndex(1), LogIndex(20))).rejects.toMatchObject({ code: 'STORAGE_CORRUPTED', message: expect.stringContaining(name) });
    await storage.close();
  });

  it('uses a snapshot store passed in', async () => {
    const { memorySnapshotStoreForTest } = await import('./memory-snapshots.js');
    const store = memorySnapshotStoreForTest();
    const storage = await walStorage({ dir, snapshots: () => store }).open();
    expect(storage.snapshots).toBe(store);
    await storage.close();
    expect(await readdir(dir)).not.toContain('snapshots');
  });
});

describe('the default snapshot store', () => {
  it('is fileSnapshotStore of @raft/snapshots-file in <dir>/snapshots: what one writes, the other reads', async () => {
    const configuration = { voters: [NodeId('n1')], learners: [] };
    const bytes = new Uint8Array(5000).map((_, k) => (k * 7) & 0xff);
    const storage = await openWal(dir);
    const writer = await storage.snapshots.begin({ lastIncludedIndex: LogIndex(7), lastIncludedTerm: Term(2), configuration });
    await writer.write(bytes);
    const meta = await writer.commit();
    await storage.close();

    const direct = fileSnapshotStore({ dir: join(dir, 'snapshots') });
    const found = await direct.latest();
    expect(found?.meta).toEqual(meta);
    const chunks: Uint8Array[] = [];
    for await (const chunk of found!.chunks()) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(bytes));
    await found!.close();
    const second = await direct.begin({ lastIncludedIndex: LogIndex(9), lastIncludedTerm: Term(2), configuration });
    await second.write(bytes.subarray(0, 10));
    const newer = await second.commit();
    await direct.close();

    const reopened = await openWal(dir);
    const latest = await reopened.snapshots.latest();
    expect(latest?.meta).toEqual(newer);
    await latest?.close();
    await reopened.close();
  });
});
