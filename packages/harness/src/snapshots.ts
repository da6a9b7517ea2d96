import {
  type ClusterConfiguration,
  IllegalStateError,
  type InstallSnapshot,
  type LogIndex,
  type Term,
} from '@raft/abstractions';

/** An older snapshot no transfer has read for this many ticks is forgotten. */
const RETAIN_IDLE_TICKS = 100;

/** A snapshot as the simulated snapshot store keeps it: what it covers and the state-machine image. */
export interface DurableSnapshot {
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
  /** The configuration in force at `lastIncludedIndex`. */
  readonly configuration: ClusterConfiguration;
  /** The serialized state machine. */
  readonly data: Uint8Array;
}

/** A snapshot write the store has started and not yet made durable. */
export interface SnapshotWrite {
  readonly snapshot: DurableSnapshot;
  /** Tick at which it becomes durable. */
  readonly completeAt: number;
}

/** What the node's snapshot store is doing right now (for scenario tests that aim a crash). */
export interface SnapshotActivity {
  /** A local snapshot save in flight (not yet durable). */
  readonly saving: SnapshotWrite | undefined;
  /** A snapshot being received from the leader: its index and the bytes written so far (volatile). */
  readonly receiving: { readonly lastIncludedIndex: LogIndex; readonly bytes: number } | undefined;
  /** A fully received snapshot being made durable (not yet durable). */
  readonly committing: SnapshotWrite | undefined;
}

/** Counters of one store over its whole life (all incarnations of the node). */
export interface SnapshotStoreCounters {
  /** Local saves started, made durable, dropped because a newer snapshot was durable first, lost to a crash. */
  savesStarted: number;
  savesCompleted: number;
  savesSuperseded: number;
  savesLost: number;
  /** Chunks written into a receive buffer; transfers started (offset 0); transfers restarted over a partial buffer. */
  chunksWritten: number;
  transfersStarted: number;
  transfersRestarted: number;
  /** Partial receive buffers lost to a crash. */
  partialsLost: number;
  /** Installs made durable, and fully received installs lost to a crash before they were durable. */
  installsCompleted: number;
  installsLost: number;
}

interface Receiving {
  readonly lastIncludedIndex: LogIndex;
  readonly lastIncludedTerm: Term;
  readonly configuration: ClusterConfiguration;
  readonly size: number;
  readonly parts: Uint8Array[];
  bytes: number;
}

/** Snapshot store counters, all zero. */
export function emptySnapshotCounters(): SnapshotStoreCounters {
  return {
    savesStarted: 0,
    savesCompleted: 0,
    savesSuperseded: 0,
    savesLost: 0,
    chunksWritten: 0,
    transfersStarted: 0,
    transfersRestarted: 0,
    partialsLost: 0,
    installsCompleted: 0,
    installsLost: 0,
  };
}

/**
 * One node's simulated snapshot store, modelled like the disk: what is durable is kept apart
 * from what is only in flight, and a crash loses everything in flight.
 *
 * - A local save (the host snapshots its state machine) becomes durable after a seeded delay.
 * - Chunks received from a leader go into a volatile buffer (offset 0 starts a new one); the
 *   last chunk starts an atomic commit that becomes durable after a seeded delay.
 * - A crash loses the save in flight, the partial buffer and the commit in flight; the
 *   durable snapshot is untouched (the "previous state intact" rule of `installSnapshotChunk`).
 *
 * Invariant: the durable snapshot's index never decreases; a write that would replace it
 * with an older one is dropped (a save overtaken by an install) or refused (an install).
 */
export class SimulatedSnapshotStore {
  private durable: DurableSnapshot | undefined;
  private saving: SnapshotWrite | undefined;
  private receiving: Receiving | undefined;
  private committing: SnapshotWrite | undefined;
  /** The simulated time of the latest read (ticks), for retiring idle older snapshots. */
  private now = 0;
  /** Counters over the store's life. */
  readonly counters: SnapshotStoreCounters = emptySnapshotCounters();

