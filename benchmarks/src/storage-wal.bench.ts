/**
 * @raft/storage-wal: append throughput and latency with fdatasync, next to the raw disk measured
 * in the same run (4 KiB write + fdatasync loop; sequential 1 MiB writes), and recovery time.
 *
 * Rows: entry size (100 B, 4 KiB) x entries per append (1, 16, 256), one append awaited at a
 * time; and group commit: many single-entry appends in flight at once. Environment variables:
 * WAL_BENCH_SECONDS (per row, default 2), WAL_BENCH_RECOVERY_MIB (default 1024), WAL_BENCH_DIR
 * (default the OS temp directory: measure on the disk you will use).
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogEntry, LogIndex, Term } from '@raft/abstractions';
import { walStorage } from '@raft/storage-wal';
import { type Row, percentile, writeReport } from './report.js';

const SECONDS = Number(process.env.WAL_BENCH_SECONDS ?? 2);
const RECOVERY_MIB = Number(process.env.WAL_BENCH_RECOVERY_MIB ?? 1024);
const BASE = process.env.WAL_BENCH_DIR ?? tmpdir();
const MiB = 1024 * 1024;

function entry(index: number, size: number): LogEntry {
  const payload = new Uint8Array(size);
  payload[0] = index & 0xff;
  return { index: LogIndex(index), term: Term(1), kind: 'command', payload };
}

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(BASE, 'raft-wal-bench-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Raw disk: append 4 KiB and fdatasync, in a loop, on a growing file (what the WAL does). */
async function rawFdatasync(): Promise<{ perSecond: number; p50: number; p99: number }> {
  return withDir(async (dir) => {
    const handle = await open(join(dir, 'raw'), 'w');
    const block = new Uint8Array(4096).fill(7);
    const latencies: number[] = [];
    let position = 0;
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      const t = performance.now();
      await handle.write(block, 0, block.length, position);
      await handle.datasync();
      latencies.push(performance.now() - t);
      position += block.length;
    }
    const elapsed = (performance.now() - start) / 1000;
    await handle.close();
    return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  });
}

/** Raw disk: sequential 1 MiB writes, fdatasync every 8 MiB, 256 MiB in all. */
async function rawSequential(): Promise<number> {
  return withDir(async (dir) => {
    const handle = await open(join(dir, 'seq'), 'w');
    const block = new Uint8Array(MiB).fill(3);
    const total = 256;
    const start = performance.now();
    for (let k = 0; k < total; k++) {
      await handle.write(block, 0, block.length, k * MiB);
      if (k % 8 === 7) await handle.datasync();
    }
    await handle.datasync();
    const seconds = (performance.now() - start) / 1000;
    await handle.close();
    return total / seconds;
  });
}

/** Raw disk: 1 MiB write + fdatasync per write (what one 4 KiB x 256 append costs the disk). */
async function rawMiBSynced(): Promise<number> {
  return withDir(async (dir) => {
    const handle = await open(join(dir, 'mib'), 'w');
    const block = new Uint8Array(MiB).fill(5);
    const total = 256;
    const start = performance.now();
    for (let k = 0; k < total; k++) {
      await handle.write(block, 0, block.length, k * MiB);
      await handle.datasync();
    }
    const seconds = (performance.now() - start) / 1000;
    await handle.close();
    return total / seconds;
  });
}

/** One append of `batch` entries at a time, each awaited. */
async function sequentialAppends(entryBytes: number, batch: number): Promise<Row> {
  return withDir(async (dir) => {
    const storage = await walStorage({ dir }).open();
    const latencies: number[] = [];
    let next = 1;
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      const entries = Array.from({ length: batch }, (_, k) => entry(next + k, entryBytes));
      const t = performance.now();
      await storage.log.append(entries);
      latencies.push(performance.now() - t);
      next += batch;
    }
    const seconds = (performance.now() - start) / 1000;
    await storage.close();
    const entriesPerSecond = (next - 1) / seconds;
    return {
      mode: 'one append at a time',
      entry: entryBytes === 100 ? '100 B' : '4 KiB',
      'entries/append': batch,
      'appends/s': latencies.length / seconds,
      'entries/s': entriesPerSecond,
      'MiB/s': (entriesPerSecond * entryBytes) / MiB,
      'p50 ms': percentile(latencies, 50),
      'p99 ms': percentile(latencies, 99),
    };
  });
}

