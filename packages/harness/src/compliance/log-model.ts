import type { LogEntry } from '@raft/abstractions';

/**
 * The obviously-correct reference a log store is compared with: a plain array plus the
 * compaction point, following the {@link LogStore} contract of `@raft/abstractions` literally.
 */
export class LogModel {
  compactIndex = 0;
  compactTerm = 0;
  entries: LogEntry[] = [];

  get firstIndex(): number {
    return this.compactIndex + 1;
  }

  get lastIndex(): number {
    return this.compactIndex + this.entries.length;
  }

  termAt(index: number): number | undefined {
    if (index === this.compactIndex) return this.compactTerm;
    return this.entries[index - this.compactIndex - 1]?.term;
  }

  append(entries: readonly LogEntry[]): void {
    this.entries.push(...entries);
  }

  truncateAfter(index: number): void {
    if (index >= this.lastIndex) return;
    this.entries = this.entries.slice(0, index - this.compactIndex);
  }

  compactUpTo(index: number, term: number): void {
    if (index <= this.compactIndex) return;
    if (index > this.lastIndex || this.termAt(index) !== term) this.entries = [];
    else this.entries = this.entries.slice(index - this.compactIndex);
    this.compactIndex = index;
    this.compactTerm = term;
  }

  read(from: number, to: number): LogEntry[] {
    const first = Math.max(from, this.firstIndex);
    const last = Math.min(to, this.lastIndex);
    if (first > last) return [];
    return this.entries.slice(first - this.firstIndex, last - this.firstIndex + 1);
  }
}