  /**
   * Older durable snapshots still being read by a transfer that started with them, with the
   * tick of their last read (a host keeps a transfer's snapshot open; docs/effects.md).
   */
  private readonly older: Map<number, { readonly snapshot: DurableSnapshot; lastRead: number }> = new Map();

  /** Keeps the newest snapshot readable after a newer one replaces it, and forgets idle ones. */
  private retire(previous: DurableSnapshot | undefined, now: number): void {
    if (previous !== undefined) this.older.set(previous.lastIncludedIndex, { snapshot: previous, lastRead: now });
    for (const [index, entry] of this.older) if (now - entry.lastRead > RETAIN_IDLE_TICKS) this.older.delete(index);
  }

  /** The newest durable snapshot, if any. */
  durableSnapshot(): DurableSnapshot | undefined {
    return this.durable;
  }

  /** Index of the newest durable snapshot (0 when none). */
  durableIndex(): number {
    return this.durable?.lastIncludedIndex ?? 0;
  }

  /** What is in flight. */
  activity(): SnapshotActivity {
    const r = this.receiving;
    return {
      saving: this.saving,
      receiving: r === undefined ? undefined : { lastIncludedIndex: r.lastIncludedIndex, bytes: r.bytes },
      committing: this.committing,
    };
  }

  /** `true` while a local save is in flight. */
  isSaving(): boolean {
    return this.saving !== undefined;
  }

  /**
   * Starts a local save that becomes durable at `completeAt`.
   * @throws IllegalStateError when a save is already in flight (the host runs one at a time)
   */
  beginSave(snapshot: DurableSnapshot, completeAt: number): void {
    if (this.saving !== undefined) throw new IllegalStateError(`a snapshot save at ${this.saving.snapshot.lastIncludedIndex} is already in flight`);
    this.saving = { snapshot, completeAt };
    this.counters.savesStarted++;
  }

  /**
   * Makes the save in flight durable. Returns it, or `undefined` when a snapshot at least as
   * new became durable meanwhile (an install overtook it): the save is then dropped.
   * @throws IllegalStateError when no save is in flight
   */
  completeSave(): DurableSnapshot | undefined {
    const write = this.saving;
    if (write === undefined) throw new IllegalStateError('no snapshot save in flight');
    this.saving = undefined;
    if (write.snapshot.lastIncludedIndex <= this.durableIndex()) {
      this.counters.savesSuperseded++;
      return undefined;
    }
    this.retire(this.durable, this.now);
    this.durable = write.snapshot;
    this.counters.savesCompleted++;
    return write.snapshot;
  }

  /**
   * Reads up to `maxBytes` at `offset` of the durable snapshot at `index` — the newest, or the
   * one before it (the `sendSnapshot` contract: a transfer keeps its snapshot); `undefined` when
   * that snapshot is gone.
   */
  read(index: number, offset: number, maxBytes: number, now: number = this.now): { data: Uint8Array; size: number; done: boolean } | undefined {
    this.now = now;
    const older = this.older.get(index);
    if (older !== undefined) older.lastRead = now;
    const snapshot = this.durable?.lastIncludedIndex === index ? this.durable : older?.snapshot;
    if (snapshot === undefined) return undefined;
    const size = snapshot.data.byteLength;
    const start = Math.min(offset, size);
    const data = snapshot.data.subarray(start, Math.min(size, start + maxBytes));
    return { data, size, done: start + data.byteLength >= size };
  }