/** `inFlight` single-entry appends always outstanding: group commit batches them. */
async function concurrentAppends(entryBytes: number, inFlight: number): Promise<Row> {
  return withDir(async (dir) => {
    const storage = await walStorage({ dir }).open();
    const latencies: number[] = [];
    let next = 1;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      while (performance.now() - start < SECONDS * 1000) {
        const t = performance.now();
        await storage.log.append([entry(next++, entryBytes)]);
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - start) / 1000;
    await storage.close();
    const entriesPerSecond = latencies.length / seconds;
    return {
      mode: `group commit, ${inFlight} in flight`,
      entry: entryBytes === 100 ? '100 B' : '4 KiB',
      'entries/append': 1,
      'appends/s': entriesPerSecond,
      'entries/s': entriesPerSecond,
      'MiB/s': (entriesPerSecond * entryBytes) / MiB,
      'p50 ms': percentile(latencies, 50),
      'p99 ms': percentile(latencies, 99),
    };
  });
}

/** Writes `mib` MiB of `entryBytes` entries, then times a reopen (scan and verify every record). */
async function recovery(mib: number, entryBytes: number): Promise<Row> {
  return withDir(async (dir) => {
    const storage = await walStorage({ dir }).open();
    const perBatch = Math.max(1, Math.floor(MiB / entryBytes));
    let next = 1;
    let written = 0;
    while (written < mib * MiB) {
      await storage.log.append(Array.from({ length: perBatch }, (_, k) => entry(next + k, entryBytes)));
      next += perBatch;
      written += perBatch * entryBytes;
    }
    await storage.close();
    const start = performance.now();
    const reopened = await walStorage({ dir }).open();
    const seconds = (performance.now() - start) / 1000;
    const last = reopened.log.lastIndex();
    await reopened.close();
    if (last !== next - 1) throw new Error(`recovered ${last} entries, wrote ${next - 1}`);
    return { log: `${mib} MiB of ${entryBytes === 100 ? '100 B' : '4 KiB'} entries`, entries: last, 'recovery s': seconds, 'MiB/s': mib / seconds };
  });
}

const raw = await rawFdatasync();
const sequentialMiBs = await rawSequential();
const mibSynced = await rawMiBSynced();
const rows: Row[] = [];
for (const entryBytes of [100, 4096]) {
  for (const batch of [1, 16, 256]) rows.push(await sequentialAppends(entryBytes, batch));
  for (const inFlight of [16, 256]) rows.push(await concurrentAppends(entryBytes, inFlight));
}
const recoveries = [await recovery(RECOVERY_MIB, 4096), await recovery(Math.max(1, Math.round(RECOVERY_MIB / 4)), 100)];

const unbatched = rows.find((r) => r.entry === '100 B' && r['entries/append'] === 1 && String(r.mode).startsWith('one'))!;
const batched = rows.find((r) => r.entry === '4 KiB' && r['entries/append'] === 256)!;
const unbatchedRatio = (unbatched['appends/s'] as number) / raw.perSecond;
const batchedRatio = (batched['MiB/s'] as number) / sequentialMiBs;
const recoverySeconds = recoveries[0]!['recovery s'] as number;

writeReport({
  name: 'storage-wal',
  description: `@raft/storage-wal appends with fdatasync (default 64 MiB segments) for ${SECONDS} s per row in ${BASE}, and recovery (reopen: scan + CRC of every record).`,
  rows: [...rows, ...recoveries],
  reference: {
    'raw 4 KiB write+fdatasync/s': raw.perSecond,
    'raw fdatasync p50 ms': raw.p50,
    'raw fdatasync p99 ms': raw.p99,
    'raw sequential write MiB/s (1 MiB writes, fdatasync every 8 MiB)': sequentialMiBs,
    'raw 1 MiB write+fdatasync MiB/s': mibSynced,
  },
  targets: [
    { what: 'unbatched appends (100 B, 1 per append) vs raw fdatasync rate', target: '>= 90 %', actual: `${(unbatchedRatio * 100).toFixed(0)} %`, met: unbatchedRatio >= 0.9 },
    { what: 'batched appends (4 KiB x 256) vs raw sequential bandwidth', target: '>= 80 %', actual: `${(batchedRatio * 100).toFixed(0)} %`, met: batchedRatio >= 0.8 },
    { what: `recovery of a ${RECOVERY_MIB} MiB log (4 KiB entries)`, target: RECOVERY_MIB === 1024 ? '< 5 s' : '< 5 s (for 1 GiB)', actual: `${recoverySeconds.toFixed(2)} s`, met: recoverySeconds < (5 * RECOVERY_MIB) / 1024 },
  ],
});
