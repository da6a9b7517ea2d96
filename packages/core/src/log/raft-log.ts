import type { LogEntry, LogIndex, Term } from '@raft/abstractions';

/**
 * The node's log as the core sees it (§5.3): the tail since the last snapshot, held in
 * memory, above a snapshot boundary. Durability is tracked separately ({@link Durability});
 * this is the log as it will be once every issued write completes.
 *
 * Invariant: entries are contiguous, `entries[i].index === snapshotIndex + 1 + i`, and terms
 * never decrease along the log (a leader only appends entries of its own term, §5.3).
 */
export class RaftLog {
  /** Index covered by the snapshot (0 when none); the entry before the first held one. */
  snapshotIndex: LogIndex;
  /** Term of the entry at {@link snapshotIndex} (0 when none). */
  snapshotTerm: Term;
  private entries: LogEntry[];

  constructor(snapshotIndex: LogIndex, snapshotTerm: Term, entries: readonly LogEntry[]) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.entries = [...entries];
  }

  /** Index of the first entry held (`lastIndex() + 1` when none is held). */
  firstIndex(): LogIndex {
    return (this.snapshotIndex + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.snapshotIndex + this.entries.length) as LogIndex;
  }

  lastTerm(): Term {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.snapshotTerm : last.term;
  }

  /** Term at `index` for `snapshotIndex <= index <= lastIndex()`, else `undefined`. */
  termAt(index: number): Term | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  /** The entry at `index`, if held. */
  entryAt(index: number): LogEntry | undefined {
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** `true` when the log holds an entry at `index` with `term` (or it is the snapshot point). */
  matchTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /**
   * §5.4.1 election restriction: a log ending in (`lastTerm`, `lastIndex`) is at least as
   * up-to-date as ours when its last term is higher, or equal with an index at least ours.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Appends entries contiguous with the last index (the caller guarantees contiguity). */
  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) this.entries.push(entry);
  }

  /** Removes every entry after `index` (`index >= snapshotIndex`). */
  truncateAfter(index: number): void {
    this.entries.length = Math.max(0, index - this.snapshotIndex);
  }

  /**
   * Entries in `[from, to]`, clipped to what is held, stopping once `maxBytes` is reached
   * (always at least one entry when any is in range). Returns a new array.
   */
  slice(from: number, to: number, maxBytes: number = Number.POSITIVE_INFINITY, sizeOf?: (entry: LogEntry) => number): LogEntry[] {
    const start = Math.max(from, this.firstIndex()) - this.snapshotIndex - 1;
    const end = Math.min(to, this.lastIndex()) - this.snapshotIndex;
    if (end <= start) return [];
    if (maxBytes === Number.POSITIVE_INFINITY || sizeOf === undefined) return this.entries.slice(start, end);
    let bytes = 0;
    let stop = start;
    while (stop < end) {
      bytes += sizeOf(this.entries[stop] as LogEntry);
      if (bytes > maxBytes && stop > start) break;
      stop++;
    }
    return this.entries.slice(start, stop);
  }

  /**
   * The last index `i <= upTo` whose term is at most `term`, or the snapshot index when none
   * is held (used to jump over a conflicting term in one step, §5.3 "optimization").
   */
  lastIndexWithTermAtMost(upTo: number, term: number): LogIndex {
    let i = Math.min(upTo, this.lastIndex());
    while (i > this.snapshotIndex && (this.termAt(i) as number) > term) i--;
    return i as LogIndex;
  }

  /** The first index of the run of entries with `term` that contains `index`. */
  firstIndexOfTerm(index: number, term: number): LogIndex {
    let i = index;
    while (i - 1 > this.snapshotIndex && this.termAt(i - 1) === term) i--;
    return i as LogIndex;
  }

  /** Discards every entry: the log restarts empty after (`index`, `term`) (snapshot install, §7). */
  reset(index: LogIndex, term: Term): void {
    this.entries = [];
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Drops entries up to `index` (covered by a snapshot with `term` at `index`). */
  compactTo(index: LogIndex, term: Term): void {
    if (index <= this.snapshotIndex) return;
    if (index >= this.lastIndex()) this.entries = [];
    else this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }
}