  /**
   * Writes one received chunk into the volatile buffer (offset 0 starts a new one). Returns
   * the whole snapshot when the chunk is the last one.
   * @throws IllegalStateError when the chunk does not continue the buffer (the core promises
   *   in-order chunks), when its size disagrees with the buffer, or when a commit is in flight
   */
  writeChunk(chunk: InstallSnapshot): DurableSnapshot | undefined {
    if (this.committing !== undefined) {
      throw new IllegalStateError(`chunk at offset ${chunk.offset} of snapshot ${chunk.lastIncludedIndex} while the install of ${this.committing.snapshot.lastIncludedIndex} is being committed`);
    }
    if (chunk.offset === 0) {
      if (this.receiving !== undefined) this.counters.transfersRestarted++;
      this.counters.transfersStarted++;
      this.receiving = {
        lastIncludedIndex: chunk.lastIncludedIndex,
        lastIncludedTerm: chunk.lastIncludedTerm,
        configuration: chunk.configuration,
        size: chunk.size,
        parts: [],
        bytes: 0,
      };
    }
    const r = this.receiving;
    if (r === undefined) throw new IllegalStateError(`chunk at offset ${chunk.offset} of snapshot ${chunk.lastIncludedIndex} without a transfer in progress`);
    if (r.lastIncludedIndex !== chunk.lastIncludedIndex || r.lastIncludedTerm !== chunk.lastIncludedTerm) {
      throw new IllegalStateError(`chunk of snapshot ${chunk.lastIncludedIndex}/${chunk.lastIncludedTerm} written into the transfer of ${r.lastIncludedIndex}/${r.lastIncludedTerm}`);
    }
    if (chunk.offset !== r.bytes) throw new IllegalStateError(`chunk at offset ${chunk.offset} of snapshot ${chunk.lastIncludedIndex}, the buffer holds ${r.bytes} bytes`);
    if (chunk.size !== r.size) throw new IllegalStateError(`chunk says snapshot ${chunk.lastIncludedIndex} has ${chunk.size} bytes, its first chunk said ${r.size}`);
    r.parts.push(chunk.data.slice());
    r.bytes += chunk.data.byteLength;
    this.counters.chunksWritten++;
    if (r.bytes > r.size) throw new IllegalStateError(`snapshot ${r.lastIncludedIndex} received ${r.bytes} bytes, more than its size ${r.size}`);
    if (!chunk.done) return undefined;
    if (r.bytes !== r.size) throw new IllegalStateError(`last chunk of snapshot ${r.lastIncludedIndex} after ${r.bytes} of ${r.size} bytes`);
    const data = new Uint8Array(r.bytes);
    let at = 0;
    for (const part of r.parts) {
      data.set(part, at);
      at += part.byteLength;
    }
    this.receiving = undefined;
    return { lastIncludedIndex: r.lastIncludedIndex, lastIncludedTerm: r.lastIncludedTerm, configuration: r.configuration, data };
  }

  /** Starts the atomic commit of a fully received snapshot, durable at `completeAt`. */
  beginCommit(snapshot: DurableSnapshot, completeAt: number): void {
    this.committing = { snapshot, completeAt };
  }

  /**
   * Makes the received snapshot durable and returns it.
   * @throws IllegalStateError when no commit is in flight or it is older than the durable snapshot
   */
  completeCommit(): DurableSnapshot {
    const write = this.committing;
    if (write === undefined) throw new IllegalStateError('no snapshot install in flight');
    this.committing = undefined;
    if (write.snapshot.lastIncludedIndex <= this.durableIndex()) {
      throw new IllegalStateError(`installing snapshot ${write.snapshot.lastIncludedIndex} over the newer durable snapshot ${this.durableIndex()}`);
    }
    this.retire(this.durable, this.now);
    this.durable = write.snapshot;
    this.counters.installsCompleted++;
    return write.snapshot;
  }

  /** Power loss: the save in flight, the partial buffer and the commit in flight are gone. */
  crash(): { saveLost: boolean; partialLost: boolean; installLost: boolean } {
    const lost = { saveLost: this.saving !== undefined, partialLost: this.receiving !== undefined, installLost: this.committing !== undefined };
    if (lost.saveLost) this.counters.savesLost++;
    if (lost.partialLost) this.counters.partialsLost++;
    if (lost.installLost) this.counters.installsLost++;
    this.saving = undefined;
    this.receiving = undefined;
    this.committing = undefined;
    return lost;
  }
}
