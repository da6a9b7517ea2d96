import { LogIndex, NodeId, Term, crc32c, formatCrc32c } from '@raft/abstractions';
import { sampleEntries } from '@raft/harness/compliance';
import { describe, expect, it } from 'vitest';
import { memoryLogStore, memoryStorage } from '../src/index.js';

describe('memoryStorage()', () => {
  it('gives back after reopen what was written before close, in all three stores', async () => {
    const provider = memoryStorage();
    const first = await provider.open();
    await first.log.append(sampleEntries(1, 3, 1));
    await first.meta.save({ currentTerm: Term(2), votedFor: NodeId('n1') });
    const writer = await first.snapshots.begin({ lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration: { voters: [NodeId('n1')], learners: [] } });
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.commit();
    await first.close();

    const second = await provider.open();
    expect(await second.log.read(LogIndex(1), LogIndex(3))).toEqual(sampleEntries(1, 3, 1));
    expect(await second.meta.load()).toEqual({ currentTerm: 2, votedFor: 'n1' });
    expect((await second.snapshots.latest())?.meta.size).toBe(3);
    await second.close();
  });

  it('refuses a second open while the first is not closed, like a locked directory', async () => {
    const provider = memoryStorage();
    const storage = await provider.open();
    expect(provider.isOpen).toBe(true);
    await expect(provider.open()).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
    await storage.close();
    expect(provider.isOpen).toBe(false);
    await (await provider.open()).close();
  });

  it('keeps separate providers separate', async () => {
    const a = await memoryStorage().open();
    const b = await memoryStorage().open();
    await a.log.append(sampleEntries(1, 2, 1));
    expect(b.log.lastIndex()).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('throws STORAGE_CLOSED from the synchronous accessors after close', async () => {
    const log = memoryLogStore();
    await log.close();
    expect(() => log.lastIndex()).toThrowError(expect.objectContaining({ code: 'STORAGE_CLOSED' }));
    expect(() => log.termAt(LogIndex(0))).toThrowError(expect.objectContaining({ code: 'STORAGE_CLOSED' }));
  });

  it('reclaims compacted entries without changing what it returns', async () => {
    const log = memoryLogStore();
    for (let k = 0; k < 50; k++) await log.append(sampleEntries(k * 100 + 1, k * 100 + 100, 1));
    for (let k = 1; k <= 49; k++) await log.compactUpTo(LogIndex(k * 100), Term(1));
    expect(log.firstIndex()).toBe(4901);
    expect(await log.read(LogIndex(4900), LogIndex(4905))).toEqual(sampleEntries(4901, 4905, 1));
  });
});

describe('memorySnapshotStore checksum', () => {
  it('is the CRC-32C of the data written, in the format of @raft/snapshots-file', async () => {
    const storage = await memoryStorage().open();
    const writer = await storage.snapshots.begin({ lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration: { voters: [NodeId('n1')], learners: [] } });
    const bytes = new TextEncoder().encode('123456789');
    await writer.write(bytes.subarray(0, 4));
    await writer.write(bytes.subarray(4));
    const meta = await writer.commit();
    // The standard CRC-32C check value, streamed in two chunks.
    expect(meta.checksum).toBe('crc32c:e3069283');
    expect(meta.checksum).toBe(formatCrc32c(crc32c(bytes)));
    await storage.close();
  });
});

describe('memory snapshot reads (kept as the written chunks, never joined)', () => {
  it('reads any range across chunk boundaries, and streams the whole snapshot back', async () => {
    const storage = await memoryStorage().open();
    const writer = await storage.snapshots.begin({ lastIncludedIndex: LogIndex(5), lastIncludedTerm: Term(1), configuration: { voters: [NodeId('n1')], learners: [] } });
    const whole = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    for (const [from, to] of [[0, 3], [3, 8], [8, 10]] as const) await writer.write(whole.slice(from, to));
    await writer.commit();
    const reader = await storage.snapshots.latest();
    if (reader === undefined) throw new Error('no snapshot');
    for (let offset = 0; offset <= 10; offset++) {
      for (let length = 0; length <= 11 - offset; length++) {
        expect([...(await reader.read(offset, length))]).toEqual([...whole.subarray(offset, Math.min(10, offset + length))]);
      }
    }
    const streamed: number[] = [];
    for await (const chunk of reader.chunks(4)) streamed.push(...chunk);
    expect(streamed).toEqual([...whole]);
    await reader.close();
    await storage.close();
  });
});
