import { IllegalStateError, InvalidArgumentError, type LogEntry, type LogIndex, type PersistentMeta, type Term } from '@raft/abstractions';
import type { SimulationRandom } from './prng.js';

/** Persistence latency of the simulated disks, in ticks, drawn per write from the seeded PRNG. */
export interface StorageLatency {
  /** Fewest ticks a write takes to become durable (0: within the tick it was issued). @default 0 */
  readonly minDelay: number;
  /** Most ticks a write takes to become durable. @default 2 */
  readonly maxDelay: number;
}

/** The default disk: writes become durable 0–2 ticks after they are issued. */
export const DEFAULT_STORAGE_LATENCY: StorageLatency = { minDelay: 0, maxDelay: 2 };

/** A durable write a node asked for (from its `persistMeta`, `truncateLog`+`appendLog` or `compactLog` effects). */
export type WriteRequest =
  | { readonly kind: 'meta'; readonly meta: PersistentMeta; /** The effect's write number, echoed in the completion. */ readonly write?: number }
  | {
      readonly kind: 'log';
      /** Delete durable entries after this index first (a `truncateLog` effect). */
      readonly truncateAfter: LogIndex | undefined;
      readonly entries: readonly LogEntry[];
      /** The effect's write number, echoed in the completion. */
      readonly write?: number;
    }
  | { readonly kind: 'compact'; readonly upTo: LogIndex; readonly term: Term };

/** A write that the node has issued and the disk has not yet made durable. */
export type PendingWrite = WriteRequest & {
  /** Tick at which it becomes durable. */
  readonly completeAt: number;
};

/**
 * One node's simulated disk. It keeps what is durable apart from what is only issued:
 * writes complete in the order issued after a seeded delay, and a crash discards every write
 * not yet complete, so the windows between "write started", "write durable" and "reply
 * sent" are all reachable.
 *
 * Invariant: `pending` is ordered by issue and by `completeAt` (non-decreasing), so a
 * completion implies every earlier write is durable (the host contract's in-order rule).
 */
export class SimulatedDisk {
  private meta: PersistentMeta = { currentTerm: 0 as Term, votedFor: undefined };
  /** Index and term of the entry just before `entries[0]` (the compaction point). */
  private baseIndex = 0;
  private baseTerm = 0;
  private entries: LogEntry[] = [];
  private readonly pending: PendingWrite[] = [];
  private lastCompleteAt = 0;
  /** Writes made durable over the disk's life. */
  writesCompleted = 0;
  /** Writes lost to crashes over the disk's life. */
  writesLost = 0;

  /** Term and vote as durable now. */
  durableMeta(): PersistentMeta {
    return this.meta;
  }

  /** Copy of the durable log entries (after the compaction point). */
  durableEntries(): LogEntry[] {
    return [...this.entries];
  }

  /** Index of the last durable entry (the compaction point when none is held). */
  durableLastIndex(): number {
    return this.baseIndex + this.entries.length;
  }

