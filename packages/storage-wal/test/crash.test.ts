/**
 * Crash consistency ("cut power at every point"): a recorded workload is damaged the ways a
 * crash or a disk can damage it, and recovery must give back exactly a prefix of what was
 * acknowledged (torn tail) or refuse to start with STORAGE_CORRUPTED naming file and offset.
 */
import { open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { sampleEntries } from '@raft/harness/compliance';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEGMENT_HEADER_BYTES } from '../src/internal/segment-format.js';
import type { WalRecoveryReport } from '../src/wal-storage.js';
import { openWal, removeDir, tempDir } from './helpers.js';
import { type Checkpoint, type LogState, type Step, expectState, record, segmentNames } from './recorded-log.js';

/** A workload with every kind of write, rotating through several 2 KiB segments. */
const STEPS: readonly Step[] = [
  { op: 'append', count: 3, term: 1, payload: 40 },
  { op: 'append', count: 1, term: 1, payload: 100 },
  { op: 'append', count: 5, term: 2, payload: 10 },
  { op: 'truncate', after: 6 },
  { op: 'append', count: 4, term: 3, payload: 60 },
  { op: 'compact', upTo: 4, term: 1 },
  { op: 'append', count: 8, term: 3, payload: 30 },
  { op: 'append', count: 1, term: 4, payload: 0 },
  { op: 'truncate', after: 15 },
  { op: 'append', count: 6, term: 5, payload: 90 },
  { op: 'compact', upTo: 12, term: 3 },
  { op: 'append', count: 2, term: 5, payload: 200 },
  { op: 'append', count: 3, term: 5, payload: 20 },
  { op: 'compact', upTo: 30, term: 6 },
  { op: 'append', count: 4, term: 6, payload: 150 },
  { op: 'append', count: 1, term: 6, payload: 5 },
  { op: 'truncate', after: 32 },
  { op: 'append', count: 6, term: 7, payload: 170 },
  { op: 'append', count: 2, term: 7, payload: 15 },
  { op: 'compact', upTo: 33, term: 7 },
  { op: 'append', count: 5, term: 7, payload: 120 },
  { op: 'append', count: 1, term: 8, payload: 0 },
  { op: 'truncate', after: 44 },
  { op: 'append', count: 3, term: 8, payload: 60 },
  { op: 'append', count: 2, term: 8, payload: 25 },
];
const SEGMENT_BYTES = 2048;

let dir: string;
let checkpoints: Checkpoint[];
let segments: string[];
let lastName: string;
let lastBytes: Buffer;

beforeEach(async () => {
  dir = await tempDir();
  const storage = await openWal(dir, { segmentBytes: SEGMENT_BYTES });
  checkpoints = await record(storage, dir, STEPS);
  segments = await segmentNames(dir);
  lastName = segments.at(-1)!;
  lastBytes = await readFile(join(dir, lastName));
});
afterEach(async () => {
  await removeDir(dir);
});

/** The acknowledged state recovery must find when the last segment holds only its first `cut` bytes. */
function expectedAfterCut(cut: number): Checkpoint {
  // A cut inside the header: the segment never held data and is dropped; state at its start.
  return checkpoints.filter((c) => c.end <= cut).at(-1) ?? (checkpoints[0] as Checkpoint);
}

async function reopenExpecting(checkpoint: LogState): Promise<WalRecoveryReport> {
  let report: WalRecoveryReport | undefined;
  const storage = await openWal(dir, { segmentBytes: SEGMENT_BYTES, onRecovery: (r) => {
      report = r;
    },
  });
  try {
    await expectState(storage.log, checkpoint);
  } finally {
    await storage.close();
  }
  return report!;
}

async function expectCorrupted(file: string): Promise<string> {
  const error = await openWal(dir, { segmentBytes: SEGMENT_BYTES }).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error, 'recovery must refuse damaged acknowledged data').toBeDefined();
  expect(error!.code).toBe('STORAGE_CORRUPTED');
  expect(error!.message).toContain(file);
  expect(error!.message).toMatch(/offset \d+/);
  return error!.message;
}

