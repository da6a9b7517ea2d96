import type { LogIndex, PersistentMeta, RaftMessage, Term } from '@raft/abstractions';

/** A durable write the core asked for and the host has not yet acknowledged. */
type PendingWrite =
  | { readonly seq: number; readonly kind: 'meta'; readonly meta: PersistentMeta }
  | {
      readonly seq: number;
      readonly kind: 'log';
      readonly lastIndex: LogIndex;
      readonly lastTerm: Term;
      /** Set when the write begins by truncating the log after this index. */
      readonly truncatedAfter: LogIndex | undefined;
      /** Set when a snapshot install replaced the log the write belongs to. */
      discarded?: boolean;
    };

/**
 * The durability barrier (DESIGN.md "The core contract"; etcd `msgsAfterAppend`, raft-rs
 * `persisted_messages`). Every persistence effect the core emits gets the next write number;
 * the host completes writes in order, so an acknowledgement of write `n` makes every write
 * `<= n` durable. A message that promises durable state (a vote, an append acknowledgement,
 * an install-snapshot reply) is held with the number of the newest write issued before it and
 * released only once that write is durable.
 *
 * Invariant (INV-12): a held message never leaves before every write issued before it is
 * acknowledged, and an append acknowledgement whose entries were truncated meanwhile is
 * discarded, never sent.
 */
export class Durability {
  /** Number of the newest write issued (0 = none). */
  private issuedSeq = 0;
  /** Number of the newest write known durable. */
  private durableSeq = 0;
  private readonly pending: PendingWrite[] = [];
  private held: { readonly seq: number; readonly message: RaftMessage }[] = [];
  /** Highest log index whose durable entry matches the in-memory log, ignoring pending truncations. */
  private durableLogIndex: LogIndex;
  /** See {@link persistedIndex}. */
  private persisted: LogIndex;
  private durableMetaTerm: number;

  constructor(durableLogIndex: LogIndex, durableTerm: number) {
    this.durableLogIndex = durableLogIndex;
    this.persisted = durableLogIndex;
    this.durableMetaTerm = durableTerm;
  }

  /**
   * The highest index `i` such that the durable log holds exactly the in-memory entries
   * `1..i`: what the node may count toward a quorum or acknowledge (§5.3, dissertation §10.2.1).
   */
  persistedIndex(): LogIndex {
    return this.persisted;
  }

  /** Records a `persistMeta` effect; returns its write number. */
  issueMeta(meta: PersistentMeta): number {
    this.pending.push({ seq: ++this.issuedSeq, kind: 'meta', meta });
    return this.issuedSeq;
  }

  /**
   * Replaces the meta of the newest write when that write is a meta write (not yet
   * acknowledged); returns `false` otherwise.
   */
  replaceNewestMeta(meta: PersistentMeta): boolean {
    const newest = this.pending[this.pending.length - 1];
    if (newest === undefined || newest.kind !== 'meta' || newest.seq !== this.issuedSeq) return false;
    this.pending[this.pending.length - 1] = { seq: newest.seq, kind: 'meta', meta };
    return true;
  }

  /** Records an `appendLog` effect (preceded by a `truncateLog` when `truncatedAfter` is set). */
  issueLog(lastIndex: LogIndex, lastTerm: Term, truncatedAfter: LogIndex | undefined): number {
    this.pending.push({ seq: ++this.issuedSeq, kind: 'log', lastIndex, lastTerm, truncatedAfter });
    if (truncatedAfter !== undefined) {
      if (this.persisted > truncatedAfter) this.persisted = truncatedAfter;
      // Acknowledgements promising entries past the truncation point are no longer true.
      this.held = this.held.filter(
        ({ message }) => !(message.type === 'AppendEntriesResponse' && message.success && message.matchIndex > truncatedAfter),
      );
    }
    return this.issuedSeq;
  }

  /**
   * Sends `message` now when nothing it could depend on is in flight, else holds it.
   * Returns the message when it may go now.
   */
  gate(message: RaftMessage): RaftMessage | undefined {
    if (this.durableSeq >= this.issuedSeq) return message;
    this.held.push({ seq: this.issuedSeq, message });
    return undefined;
  }

  /**
   * The host made `meta` durable (write number `write` when the host echoes it). Returns
   * `false` when no such write is pending (a stale or duplicate report).
   */
  ackMeta(meta: PersistentMeta, write?: number): boolean {
    const at = this.pending.findIndex(
      (w) => w.kind === 'meta' && w.meta.currentTerm === meta.currentTerm && w.meta.votedFor === meta.votedFor && (write === undefined || w.seq === write),
    );
    if (at < 0) return false;
    this.complete(at);
    return true;
  }

  /**
   * The host made the log durable up to (`upTo`, `term`), by write number `write` when given.
   * Without the number the oldest matching pending write is taken: never more than is durable.
   * Returns `false` when no such write is pending.
   */
  ackLog(upTo: LogIndex, term: Term, write?: number): boolean {
    const at = this.pending.findIndex((w) => w.kind === 'log' && w.lastIndex === upTo && w.lastTerm === term && (write === undefined || w.seq === write));
    if (at < 0) return false;
    this.complete(at);
    return true;
  }

  /** The highest term a completed meta write recorded (the leader's term must be durable before it speaks). */
  durableTerm(): number {
    return this.durableMetaTerm;
  }

  /** Messages whose writes are now durable, in the order they were held. */
  releasable(): RaftMessage[] {
    if (this.held.length === 0) return [];
    const ready: RaftMessage[] = [];
    let keep = 0;
    for (const entry of this.held) {
      if (entry.seq <= this.durableSeq) ready.push(entry.message);
      else this.held[keep++] = entry;
    }
    this.held.length = keep;
    return ready;
  }

  /**
   * A snapshot install replaced the whole log: the durable log now ends at `index`, and writes
   * still in flight for the old log no longer say anything about it (their completions still
   * count for the write order).
   */
  resetLog(index: LogIndex): void {
    for (const write of this.pending) if (write.kind === 'log') write.discarded = true;
    this.durableLogIndex = index;
    this.persisted = index;
  }

  /** A durable snapshot covers the log up to `index`: that prefix is as good as durable. */
  coverBySnapshot(index: LogIndex): void {
    if (this.durableLogIndex < index) this.durableLogIndex = index;
    this.recompute();
  }

  private complete(at: number): void {
    const done = this.pending.splice(0, at + 1);
    for (const write of done) {
      if (write.kind === 'log' && write.discarded !== true) this.durableLogIndex = write.lastIndex;
      if (write.kind === 'meta' && write.meta.currentTerm > this.durableMetaTerm) this.durableMetaTerm = write.meta.currentTerm;
      this.durableSeq = write.seq;
    }
    this.recompute();
  }

  private recompute(): void {
    let persisted = this.durableLogIndex;
    for (const write of this.pending) {
      if (write.kind === 'log' && write.discarded !== true && write.truncatedAfter !== undefined && write.truncatedAfter < persisted) {
        persisted = write.truncatedAfter;
      }
    }
    this.persisted = persisted;
  }
}
