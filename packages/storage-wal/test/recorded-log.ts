import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type LogEntry, LogIndex, type LogStore, type RaftStorage, Term } from '@raft/abstractions';
import { LogModel, sampleEntries } from '@raft/harness/compliance';
import { expect } from 'vitest';
import { scanSegment } from '../src/internal/scan.js';
import { SEGMENT_HEADER_BYTES } from '../src/internal/segment-format.js';

/** One operation of a recorded workload. */
export type Step =
  | { readonly op: 'append'; readonly count: number; readonly term: number; readonly payload: number }
  | { readonly op: 'truncate'; readonly after: number }
  | { readonly op: 'compact'; readonly upTo: number; readonly term: number };

/** An acknowledged state of the log. */
export interface LogState {
  readonly compactIndex: number;
  readonly compactTerm: number;
  readonly entries: readonly LogEntry[];
}

/** An acknowledged state and the offset in the last segment at which it was durable. */
export interface Checkpoint extends LogState {
  readonly end: number;
}

export function stateOf(model: LogModel): LogState {
  return { compactIndex: model.compactIndex, compactTerm: model.compactTerm, entries: [...model.entries] };
}

/** Applies `step` to the store (awaiting its durability) and to the model; returns whether it wrote anything. */
export async function apply(log: LogStore, model: LogModel, step: Step): Promise<boolean> {
  switch (step.op) {
    case 'append': {
      const entries = sampleEntries(model.lastIndex + 1, model.lastIndex + step.count, step.term, step.payload);
      model.append(entries);
      await log.append(entries);
      return entries.length > 0;
    }
    case 'truncate': {
      const wrote = step.after < model.lastIndex;
      model.truncateAfter(step.after);
      await log.truncateAfter(LogIndex(step.after));
      return wrote;
    }
    case 'compact': {
      const wrote = step.upTo > model.compactIndex;
      model.compactUpTo(step.upTo, step.term);
      await log.compactUpTo(LogIndex(step.upTo), Term(step.term));
      return wrote;
    }
  }
}

export async function segmentNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

/**
 * Runs the steps one acknowledged write at a time (so each writing step is exactly one batch),
 * closes the store, and maps the batches of the last segment to the states acknowledged after
 * them. The first checkpoint is the state at the start of the last segment (offset = header).
 */
export async function record(storage: RaftStorage, dir: string, steps: readonly Step[]): Promise<Checkpoint[]> {
  const model = new LogModel();
  const states: LogState[] = [stateOf(model)];
  for (const step of steps) if (await apply(storage.log, model, step)) states.push(stateOf(model));
  await storage.close();
  const names = await segmentNames(dir);
  const batchCounts: number[] = [];
  for (const name of names) {
    const scan = scanSegment(await readFile(join(dir, name)), name, false);
    if (scan === 'incomplete-header') throw new Error('unexpected incomplete header');
    batchCounts.push(scan.batchEnds.length);
  }
  const last = scanSegment(await readFile(join(dir, names.at(-1)!)), names.at(-1)!, true);
  if (last === 'incomplete-header') throw new Error('unexpected incomplete header');
  // The batches still on disk are those of the last writing steps, in order.
  const firstInLast = states.length - 1 - last.batchEnds.length;
  return [
    { end: SEGMENT_HEADER_BYTES, ...(states[firstInLast] as LogState) },
    ...last.batchEnds.map((end, k) => ({ end, ...(states[firstInLast + 1 + k] as LogState) })),
  ];
}

/** Checks that `log` holds exactly `state`. */
export async function expectState(log: LogStore, state: LogState): Promise<void> {
  expect(log.firstIndex()).toBe(state.compactIndex + 1);
  expect(log.lastIndex()).toBe(state.compactIndex + state.entries.length);
  expect(log.termAt(LogIndex(state.compactIndex))).toBe(state.compactTerm);
  expect(await log.read(LogIndex(0), LogIndex(Number.MAX_SAFE_INTEGER))).toEqual(state.entries);
}
