import { type ClusterConfiguration, LogIndex, NodeId, type SnapshotMeta, type SnapshotReader, type SnapshotStore, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { type ComplianceSubject, withStore } from './subject.js';

const configuration: ClusterConfiguration = { voters: [NodeId('n1'), NodeId('n2'), NodeId('n3')], learners: [NodeId('n4')] };
const joint: ClusterConfiguration = { voters: [NodeId('n1'), NodeId('n5')], oldVoters: [NodeId('n1'), NodeId('n2'), NodeId('n3')], learners: [] };

function bytes(length: number, seed: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let k = 0; k < length; k++) data[k] = (seed * 131 + k * 17 + (k >>> 8)) & 0xff;
  return data;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

async function readAll(reader: SnapshotReader, chunkSize?: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of reader.chunks(chunkSize)) chunks.push(chunk);
  return concat(chunks);
}

/** Writes `data` as a snapshot at `index`/`term` in chunks of `chunk` bytes and commits it. */
async function save(store: SnapshotStore, index: number, term: number, data: Uint8Array, chunk = 1000, config = configuration): Promise<SnapshotMeta> {
  const writer = await store.begin({ lastIncludedIndex: LogIndex(index), lastIncludedTerm: Term(term), configuration: config });
  for (let at = 0; at < data.byteLength; at += chunk) await writer.write(data.subarray(at, at + chunk));
  return writer.commit();
}

/**
 * The compliance suite for {@link SnapshotStore} implementations: streamed writes become visible
 * only on `commit`, atomically and as the newest; `abort` keeps the previous one; commit fills in
 * size and a `"<algorithm>:<hex>"` checksum that depends only on the data; readers read ranges
 * and chunks, and keep reading a snapshot after a newer one replaced it; calls after close
 * reject with `STORAGE_CLOSED`; with `subject.reopen`, the newest committed snapshot survives a
 * reopen and one left uncommitted never appears.
 *
 * @example
 * ```ts
 * describeSnapshotStoreCompliance('memory', { create: async () => memorySnapshotStore() });
 * ```
 */
