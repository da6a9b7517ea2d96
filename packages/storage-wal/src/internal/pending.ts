import type { LogEntry } from '@raft/abstractions';

/** An entry appended but not yet durable, with its encoded record. */
export interface PendingEntry {
  readonly entry: LogEntry;
  readonly frame: Uint8Array;
}

/**
 * Appended entries waiting for their batch's fdatasync, in index order.
 * Invariant: `items[head + k].entry.index === items[head].entry.index + k`.
 */
export class PendingEntries {
  private items: PendingEntry[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  first(): PendingEntry | undefined {
    return this.items[this.head];
  }

  push(item: PendingEntry): void {
    this.items.push(item);
  }

  shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** The pending entry at `index`, if any. */
  at(index: number): PendingEntry | undefined {
    const first = this.first();
    return first === undefined ? undefined : this.items[this.head + (index - first.entry.index)];
  }

  /** Removes entries after `index`; returns the bytes of the records removed. */
  truncateAfter(index: number): number {
    const first = this.first();
    if (first === undefined) return 0;
    const keep = Math.max(0, index - first.entry.index + 1);
    let removed = 0;
    for (let k = this.head + keep; k < this.items.length; k++) removed += (this.items[k] as PendingEntry).frame.byteLength;
    if (this.head + keep < this.items.length) this.items.length = this.head + keep;
    return removed;
  }

  /** Removes entries up to and including `index`; returns the bytes of the records removed. */
  dropUpTo(index: number): number {
    let removed = 0;
    for (let first = this.first(); first !== undefined && first.entry.index <= index; first = this.first()) {
      removed += first.frame.byteLength;
      this.shift();
    }
    return removed;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