  /** Durable term at `index`, or `undefined` when the durable log does not cover it. */
  durableTermAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex) return undefined;
    return this.entries[index - this.baseIndex - 1]?.term;
  }

  /** Index of the durable compaction point (0 when never compacted). */
  durableBaseIndex(): number {
    return this.baseIndex;
  }

  /** Number of writes issued and not yet durable. */
  pendingWrites(): number {
    return this.pending.length;
  }

  /** The writes issued and not yet durable, oldest first. */
  pendingList(): readonly PendingWrite[] {
    return this.pending;
  }

  /** Issues a write that becomes durable at `now + delay`, never before an earlier write. Returns its completion tick. */
  issue(write: WriteRequest, now: number, random: SimulationRandom, latency: StorageLatency): number {
    const completeAt = Math.max(this.lastCompleteAt, now + random.int(latency.minDelay, latency.maxDelay));
    this.lastCompleteAt = completeAt;
    this.pending.push({ ...write, completeAt });
    return completeAt;
  }

  /**
   * Makes the oldest pending write durable and returns it, with `merged` set when the next
   * pending write is a log write completing at the same tick (the host then acknowledges
   * only the later one, as the contract allows).
   * @throws IllegalStateError when nothing is pending or a log write would leave a gap.
   */
  completeNext(): { write: PendingWrite; merged: boolean } {
    const write = this.pending.shift();
    if (write === undefined) throw new IllegalStateError('no pending write to complete');
    switch (write.kind) {
      case 'meta':
        this.meta = write.meta;
        break;
      case 'log': {
        if (write.truncateAfter !== undefined) this.truncateAfter(write.truncateAfter);
        const first = write.entries[0];
        if (first !== undefined && first.index !== this.durableLastIndex() + 1) {
          throw new IllegalStateError(
            `appendLog starting at index ${first.index} does not follow the durable last index ${this.durableLastIndex()}`,
          );
        }
        for (const entry of write.entries) this.entries.push(entry);
        break;
      }
      case 'compact':
        this.compactUpTo(write.upTo, write.term);
        break;
    }
    this.writesCompleted++;
    const next = this.pending[0];
    const merged = write.kind === 'log' && next !== undefined && next.kind === 'log' && next.completeAt === write.completeAt;
    return { write, merged };
  }

  /**
   * Boot recovery (before the node serves): the durable log becomes exactly the log the core
   * booted with — compacted to `baseIndex` (the boot snapshot; entries at or below it are
   * dropped, as the `compactLog` contract asks after a crash) and cut after `lastIndex` (a
   * tail the core did not keep because it does not chain onto the snapshot).
   * @throws IllegalStateError with writes pending, or when asked to move the compaction point back
   */
  recover(baseIndex: number, baseTerm: number, lastIndex: number): void {
    if (this.pending.length > 0) throw new IllegalStateError(`boot recovery with ${this.pending.length} writes pending`);
    if (baseIndex < this.baseIndex) throw new IllegalStateError(`boot recovery to ${baseIndex}, below the durable compaction point ${this.baseIndex}`);
    if (baseIndex > this.baseIndex) {
      this.entries = this.durableTermAt(baseIndex) === baseTerm ? this.entries.slice(baseIndex - this.baseIndex) : [];
      this.baseIndex = baseIndex;
      this.baseTerm = baseTerm;
    }
    if (lastIndex < this.durableLastIndex()) this.entries.length = Math.max(0, lastIndex - this.baseIndex);
  }

  /** Power loss: every write not yet durable is gone. Returns how many were lost. */
  crash(): number {
    const lost = this.pending.length;
    this.pending.length = 0;
    this.writesLost += lost;
    this.lastCompleteAt = 0;
    return lost;
  }

  private truncateAfter(after: number): void {
    if (after < this.baseIndex) {
      throw new IllegalStateError(`truncateLog after ${after} reaches below the durable compaction point ${this.baseIndex}`);
    }
    if (after < this.durableLastIndex()) this.entries.length = after - this.baseIndex;
  }

  /**
   * The `compactLog` contract: drop entries up to `upTo` when the log holds `upTo` with
   * `term`; otherwise (an installed snapshot replaced a divergent or shorter log) drop every
   * entry, so the log restarts empty after `upTo`.
   */
  private compactUpTo(upTo: number, term: number): void {
    if (upTo <= this.baseIndex) return;
    if (this.durableTermAt(upTo) === term) this.entries = this.entries.slice(upTo - this.baseIndex);
    else this.entries = [];
    this.baseIndex = upTo;
    this.baseTerm = term;
  }
}

/** Validates a {@link StorageLatency}. @throws InvalidArgumentError naming the bad field. */
export function validateLatency(latency: StorageLatency): StorageLatency {
  for (const name of ['minDelay', 'maxDelay'] as const) {
    const d = latency[name];
    if (!Number.isSafeInteger(d) || d < 0) throw new InvalidArgumentError(`storage ${name} must be a non-negative integer of ticks, got ${d}`);
  }
  if (latency.maxDelay < latency.minDelay) {
    throw new InvalidArgumentError(`storage maxDelay (${latency.maxDelay}) is below minDelay (${latency.minDelay})`);
  }
  return { ...latency };
}