export function describeSnapshotStoreCompliance(name: string, subject: ComplianceSubject<SnapshotStore>): void {
  const run = (body: (store: SnapshotStore, reopen: (store: SnapshotStore) => Promise<SnapshotStore>) => Promise<void>) => () =>
    withStore(subject, body);

  describe(`SnapshotStore compliance: ${name}`, () => {
    it('has no snapshot when fresh', run(async (store) => {
      expect(await store.latest()).toBeUndefined();
    }));

    it('commits a streamed snapshot with its metadata, size and checksum', run(async (store) => {
      const data = bytes(10_000, 1);
      const meta = await save(store, 42, 7, data, 999);
      expect(meta).toMatchObject({ lastIncludedIndex: 42, lastIncludedTerm: 7, configuration, size: 10_000 });
      expect(meta.checksum).toMatch(/^[a-z0-9-]+:[0-9a-f]+$/);
      const reader = await store.latest();
      expect(reader?.meta).toEqual(meta);
      expect(await readAll(reader!)).toEqual(data);
      await reader!.close();
    }));

    it('keeps a joint configuration', run(async (store) => {
      await save(store, 5, 2, bytes(10, 2), 3, joint);
      const reader = await store.latest();
      expect(reader?.meta.configuration).toEqual(joint);
      await reader?.close();
    }));

    it('commits an empty snapshot', run(async (store) => {
      const meta = await save(store, 1, 1, new Uint8Array(0));
      expect(meta.size).toBe(0);
      const reader = await store.latest();
      expect(await readAll(reader!)).toEqual(new Uint8Array(0));
      expect(await reader!.read(0, 10)).toEqual(new Uint8Array(0));
      await reader!.close();
    }));

    it('gives a checksum that depends only on the data', run(async (store) => {
      const a = await save(store, 1, 1, bytes(5000, 3), 100);
      const b = await save(store, 2, 1, bytes(5000, 3), 4096);
      const c = await save(store, 3, 1, bytes(5000, 4), 100);
      expect(b.checksum).toBe(a.checksum);
      expect(c.checksum).not.toBe(a.checksum);
    }));

    it('shows nothing before commit', run(async (store) => {
      const writer = await store.begin({ lastIncludedIndex: LogIndex(3), lastIncludedTerm: Term(1), configuration });
      await writer.write(bytes(100, 5));
      expect(await store.latest()).toBeUndefined();
      await writer.commit();
      expect((await store.latest())?.meta.lastIncludedIndex).toBe(3);
    }));

    it('keeps the previous snapshot the newest when a write is aborted', run(async (store) => {
      const first = await save(store, 10, 2, bytes(300, 6));
      const writer = await store.begin({ lastIncludedIndex: LogIndex(20), lastIncludedTerm: Term(3), configuration });
      await writer.write(bytes(300, 7));
      await writer.abort();
      const reader = await store.latest();
      expect(reader?.meta).toEqual(first);
      expect(await readAll(reader!)).toEqual(bytes(300, 6));
      await reader!.close();
    }));

    it('makes the latest commit the newest', run(async (store) => {
      await save(store, 10, 2, bytes(300, 8));
      const second = await save(store, 20, 3, bytes(500, 9));
      const reader = await store.latest();
      expect(reader?.meta).toEqual(second);
      expect(await readAll(reader!)).toEqual(bytes(500, 9));
      await reader!.close();
    }));

    it('reads ranges, clipped at the end', run(async (store) => {
      const data = bytes(2048, 10);
      await save(store, 4, 1, data, 512);
      const reader = (await store.latest())!;
      expect(await reader.read(0, 10)).toEqual(data.slice(0, 10));
      expect(await reader.read(1000, 100)).toEqual(data.slice(1000, 1100));
      expect(await reader.read(2000, 100)).toEqual(data.slice(2000));
      expect(await reader.read(2048, 10)).toEqual(new Uint8Array(0));
      expect(await reader.read(5000, 10)).toEqual(new Uint8Array(0));
      await reader.close();
    }));

    it('streams chunks of at most the requested size', run(async (store) => {
      const data = bytes(10_001, 11);
      await save(store, 4, 1, data, 4096);
      const reader = (await store.latest())!;
      const chunks: Uint8Array[] = [];
      for await (const chunk of reader.chunks(1000)) chunks.push(chunk);
      expect(chunks.every((c) => c.byteLength <= 1000 && c.byteLength > 0)).toBe(true);
      expect(concat(chunks)).toEqual(data);
      await reader.close();
    }));

    it('lets a reader finish a snapshot after a newer one was committed', run(async (store) => {
      const old = bytes(50_000, 12);
      await save(store, 10, 1, old, 8192);
      const reader = (await store.latest())!;
      for (let k = 0; k < 3; k++) await save(store, 20 + k, 2, bytes(1000, 13 + k));
      expect(await readAll(reader, 4096)).toEqual(old);
      await reader.close();
      expect((await store.latest())?.meta.lastIncludedIndex).toBe(22);
    }));

    it('rejects calls after close with STORAGE_CLOSED', run(async (store) => {
      await store.close();
      await expect(store.latest()).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
      await expect(store.begin({ lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration })).rejects.toMatchObject({
        code: 'STORAGE_CLOSED',
      });
    }));

    if (subject.reopen !== undefined) {
      it('keeps the newest committed snapshot across reopen', run(async (store, reopen) => {
        store = await reopen(store);
        expect(await store.latest()).toBeUndefined();
        await save(store, 10, 1, bytes(700, 20));
        const newest = await save(store, 30, 2, bytes(900, 21), 128, joint);
        store = await reopen(store);
        const reader = await store.latest();
        expect(reader?.meta).toEqual(newest);
        expect(await readAll(reader!)).toEqual(bytes(900, 21));
        await reader!.close();
      }));

      it('never shows a snapshot left uncommitted before a reopen', run(async (store, reopen) => {
        const committed = await save(store, 10, 1, bytes(700, 22));
        const writer = await store.begin({ lastIncludedIndex: LogIndex(50), lastIncludedTerm: Term(3), configuration });
        await writer.write(bytes(700, 23));
        store = await reopen(store);
        const reader = await store.latest();
        expect(reader?.meta).toEqual(committed);
        await reader?.close();
        expect((await save(store, 60, 3, bytes(10, 24))).lastIncludedIndex).toBe(60);
      }));
    }
  });
}
