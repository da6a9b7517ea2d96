import { U32List } from './growable.js';

/**
 * Term bookkeeping for the entries `compactIndex + 1 .. lastIndex`: runs of equal terms, so
 * memory grows with the number of terms, not entries. Used for the live view of the store and
 * to replay segments on recovery.
 *
 * Invariant: `runs[k].start` strictly increase, all lie in `(compactIndex, lastIndex]`, and
 * `runs[0].start === compactIndex + 1` whenever the log holds an entry.
 */
export class TermIndex {
  compactIndex = 0;
  /** `undefined` only transiently during replay (see `truncateAfter`). */
  compactTerm: number | undefined = 0;
  lastIndex = 0;
  runs: { start: number; term: number }[] = [];

  static at(index: number, term: number): TermIndex {
    const t = new TermIndex();
    t.compactIndex = index;
    t.compactTerm = term;
    t.lastIndex = index;
    return t;
  }

  termAt(index: number): number | undefined {
    if (index === this.compactIndex) return this.compactTerm;
    if (index < this.compactIndex || index > this.lastIndex) return undefined;
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.runs[mid] as { start: number }).start <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runs[lo]?.term;
  }

  append(index: number, term: number): void {
    this.lastIndex = index;
    const last = this.runs[this.runs.length - 1];
    if (last === undefined || last.term !== term) this.runs.push({ start: index, term });
  }

  truncateAfter(index: number): void {
    if (index >= this.lastIndex) return;
    if (index < this.compactIndex) {
      // Only in replay of a segment whose older neighbours were deleted: the compaction base
      // came from the segment header and the real compaction point is recorded later.
      this.compactIndex = index;
      this.compactTerm = undefined;
    }
    this.lastIndex = index;
    while (this.runs.length > 0 && (this.runs[this.runs.length - 1] as { start: number }).start > index) this.runs.pop();
  }

  /** Returns `true` when the entries after `index` were kept, `false` when all were dropped. */
  compactUpTo(index: number, term: number): boolean {
    if (index <= this.compactIndex) return true;
    const keep = index <= this.lastIndex && this.termAt(index) === term;
    this.applyCompact(index, term, keep);
    return keep;
  }

  /**
   * Applies a compaction whose outcome is known (`keep`: the entries after `index` stayed), as
   * recorded in a `compact` record. During replay the state may start from a segment header
   * whose older segments were deleted (entries up to the base unknown); a recorded outcome needs
   * no term of those entries.
   */
  applyCompact(index: number, term: number, keep: boolean): void {
    if (index <= this.compactIndex) {
      if (!keep) {
        // Replay only: a compaction that dropped the log, below a base the replay assumed.
        this.runs = [];
        this.lastIndex = index;
        this.compactIndex = index;
        this.compactTerm = term;
      } else if (index === this.compactIndex) {
        this.compactTerm ??= term;
      }
      return;
    }
    if (!keep || index > this.lastIndex) {
      this.runs = [];
      this.lastIndex = index;
    } else {
      let first = 0;
      while (first + 1 < this.runs.length && (this.runs[first + 1] as { start: number }).start <= index + 1) first++;
      this.runs = this.runs.slice(first);
      const head = this.runs[0];
      if (head !== undefined) {
        if (index + 1 <= this.lastIndex) this.runs[0] = { start: index + 1, term: head.term };
        else this.runs = [];
      }
    }
    this.compactIndex = index;
    this.compactTerm = term;
  }
}

/** Where durable entries `first .. first + count - 1` sit: one segment, record by record. */
export interface Extent {
  readonly sequence: number;
  first: number;
  /** Offsets and record lengths, from `skip` on (entries before `skip` were compacted away). */
  readonly offsets: U32List;
  readonly lengths: U32List;
  skip: number;
  count: number;
}

/**
 * The locations of the durable live entries `compactIndex + 1 .. compactIndex + size`, as a list
 * of extents in index order. Invariant: extents are contiguous in index and each lies in one
 * segment; the entry `first + k` of an extent is at `offsets[skip + k]`.
 */
export class Locations {
  extents: Extent[] = [];

  /** Last index with a location, or `base` if none. */
  lastIndex(base: number): number {
    const last = this.extents[this.extents.length - 1];
    return last === undefined ? base : last.first + last.count - 1;
  }

  add(sequence: number, index: number, offset: number, length: number): void {
    let last = this.extents[this.extents.length - 1];
    if (last === undefined || last.sequence !== sequence || last.first + last.count !== index) {
      last = { sequence, first: index, offsets: new U32List(), lengths: new U32List(), skip: 0, count: 0 };
      this.extents.push(last);
    }
    last.offsets.push(offset);
    last.lengths.push(length);
    last.count++;
  }

  /** Sum of record lengths for indices in `[from, to]`. */
  bytesBetween(from: number, to: number): number {
    let total = 0;
    for (const e of this.extents) {
      const lo = Math.max(from, e.first);
      const hi = Math.min(to, e.first + e.count - 1);
      for (let i = lo; i <= hi; i++) total += e.lengths.get(e.skip + (i - e.first));
    }
    return total;
  }

  truncateAfter(index: number): void {
    while (this.extents.length > 0) {
      const last = this.extents[this.extents.length - 1] as Extent;
      if (last.first > index) this.extents.pop();
      else {
        last.count = Math.min(last.count, index - last.first + 1);
        // Trim the backing lists so a later add to this extent appends in the right place.
        last.offsets.length = last.skip + last.count;
        last.lengths.length = last.skip + last.count;
        return;
      }
    }
  }

  compactUpTo(index: number): void {
    while (this.extents.length > 0) {
      const first = this.extents[0] as Extent;
      if (first.first + first.count - 1 <= index) this.extents.shift();
      else {
        if (first.first <= index) {
          const drop = index - first.first + 1;
          first.skip += drop;
          first.count -= drop;
          first.first = index + 1;
        }
        return;
      }
    }
  }

  clear(): void {
    this.extents = [];
  }

  /** Locations of `[from, to]` grouped by extent: `{ sequence, offsets, lengths, first }`. */
  *ranges(from: number, to: number): Generator<{ sequence: number; first: number; last: number; extent: Extent }> {
    for (const e of this.extents) {
      const lo = Math.max(from, e.first);
      const hi = Math.min(to, e.first + e.count - 1);
      if (lo <= hi) yield { sequence: e.sequence, first: lo, last: hi, extent: e };
    }
  }
}