describe('WAL crash consistency', () => {
  it('the workload spans several segments and deleted the compacted ones', () => {
    expect(segments.length).toBeGreaterThan(1);
    expect(segments[0]).not.toBe('00000000000000000001.wal');
    expect(checkpoints.length).toBeGreaterThan(3);
  });

  it('a torn tail at every byte offset of the last segment recovers exactly the batches before the cut, never garbage, never an error', async () => {
    const path = join(dir, lastName);
    for (let cut = 0; cut <= lastBytes.byteLength; cut++) {
      await writeFile(path, lastBytes.subarray(0, cut));
      const expected = expectedAfterCut(cut);
      const report = await reopenExpecting(expected).catch((e: unknown) => {
        throw new Error(`cut at ${cut} of ${lastName} (${lastBytes.byteLength} bytes): ${(e as Error).message}`);
      });
      if (cut >= SEGMENT_HEADER_BYTES && cut !== expected.end) expect(report.tornTail?.offset).toBe(expected.end);
    }
  });

  it('after a torn tail is cut off, new appends survive the next reopen with no checksum error', async () => {
    const path = join(dir, lastName);
    const cut = Math.floor((expectedAfterCut(lastBytes.byteLength - 1).end + lastBytes.byteLength) / 2);
    await writeFile(path, lastBytes.subarray(0, cut));
    const storage = await openWal(dir, { segmentBytes: SEGMENT_BYTES });
    const before = storage.log.lastIndex();
    const added = sampleEntries(before + 1, before + 5, 9, 33);
    await storage.log.append(added);
    await storage.close();
    const again = await openWal(dir, { segmentBytes: SEGMENT_BYTES });
    expect(again.log.lastIndex()).toBe(before + 5);
    expect(await again.log.read(added[0]!.index, added[4]!.index)).toEqual(added);
    await again.close();
  });

  it('a zeroed tail (pages preallocated or lost after the last fsync) is a torn tail', async () => {
    const path = join(dir, lastName);
    const lastBatchStart = expectedAfterCut(lastBytes.byteLength - 1).end;
    const zeroed = Buffer.from(lastBytes);
    zeroed.fill(0, lastBatchStart);
    await writeFile(path, Buffer.concat([zeroed, Buffer.alloc(4096)]));
    await reopenExpecting(expectedAfterCut(lastBatchStart));
  });

  it('a flipped byte anywhere before the last batch of the last segment is refused with STORAGE_CORRUPTED naming file and offset', async () => {
    const path = join(dir, lastName);
    const lastBatchStart = expectedAfterCut(lastBytes.byteLength - 1).end;
    for (let offset = 0; offset < lastBatchStart; offset++) {
      const damaged = Buffer.from(lastBytes);
      damaged[offset] = (damaged[offset] as number) ^ 0x01;
      await writeFile(path, damaged);
      const message = await expectCorrupted(lastName);
      const reported = Number(/offset (\d+)/.exec(message)?.[1]);
      expect(reported).toBeLessThanOrEqual(offset);
    }
  });

  it('a flipped byte in the last batch is indistinguishable from a torn write: that batch is dropped, nothing else', async () => {
    const path = join(dir, lastName);
    const lastBatchStart = expectedAfterCut(lastBytes.byteLength - 1).end;
    for (let offset = lastBatchStart; offset < lastBytes.byteLength; offset++) {
      const damaged = Buffer.from(lastBytes);
      damaged[offset] = (damaged[offset] as number) ^ 0x80;
      await writeFile(path, damaged);
      await reopenExpecting(expectedAfterCut(lastBatchStart));
    }
  });

  it('a flipped byte anywhere in an earlier (fully synced) segment is refused with STORAGE_CORRUPTED', async () => {
    const name = segments[0]!;
    const path = join(dir, name);
    const bytes = await readFile(path);
    for (let offset = 0; offset < bytes.byteLength; offset += 7) {
      const damaged = Buffer.from(bytes);
      damaged[offset] = (damaged[offset] as number) ^ 0x10;
      await writeFile(path, damaged);
      await expectCorrupted(name);
    }
  });

  it('a record length set to 2^31 is bounded by the file: torn at the tail, corrupted in the middle', async () => {
    const path = join(dir, lastName);
    const lastBatchStart = expectedAfterCut(lastBytes.byteLength - 1).end;
    const tail = Buffer.from(lastBytes);
    tail.writeUInt32LE(0x8000_0000, lastBatchStart);
    await writeFile(path, tail);
    await reopenExpecting(expectedAfterCut(lastBatchStart));
    const middle = Buffer.from(lastBytes);
    middle.writeUInt32LE(0x8000_0000, SEGMENT_HEADER_BYTES);
    await writeFile(path, middle);
    await expectCorrupted(lastName);
  });

  it('a missing segment (oldest or middle) that no compaction covers is refused with STORAGE_CORRUPTED', async () => {
    const own = await tempDir();
    try {
      const storage = await openWal(own, { segmentBytes: 1024 });
      for (let k = 0; k < 30; k++) await storage.log.append(sampleEntries(k * 2 + 1, k * 2 + 2, 1, 100));
      await storage.close();
      const names = await segmentNames(own);
      expect(names.length).toBeGreaterThan(4);
      for (const victim of [names[0]!, names[2]!]) {
        const saved = await readFile(join(own, victim));
        await rm(join(own, victim));
        const error = await openWal(own, { segmentBytes: 1024 }).then(
          async (s) => {
            await s.close();
            return undefined;
          },
          (e: unknown) => e as { code?: string },
        );
        expect(error?.code).toBe('STORAGE_CORRUPTED');
        await writeFile(join(own, victim), saved);
      }
      const intact = await openWal(own, { segmentBytes: 1024 });
      expect(intact.log.lastIndex()).toBe(60);
      await intact.close();
    } finally {
      await removeDir(own);
    }
  });

  it('a whole zeroed page in the middle of a long segment is refused with STORAGE_CORRUPTED', async () => {
    const big = await tempDir();
    try {
      const storage = await openWal(big, { segmentBytes: 1 << 20 });
        for (let k = 0; k < 40; k++) await storage.log.append(sampleEntries(k * 5 + 1, k * 5 + 5, 1, 100));
      await storage.close();
      const name = (await readdir(big)).find((n) => n.endsWith('.wal'))!;
      const handle = await open(join(big, name), 'r+');
      await handle.write(Buffer.alloc(4096), 0, 4096, 8192);
      await handle.close();
      const error = await openWal(big).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('STORAGE_CORRUPTED');
      expect(error?.message).toContain(name);
    } finally {
      await removeDir(big);
    }
  });
});
