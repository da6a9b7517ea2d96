import { open, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClusterConfiguration, LogIndex, NodeId, type SnapshotStore, Term, crc32c } from '@raft/abstractions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSnapshotStore } from '../src/index.js';
import { removeDir, tempDir } from './helpers.js';

const configuration: ClusterConfiguration = { voters: [NodeId('n1'), NodeId('n2'), NodeId('n3')], learners: [] };

function data(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, k) => (seed * 7 + k * 13) & 0xff);
}

async function save(store: SnapshotStore, index: number, bytes: Uint8Array): Promise<void> {
  const writer = await store.begin({ lastIncludedIndex: LogIndex(index), lastIncludedTerm: Term(1), configuration });
  await writer.write(bytes);
  await writer.commit();
}

async function latestData(store: SnapshotStore): Promise<{ index: number; bytes: Uint8Array } | undefined> {
  const reader = await store.latest();
  if (reader === undefined) return undefined;
  const bytes = await reader.read(0, reader.meta.size);
  await reader.close();
  return { index: reader.meta.lastIncludedIndex, bytes };
}

async function snapFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.snap')).sort();
}

async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  const one = new Uint8Array(1);
  await handle.read(one, 0, 1, offset);
  one[0] = (one[0] as number) ^ 0x40;
  await handle.write(one, 0, 1, offset);
  await handle.close();
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

describe('fileSnapshotStore: retention', () => {
  it('keeps the newest `retain` snapshots and deletes older ones', async () => {
    const store = fileSnapshotStore({ dir, retain: 3 });
    for (let k = 1; k <= 6; k++) await save(store, k * 10, data(100, k));
    expect(await snapFiles(dir)).toHaveLength(3);
    expect((await latestData(store))?.index).toBe(60);
    await store.close();
  });

  it('continues the commit sequence after a reopen, so the newest stays newest', async () => {
    let store = fileSnapshotStore({ dir });
    await save(store, 10, data(10, 1));
    await store.close();
    store = fileSnapshotStore({ dir });
    await save(store, 5, data(10, 2));
    expect((await latestData(store))?.index).toBe(5);
    await store.close();
  });
});

