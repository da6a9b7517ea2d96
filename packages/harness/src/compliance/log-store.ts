import { LogIndex, type LogStore, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { sampleEntries, sampleEntry } from './entries.js';
import { LogModel } from './log-model.js';
import { type ComplianceSubject, seededRandom, withStore } from './subject.js';

const i = LogIndex;
const t = Term;

/** Checks every observable of `log` against `model`. */
async function expectSameAs(log: LogStore, model: LogModel): Promise<void> {
  expect(log.firstIndex()).toBe(model.firstIndex);
  expect(log.lastIndex()).toBe(model.lastIndex);
  expect(log.termAt(i(model.compactIndex))).toBe(model.compactTerm);
  if (model.compactIndex > 0) expect(log.termAt(i(model.compactIndex - 1))).toBeUndefined();
  expect(log.termAt(i(model.lastIndex + 1))).toBeUndefined();
  for (let k = model.firstIndex; k <= model.lastIndex; k++) expect(log.termAt(i(k))).toBe(model.termAt(k));
  expect(await log.read(i(0), i(model.lastIndex + 10))).toEqual(model.entries);
}

/**
 * The compliance suite for {@link LogStore} implementations: the contract of
 * `@raft/abstractions` (contiguous appends, durable suffix truncation, prefix compaction,
 * clipped reads, terms at the boundaries, `STORAGE_CLOSED` after close), with the durability
 * tests run when `subject.reopen` is given.
 *
 * Two points the contract leaves open are fixed here, as every store in this repository
 * implements them: an append is visible to `lastIndex`, `termAt` and `read` as soon as it is
 * called (so a second append may be issued before the first resolves), and `compactUpTo(index,
 * term)` where the held entry at `index` has another term discards the whole log (§7).
 *
 * @example
 * ```ts
 * describeLogStoreCompliance('memory', { create: async () => memoryLogStore() });
 * ```
 */
export function describeLogStoreCompliance(name: string, subject: ComplianceSubject<LogStore>): void {
  const run = (body: (log: LogStore, reopen: (log: LogStore) => Promise<LogStore>) => Promise<void>) => () => withStore(subject, body);

  describe(`LogStore compliance: ${name}`, () => {
    describe('a fresh store', () => {
      it('is empty with the sentinel entry 0 of term 0', run(async (log) => {
        expect(log.firstIndex()).toBe(1);
        expect(log.lastIndex()).toBe(0);
        expect(log.termAt(i(0))).toBe(0);
        expect(log.termAt(i(1))).toBeUndefined();
        expect(await log.read(i(1), i(100))).toEqual([]);
        expect(log.totalBytes()).toBeGreaterThanOrEqual(0);
      }));
    });

    describe('append', () => {
      it('gives back every kind of entry exactly as appended', run(async (log) => {
        const entries = sampleEntries(1, 21, 3);
        await log.append(entries);
        expect(log.firstIndex()).toBe(1);
        expect(log.lastIndex()).toBe(21);
        expect(await log.read(i(1), i(21))).toEqual(entries);
        for (const entry of entries) expect(log.termAt(entry.index)).toBe(3);
      }));

      it('keeps appending across calls and terms', run(async (log) => {
        const model = new LogModel();
        for (let k = 0; k < 10; k++) {
          const batch = sampleEntries(model.lastIndex + 1, model.lastIndex + 1 + (k % 3), 1 + Math.floor(k / 3));
          await log.append(batch);
          model.append(batch);
        }
        await expectSameAs(log, model);
      }));

      it('treats an empty batch as a no-op', run(async (log) => {
        await log.append([]);
        await log.append(sampleEntries(1, 2, 1));
        await log.append([]);
        expect(log.lastIndex()).toBe(2);
      }));

      it('rejects a batch that does not start right after lastIndex, and keeps the log unchanged', run(async (log) => {
        await log.append(sampleEntries(1, 3, 1));
        for (const bad of [sampleEntries(5, 6, 1), sampleEntries(3, 4, 1), sampleEntries(1, 1, 1), [sampleEntry(0, 1)]]) {
          await expect(log.append(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        }
        expect(log.lastIndex()).toBe(3);
        await log.append(sampleEntries(4, 4, 1));
        expect(log.lastIndex()).toBe(4);
      }));

      it('rejects a batch with a gap inside and appends none of it', run(async (log) => {
        await expect(log.append([sampleEntry(1, 1), sampleEntry(2, 1), sampleEntry(4, 1)])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(log.lastIndex()).toBe(0);
        expect(await log.read(i(1), i(4))).toEqual([]);
      }));

      it('is visible at once, so a second append may be issued before the first resolves', run(async (log) => {
        const first = log.append(sampleEntries(1, 5, 1));
        expect(log.lastIndex()).toBe(5);
        expect(log.termAt(i(5))).toBe(1);
        const second = log.append(sampleEntries(6, 6, 2));
        const third = log.append(sampleEntries(7, 9, 2));
        expect(await log.read(i(4), i(7))).toEqual([...sampleEntries(4, 5, 1), ...sampleEntries(6, 7, 2)]);
        await Promise.all([first, second, third]);
        expect(await log.read(i(1), i(9))).toEqual([...sampleEntries(1, 5, 1), ...sampleEntries(6, 9, 2)]);
      }));
    });

    describe('read', () => {
      it('clips the range to the entries held', run(async (log) => {
        await log.append(sampleEntries(1, 10, 1));
        await log.compactUpTo(i(3), t(1));
        expect(await log.read(i(0), i(5))).toEqual(sampleEntries(4, 5, 1));
        expect(await log.read(i(8), i(100))).toEqual(sampleEntries(8, 10, 1));
        expect(await log.read(i(6), i(6))).toEqual([sampleEntry(6, 1)]);
        expect(await log.read(i(7), i(6))).toEqual([]);
        expect(await log.read(i(1), i(3))).toEqual([]);
        expect(await log.read(i(11), i(20))).toEqual([]);
      }));

      it('rejects negative or fractional bounds with INVALID_ARGUMENT', run(async (log) => {
        await expect(log.read(-1 as LogIndex, i(3))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(log.read(i(1), 1.5 as LogIndex)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }));
    });

    describe('truncateAfter', () => {
      it('deletes every entry after the index and lets the log grow again from there', run(async (log) => {
        await log.append(sampleEntries(1, 10, 1));
        await log.truncateAfter(i(6));
        expect(log.lastIndex()).toBe(6);
        expect(log.termAt(i(7))).toBeUndefined();
        expect(await log.read(i(1), i(10))).toEqual(sampleEntries(1, 6, 1));
        await log.append(sampleEntries(7, 8, 2));
        expect(log.termAt(i(7))).toBe(2);
        expect(await log.read(i(5), i(10))).toEqual([...sampleEntries(5, 6, 1), ...sampleEntries(7, 8, 2)]);
      }));

      it('is a no-op at or after lastIndex', run(async (log) => {
        await log.append(sampleEntries(1, 4, 1));
        await log.truncateAfter(i(4));
        await log.truncateAfter(i(40));
        expect(await log.read(i(1), i(4))).toEqual(sampleEntries(1, 4, 1));
      }));

      it('at the compaction point empties the log there', run(async (log) => {
        await log.append(sampleEntries(1, 6, 1));
        await log.compactUpTo(i(2), t(1));
        await log.truncateAfter(i(2));
        expect(log.firstIndex()).toBe(3);
        expect(log.lastIndex()).toBe(2);
        expect(log.termAt(i(2))).toBe(1);
        await log.append(sampleEntries(3, 3, 4));
        expect(log.termAt(i(3))).toBe(4);
      }));

      it('below the compaction point is rejected with INVALID_ARGUMENT', run(async (log) => {
        await log.append(sampleEntries(1, 6, 1));
        await log.compactUpTo(i(4), t(1));
        await expect(log.truncateAfter(i(2))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(log.lastIndex()).toBe(6);
      }));

      it('applies in call order with appends still in flight', run(async (log) => {
        const writes = [log.append(sampleEntries(1, 5, 1)), log.truncateAfter(i(2)), log.append(sampleEntries(3, 4, 2))];
        await Promise.all(writes);
        expect(await log.read(i(1), i(10))).toEqual([...sampleEntries(1, 2, 1), ...sampleEntries(3, 4, 2)]);
      }));
    });

    describe('compactUpTo', () => {
      it('discards the prefix and remembers the term of the compaction point', run(async (log) => {
        await log.append([...sampleEntries(1, 4, 1), ...sampleEntries(5, 8, 2)]);
        await log.compactUpTo(i(5), t(2));
        expect(log.firstIndex()).toBe(6);
        expect(log.lastIndex()).toBe(8);
        expect(log.termAt(i(5))).toBe(2);
        expect(log.termAt(i(4))).toBeUndefined();
        expect(await log.read(i(1), i(8))).toEqual(sampleEntries(6, 8, 2));
        await log.append(sampleEntries(9, 9, 2));
        expect(log.lastIndex()).toBe(9);
      }));

      it('beyond lastIndex leaves an empty log at the index', run(async (log) => {
        await log.append(sampleEntries(1, 3, 1));
        await log.compactUpTo(i(10), t(3));
        expect(log.firstIndex()).toBe(11);
        expect(log.lastIndex()).toBe(10);
        expect(log.termAt(i(10))).toBe(3);
        expect(await log.read(i(1), i(20))).toEqual([]);
        await expect(log.append(sampleEntries(4, 4, 1))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await log.append(sampleEntries(11, 12, 3));
        expect(await log.read(i(1), i(20))).toEqual(sampleEntries(11, 12, 3));
      }));

      it('at or before the compaction point is a no-op', run(async (log) => {
        await log.append(sampleEntries(1, 6, 1));
        await log.compactUpTo(i(4), t(1));
        await log.compactUpTo(i(2), t(1));
        await log.compactUpTo(i(4), t(1));
        expect(log.firstIndex()).toBe(5);
        expect(log.termAt(i(4))).toBe(1);
        expect(await log.read(i(1), i(6))).toEqual(sampleEntries(5, 6, 1));
      }));

      it('with a term that does not match the entry held there discards the whole log (§7)', run(async (log) => {
        await log.append(sampleEntries(1, 6, 1));
        await log.compactUpTo(i(4), t(2));
        expect(log.firstIndex()).toBe(5);
        expect(log.lastIndex()).toBe(4);
        expect(log.termAt(i(4))).toBe(2);
        expect(await log.read(i(1), i(6))).toEqual([]);
      }));

      it('of the whole log keeps accepting appends after it', run(async (log) => {
        await log.append(sampleEntries(1, 5, 1));
        await log.compactUpTo(i(5), t(1));
        expect(log.firstIndex()).toBe(6);
        expect(log.lastIndex()).toBe(5);
        await log.append(sampleEntries(6, 7, 1));
        expect(await log.read(i(1), i(10))).toEqual(sampleEntries(6, 7, 1));
      }));
    });

    describe('totalBytes', () => {
      it('grows with appends and does not grow when entries are removed', run(async (log) => {
        const empty = log.totalBytes();
        await log.append(sampleEntries(1, 50, 1, 200));
        const full = log.totalBytes();
        expect(full).toBeGreaterThan(empty);
        await log.truncateAfter(i(30));
        const truncated = log.totalBytes();
        expect(truncated).toBeLessThanOrEqual(full);
        await log.compactUpTo(i(30), t(1));
        expect(log.totalBytes()).toBeLessThanOrEqual(truncated);
      }));
    });

    describe('close', () => {
      it('makes later calls reject with STORAGE_CLOSED', run(async (log) => {
        await log.append(sampleEntries(1, 2, 1));
        await log.close();
        await expect(log.append(sampleEntries(3, 3, 1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
        await expect(log.read(i(1), i(2))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
        await expect(log.truncateAfter(i(1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
        await expect(log.compactUpTo(i(1), t(1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
      }));
    });

    describe('a generated workload', () => {
      it('matches the reference model after every step (seeded, replayable)', run(async (log) => {
        await runWorkload(log, new LogModel(), seededRandom(0x5eed), 300, undefined);
      }));
    });

    if (subject.reopen !== undefined) {
      describe('durability across reopen', () => {
        it('keeps appended entries', run(async (log, reopen) => {
          const entries = [...sampleEntries(1, 10, 1), ...sampleEntries(11, 14, 2)];
          await log.append(entries);
          log = await reopen(log);
          expect(log.firstIndex()).toBe(1);
          expect(log.lastIndex()).toBe(14);
          expect(log.termAt(i(14))).toBe(2);
          expect(await log.read(i(1), i(14))).toEqual(entries);
          await log.append(sampleEntries(15, 15, 2));
          log = await reopen(log);
          expect(log.lastIndex()).toBe(15);
        }));

        it('keeps a fresh store empty', run(async (log, reopen) => {
          log = await reopen(log);
          expect(log.firstIndex()).toBe(1);
          expect(log.lastIndex()).toBe(0);
          expect(log.termAt(i(0))).toBe(0);
        }));

        it('keeps a suffix truncation and what was appended after it', run(async (log, reopen) => {
          await log.append(sampleEntries(1, 10, 1));
          await log.truncateAfter(i(4));
          await log.append(sampleEntries(5, 6, 2));
          log = await reopen(log);
          expect(await log.read(i(1), i(10))).toEqual([...sampleEntries(1, 4, 1), ...sampleEntries(5, 6, 2)]);
          expect(log.lastIndex()).toBe(6);
        }));

        it('keeps the compaction point and its term', run(async (log, reopen) => {
          await log.append(sampleEntries(1, 10, 1));
          await log.compactUpTo(i(7), t(1));
          log = await reopen(log);
          expect(log.firstIndex()).toBe(8);
          expect(log.termAt(i(7))).toBe(1);
          expect(await log.read(i(1), i(10))).toEqual(sampleEntries(8, 10, 1));
          await log.compactUpTo(i(20), t(5));
          log = await reopen(log);
          expect(log.firstIndex()).toBe(21);
          expect(log.lastIndex()).toBe(20);
          expect(log.termAt(i(20))).toBe(5);
          await log.append(sampleEntries(21, 21, 5));
          log = await reopen(log);
          expect(await log.read(i(1), i(30))).toEqual(sampleEntries(21, 21, 5));
        }));

        it('matches the reference model across reopens in a generated workload (seeded, replayable)', run(async (log, reopen) => {
          await runWorkload(log, new LogModel(), seededRandom(0xc0ffee), 300, reopen);
        }));
      });
    }
  });
}

/**
 * Random appends (of 1–8 entries, sometimes pipelined), truncations, compactions and, when
 * `reopen` is given, reopens; checks the store against the model after each step.
 */
async function runWorkload(
  log: LogStore,
  model: LogModel,
  random: () => number,
  steps: number,
  reopen: ((log: LogStore) => Promise<LogStore>) | undefined,
): Promise<void> {
  let term = 1;
  for (let step = 0; step < steps; step++) {
    const roll = random();
    if (roll < 0.55) {
      if (random() < 0.2) term++;
      const count = 1 + Math.floor(random() * 8);
      const batch = sampleEntries(model.lastIndex + 1, model.lastIndex + count, term, Math.floor(random() * 64));
      model.append(batch);
      if (random() < 0.3) {
        // Pipelined: a second append before the first resolves.
        const next = sampleEntries(model.lastIndex + 1, model.lastIndex + 2, term);
        model.append(next);
        await Promise.all([log.append(batch), log.append(next)]);
      } else {
        await log.append(batch);
      }
    } else if (roll < 0.7) {
      const index = model.compactIndex + Math.floor(random() * (model.lastIndex - model.compactIndex + 2));
      model.truncateAfter(index);
      await log.truncateAfter(i(index));
    } else if (roll < 0.85) {
      const index = model.compactIndex + Math.floor(random() * (model.lastIndex - model.compactIndex + 3));
      const known = model.termAt(index);
      const compactTerm = known !== undefined && random() < 0.9 ? known : term;
      model.compactUpTo(index, compactTerm);
      await log.compactUpTo(i(index), t(compactTerm));
      term = Math.max(term, compactTerm);
    } else if (reopen !== undefined && roll < 0.92) {
      log = await reopen(log);
    }
    await expectSameAs(log, model);
  }
}
