/**
 * Property tests (fast-check): random sequences of appends, truncations, compactions, reopens
 * and crashes that tear the last segment at a random byte, compared with a reference model.
 * On failure fast-check prints the seed and the shrunk sequence; replay with `{ seed, path }`.
 */
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { RaftStorage } from '@raft/abstractions';
import { LogModel } from '@raft/harness/compliance';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ScannedOp, type SegmentScan, scanSegment } from '../src/internal/scan.js';
import { SEGMENT_HEADER_BYTES } from '../src/internal/segment-format.js';
import { openWal, removeDir, tempDir } from './helpers.js';
import { type LogState, type Step, apply, expectState, segmentNames, stateOf } from './recorded-log.js';

/**
 * Fixed seed, so the normal test command is deterministic (a failure replays exactly);
 * explore other schedules with `FC_SEED=<n> pnpm test`.
 */
const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261201);

type Command =
  | { readonly kind: 'append'; readonly count: number; readonly newTerm: boolean; readonly payload: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'compact'; readonly at: number; readonly sameTerm: boolean }
  | { readonly kind: 'reopen' }
  | { readonly kind: 'crash'; readonly at: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), newTerm: fc.boolean(), payload: fc.integer({ min: 0, max: 150 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.double({ min: 0, max: 1.3, noNaN: true }), sameTerm: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

const SEGMENT_BYTES = 1536;

describe('WAL against a reference model (fast-check)', () => {
  it('matches the model after every step of random appends, truncations, compactions, reopens and torn-tail crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), async (commands) => {
        const dir = await tempDir();
        let storage: RaftStorage = await openWal(dir, { segmentBytes: SEGMENT_BYTES });
        try {
          let model = new LogModel();
          let term = 1;
          // States after each batch still on disk, oldest first (the first is the state before them).
          let history: LogState[] = [stateOf(model)];
          for (const c of commands) {
            if (c.kind === 'reopen' || c.kind === 'crash') {
              await storage.close();
              if (c.kind === 'crash') history = await tearLastSegment(dir, c.at, history);
              model = modelOf(history.at(-1) as LogState);
              storage = await openWal(dir, { segmentBytes: SEGMENT_BYTES });
            } else {
              let step: Step;
              const span = model.lastIndex - model.compactIndex;
              if (c.kind === 'append') {
                if (c.newTerm) term++;
                step = { op: 'append', count: c.count, term, payload: c.payload };
              } else if (c.kind === 'truncate') {
                step = { op: 'truncate', after: model.compactIndex + Math.floor(c.at * span) };
              } else {
                const upTo = model.compactIndex + Math.floor(c.at * span);
                const known = model.termAt(upTo);
                step = { op: 'compact', upTo, term: c.sameTerm && known !== undefined ? known : term };
              }
              if (await apply(storage.log, model, step)) history.push(stateOf(model));
            }
            await expectState(storage.log, stateOf(model));
          }
        } finally {
          await storage.close();
          await removeDir(dir);
        }
      }),
      { numRuns: 30, seed: PROPERTY_SEED },
    );
  });
});

function modelOf(state: LogState): LogModel {
  const model = new LogModel();
  model.compactIndex = state.compactIndex;
  model.compactTerm = state.compactTerm;
  model.entries = [...state.entries];
  return model;
}

/**
 * Cuts the last segment at a byte chosen by `at` (never inside its header, which is synced
 * before the segment exists), as a crash during the last write would; returns the history of
 * states that survives: the batches wholly before the cut.
 *
 * The cut may fall before batches that were already durable (the model rolls back to the state
 * before them), with one exception: a compaction that let segments be deleted. Deleting a file
 * cannot be torn back, and recovery rightly refuses a directory whose missing segments no durable
 * compaction covers (`STORAGE_CORRUPTED`). A real crash only tears the unsynced last write, so
 * the cut never goes below the batch holding the first compaction that covers the deleted segments.
 */
async function tearLastSegment(dir: string, at: number, history: LogState[]): Promise<LogState[]> {
  const names = await segmentNames(dir);
  const scans: SegmentScan[] = [];
  for (const name of names) {
    const scan = scanSegment(await readFile(join(dir, name)), name, name === names.at(-1));
    if (scan === 'incomplete-header') throw new Error('unexpected incomplete header');
    scans.push(scan);
  }
  const name = names.at(-1) as string;
  const path = join(dir, name);
  const scan = scans.at(-1) as SegmentScan;
  const size = (await readFile(path)).byteLength;
  const floor = tearFloor(scans);
  const cut = floor + Math.floor(at * (size - floor));
  await truncate(path, cut);
  const lost = scan.batchEnds.filter((end) => end > cut).length;
  expect(lost).toBeLessThan(history.length);
  return history.slice(0, history.length - lost);
}

/** The lowest offset of the last segment a tear may cut at (see {@link tearLastSegment}). */
function tearFloor(scans: readonly SegmentScan[]): number {
  const first = scans[0] as SegmentScan;
  const last = scans.at(-1) as SegmentScan;
  if (first.header.sequence === 1) return SEGMENT_HEADER_BYTES; // no segment was deleted
  const deletedUpTo = first.header.prevIndex;
  const covers = (op: ScannedOp): boolean => op.type === 'compact' && op.index >= deletedUpTo;
  if (scans.slice(0, -1).some((s) => s.ops.some(covers))) return SEGMENT_HEADER_BYTES;
  const compaction = last.ops.find(covers);
  if (compaction === undefined) return SEGMENT_HEADER_BYTES; // nothing to keep (recovery will say so)
  return last.batchEnds.find((end) => end > compaction.offset) as number;
}