describe('fileSnapshotStore: verification on load', () => {
  it('falls back to the previous valid snapshot when the newest fails its checksum', async () => {
    const reported: string[] = [];
    const store = fileSnapshotStore({ dir, retain: 2, onCorrupted: (file) => reported.push(file) });
    await save(store, 10, data(5000, 1));
    await store.close();
    const writer = fileSnapshotStore({ dir, retain: 2 });
    await save(writer, 20, data(5000, 2));
    await writer.close();
    const [, newest] = await snapFiles(dir);
    await flipByte(join(dir, newest!), 1234);

    const reader = fileSnapshotStore({ dir, retain: 2, onCorrupted: (file) => reported.push(file) });
    expect(await latestData(reader)).toEqual({ index: 10, bytes: data(5000, 1) });
    expect(reported).toEqual([join(dir, newest!)]);
    await reader.close();
  });

  it('falls back when the footer is damaged', async () => {
    const store = fileSnapshotStore({ dir });
    await save(store, 10, data(300, 1));
    await save(store, 20, data(300, 2));
    await store.close();
    const [, newest] = await snapFiles(dir);
    const size = (await readFile(join(dir, newest!))).byteLength;
    await flipByte(join(dir, newest!), size - 30);
    const again = fileSnapshotStore({ dir });
    expect((await latestData(again))?.index).toBe(10);
    await again.close();
  });

  it('rejects with SNAPSHOT_CORRUPTED when snapshots exist but none is valid', async () => {
    const store = fileSnapshotStore({ dir, retain: 1 });
    await save(store, 10, data(300, 1));
    await store.close();
    const [only] = await snapFiles(dir);
    await flipByte(join(dir, only!), 10);
    const again = fileSnapshotStore({ dir });
    await expect(again.latest()).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPTED', message: expect.stringContaining(only!) });
    await again.close();
  });

  it('never returns a half-written file: every truncation of the newest falls back to the previous (crash at any byte)', async () => {
    const store = fileSnapshotStore({ dir, retain: 2 });
    await save(store, 10, data(200, 1));
    await save(store, 20, data(200, 2));
    await store.close();
    const [, newest] = await snapFiles(dir);
    const path = join(dir, newest!);
    const whole = await readFile(path);
    for (let cut = 0; cut < whole.byteLength; cut++) {
      await writeFile(path, whole.subarray(0, cut));
      const reader = fileSnapshotStore({ dir });
      expect(await latestData(reader)).toEqual({ index: 10, bytes: data(200, 1) });
      await reader.close();
    }
    await writeFile(path, whole);
    const reader = fileSnapshotStore({ dir });
    expect(await latestData(reader)).toEqual({ index: 20, bytes: data(200, 2) });
    await reader.close();
  });

  it('detects with SNAPSHOT_CORRUPTED a file that changed after it was verified, while streaming', async () => {
    const store = fileSnapshotStore({ dir });
    await save(store, 10, data(10_000, 1));
    const reader = (await store.latest())!;
    const [only] = await snapFiles(dir);
    await flipByte(join(dir, only!), 9000);
    const consume = async (): Promise<void> => {
      for await (const _ of reader.chunks(4096)) {
        // drain
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPTED' });
    await reader.close();
    await store.close();
  });

  it('stores the CRC-32C of the data as the checksum', async () => {
    const store = fileSnapshotStore({ dir });
    const bytes = data(777, 3);
    const writer = await store.begin({ lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration });
    await writer.write(bytes.subarray(0, 100));
    await writer.write(bytes.subarray(100));
    const meta = await writer.commit();
    expect(meta.checksum).toBe(`crc32c:${crc32c(bytes).toString(16).padStart(8, '0')}`);
    await store.close();
  });
});

describe('fileSnapshotStore: uncommitted files', () => {
  it('removes temporary files left by a crash when it opens, and never returns them', async () => {
    const store = fileSnapshotStore({ dir });
    await save(store, 10, data(100, 1));
    const writer = await store.begin({ lastIncludedIndex: LogIndex(20), lastIncludedTerm: Term(2), configuration });
    await writer.write(data(100, 2));
    // crash: the writer is never committed or aborted
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(true);
    const again = fileSnapshotStore({ dir });
    expect((await latestData(again))?.index).toBe(10);
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(false);
    await again.close();
    await store.close();
  });

  it('ignores a stray file that is not a committed snapshot', async () => {
    await writeFile(join(dir, 'snapshot-0000000000000009.snap'), 'garbage that is long enough to have a trailer');
    await writeFile(join(dir, 'notes.txt'), 'x');
    const store = fileSnapshotStore({ dir });
    await expect(store.latest()).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPTED' });
    await save(store, 3, data(10, 1));
    expect((await latestData(store))?.index).toBe(3);
    await store.close();
  });

  it('rejects writes on a writer after commit or abort', async () => {
    const store = fileSnapshotStore({ dir });
    const writer = await store.begin({ lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration });
    await writer.abort();
    await expect(writer.write(data(1, 1))).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await expect(writer.commit()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await store.close();
  });
});

describe('fileSnapshotStore: options', () => {
  it('rejects invalid options with INVALID_CONFIGURATION naming the option', () => {
    expect(() => fileSnapshotStore({ dir, retain: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option: 'retain' }));
    expect(() => fileSnapshotStore({ dir: '' })).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option: 'dir' }));
    expect(() => fileSnapshotStore({ dir, chunkBytes: 0 })).toThrowError(expect.objectContaining({ option: 'chunkBytes' }));
  });

  it('uses chunkBytes as the default chunk size', async () => {
    const store = fileSnapshotStore({ dir, chunkBytes: 100 });
    await save(store, 1, data(1000, 1));
    const reader = (await store.latest())!;
    let count = 0;
    for await (const chunk of reader.chunks()) {
      expect(chunk.byteLength).toBe(100);
      count++;
    }
    expect(count).toBe(10);
    await reader.close();
    await store.close();
  });

  it('a truncated data region is rejected even when the footer is intact', async () => {
    const store = fileSnapshotStore({ dir, retain: 1 });
    await save(store, 1, data(1000, 1));
    await store.close();
    const [only] = await snapFiles(dir);
    const path = join(dir, only!);
    const whole = await readFile(path);
    // Remove 10 data bytes but keep footer and trailer: the sizes no longer agree.
    await writeFile(path, Buffer.concat([whole.subarray(0, 500), whole.subarray(510)]));
    const again = fileSnapshotStore({ dir });
    await expect(again.latest()).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPTED' });
    await again.close();
    await truncate(path, 0);
  });
});
