import type { LogEntry, LogIndex, LogPersistedInput, MetaPersistedInput, PersistentMeta, RaftStorage, Term } from '@raft/abstractions';

/** One persistence effect of the core, queued in the order the core emitted it. */
export type Write =
  | { readonly kind: 'meta'; readonly meta: PersistentMeta; readonly write: number }
  | { readonly kind: 'truncate'; readonly after: LogIndex }
  | { readonly kind: 'append'; readonly entries: readonly LogEntry[]; readonly write: number }
  | { readonly kind: 'compact'; readonly upTo: LogIndex; readonly term: Term };

/** What one completed batch tells the node. */
export interface BatchDone {
  /** The completion to feed the core: for the newest meta or log write of the batch. */
  readonly ack: MetaPersistedInput | LogPersistedInput | undefined;
  /** Entries written by the batch (for `raft.log.append.entries`). */
  readonly entries: number;
  /** Milliseconds the batch took, including the syncs. */
  readonly durationMs: number;
}

/** A step of a batch: consecutive log writes merged into one truncate + one append. */
type Step =
  | { readonly kind: 'meta'; readonly meta: PersistentMeta }
  | { readonly kind: 'log'; truncateAfter: LogIndex | undefined; entries: LogEntry[] }
  | { readonly kind: 'compact'; readonly upTo: LogIndex; readonly term: Term };

/**
 * The node's one serial persistence queue, with group commit.
 *
 * Invariant (the host contract, DESIGN.md): writes become durable in the order the core
 * emitted them, and a completion is reported only once every write before it is durable —
 * so the core may treat the completion of write n as covering every write <= n.
 *
 * Group commit: while a batch is in flight, every further write is queued; when the batch
 * completes, everything queued goes out as the next batch, consecutive log writes merged into
 * one `truncateAfter` + one `append` (one fsync for many entries), and only the newest meta or
 * log write of the batch is acknowledged.
 */
export class PersistenceQueue {
  readonly #storage: RaftStorage;
  readonly #onDone: (done: BatchDone) => void;
  readonly #onFailed: (operation: 'meta' | 'log', error: unknown) => void;
  #pending: Write[] = [];
  #inFlight: Promise<void> | undefined;
  #failed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(
    storage: RaftStorage,
    onDone: (done: BatchDone) => void,
    onFailed: (operation: 'meta' | 'log', error: unknown) => void,
  ) {
    this.#storage = storage;
    this.#onDone = onDone;
    this.#onFailed = onFailed;
  }

  enqueue(write: Write): void {
    // After a failed write the store refuses everything (a retried fsync may falsely succeed).
    if (!this.#failed) this.#pending.push(write);
  }

  /** Starts the next batch unless one is in flight (called at the end of every turn). */
  kick(): void {
    if (this.#inFlight !== undefined || this.#pending.length === 0 || this.#failed) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#inFlight = this.#run(batch);
  }

  /** Resolves once nothing is queued or in flight (queued writes are written first). */
  idle(): Promise<void> {
    this.kick();
    if (this.#inFlight === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #run(batch: Write[]): Promise<void> {
    const started = performance.now();
    let entries = 0;
    let operation: 'meta' | 'log' = 'log';
    try {
      for (const step of merge(batch)) {
        switch (step.kind) {
          case 'meta':
            operation = 'meta';
            await this.#storage.meta.save(step.meta);
            break;
          case 'log':
            operation = 'log';
            if (step.truncateAfter !== undefined) await this.#storage.log.truncateAfter(step.truncateAfter);
            if (step.entries.length > 0) await this.#storage.log.append(step.entries);
            entries += step.entries.length;
            break;
          case 'compact': {
            operation = 'log';
            const log = this.#storage.log;
            // Already compacted at or past this point: nothing to do.
            if (step.upTo <= log.firstIndex() - 1) break;
            if (log.termAt(step.upTo) !== step.term && log.lastIndex() >= log.firstIndex()) {
              // An installed snapshot replaced a divergent or shorter log: the log restarts
              // empty after the snapshot (docs/effects.md, compactLog).
              await log.truncateAfter((log.firstIndex() - 1) as LogIndex);
            }
            await log.compactUpTo(step.upTo, step.term);
            break;
          }
        }
      }
    } catch (error) {
      this.#failed = true;
      this.#pending = [];
      this.#inFlight = undefined;
      this.#onFailed(operation, error);
      this.#wakeIdle();
      return;
    }
    this.#inFlight = undefined;
    this.#onDone({ ack: acknowledgement(batch), entries, durationMs: performance.now() - started });
    if (this.#pending.length > 0) this.kick();
    else this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Merges a batch into steps, keeping order: runs of consecutive log writes become one
 * truncate + one append; of consecutive meta writes only the newest is written (a meta write
 * replaces the whole meta, so the newest covers the earlier ones).
 */
export function merge(batch: readonly Write[]): Step[] {
  const steps: Step[] = [];
  for (const write of batch) {
    const last = steps[steps.length - 1];
    switch (write.kind) {
      case 'meta':
        if (last?.kind === 'meta') steps[steps.length - 1] = { kind: 'meta', meta: write.meta };
        else steps.push({ kind: 'meta', meta: write.meta });
        break;
      case 'truncate': {
        if (last?.kind === 'log') {
          const first = last.entries[0];
          if (first !== undefined && write.after >= first.index - 1) {
            // The truncation only cuts entries this batch has not written yet.
            last.entries = last.entries.filter((e) => e.index <= write.after);
          } else {
            last.truncateAfter = last.truncateAfter === undefined ? write.after : (Math.min(last.truncateAfter, write.after) as LogIndex);
            last.entries = [];
          }
        } else {
          steps.push({ kind: 'log', truncateAfter: write.after, entries: [] });
        }
        break;
      }
      case 'append':
        if (last?.kind === 'log') {
          for (const entry of write.entries) last.entries.push(entry);
        } else {
          steps.push({ kind: 'log', truncateAfter: undefined, entries: [...write.entries] });
        }
        break;
      case 'compact':
        steps.push({ kind: 'compact', upTo: write.upTo, term: write.term });
        break;
    }
  }
  return steps;
}

/** The completion for the newest meta or append write of a batch (it covers every earlier write). */
export function acknowledgement(batch: readonly Write[]): MetaPersistedInput | LogPersistedInput | undefined {
  for (let i = batch.length - 1; i >= 0; i--) {
    const write = batch[i] as Write;
    // The write number names the acknowledged write exactly (two appends can end at the same
    // (index, term) after a truncation; docs/effects.md).
    if (write.kind === 'meta') return { type: 'metaPersisted', meta: write.meta, write: write.write };
    if (write.kind === 'append') {
      const last = write.entries[write.entries.length - 1];
      if (last !== undefined) return { type: 'logPersisted', upTo: last.index, term: last.term, write: write.write };
    }
  }
  return undefined;
}
