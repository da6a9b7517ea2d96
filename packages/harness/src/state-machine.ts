import {
  type ClusterConfiguration,
  IllegalStateError,
  type LogEntry,
  LogIndex,
  type NodeId,
  Term,
} from '@raft/abstractions';
import { entryHash, prefixHash } from './hash.js';

const KIND_CODE = { command: 1, configuration: 2, noop: 3 } as const;
/** A command with a client identity: body `[f64 sequence][u16 id length][id][payload]`. */
const CLIENT_COMMAND = 4;
const RECORD_HEADER_BYTES = 13; // u32 index, u32 term, u8 kind, u32 body length

/**
 * The simulator's state machine: its state is the journal of every entry applied, in order
 * (commands with their client identity, no-ops and configurations), and its fingerprint after index `i` is the chained
 * hash of entries `1..i` — the same fingerprint the invariant checker keeps for log prefixes,
 * so a state restored from a snapshot can be compared with the committed log.
 *
 * Its snapshot is its serialized state: one record per entry,
 * `[u32 index][u32 term][u8 kind][u32 length][body]` (body: the command payload, the
 * configuration as JSON, nothing for a no-op). The encoding is built lazily and kept
 * incrementally (an append-only buffer), so a snapshot costs only the entries applied since the
 * previous one, and restoring one costs O(size).
 *
 * Invariant: `entries[i].index === i + 1` (no gaps), and `fingerprints[i]` is the chained hash
 * of `entries[0..i]`.
 */
export class JournalStateMachine {
  private readonly entries: LogEntry[] = [];
  private readonly fingerprints: number[] = [];
  /** `ends[i]` = byte length of the encoding of entries `0..i` (for the first `ends.length` entries). */
  private readonly ends: number[] = [];
  private buffer = new Uint8Array(256);
  private used = 0;

  /** Index of the last applied entry (0 when empty). */
  get index(): number {
    return this.entries.length;
  }

  /** Fingerprint of the state after `index` (0 for the empty state). */
  fingerprintAt(index: number): number {
    if (index === 0) return 0;
    const f = this.fingerprints[index - 1];
    if (f === undefined) throw new IllegalStateError(`state machine has applied up to ${this.index}, not ${index}`);
    return f;
  }

  /** Fingerprint of the current state. */
  fingerprint(): number {
    return this.fingerprintAt(this.index);
  }

  /** The entry applied at `index`, if any. */
  entryAt(index: number): LogEntry | undefined {
    return this.entries[index - 1];
  }

  /** Every applied entry, in order (a copy). */
  journal(): LogEntry[] {
    return [...this.entries];
  }

  /**
   * Applies the next entry.
   * @throws IllegalStateError when it does not follow the last applied index
   */
  apply(entry: LogEntry): void {
    if (entry.index !== this.index + 1) throw new IllegalStateError(`state machine at ${this.index} asked to apply index ${entry.index}`);
    this.fingerprints.push(prefixHash(this.fingerprint(), entryHash(entry)));
    this.entries.push(entry);
  }

  /**
   * The configuration in force at `index`: the newest configuration entry at or below it, or
   * `fallback` (the bootstrap configuration) when there is none.
   */
  configurationAt(index: number, fallback: ClusterConfiguration): ClusterConfiguration {
    for (let i = Math.min(index, this.index); i >= 1; i--) {
      const entry = this.entries[i - 1] as LogEntry;
      if (entry.kind === 'configuration') return entry.configuration;
    }
    return fallback;
  }

  /**
   * The serialized state after `index` (a view of the append-only encoding: never modified later).
   * @throws IllegalStateError beyond the applied index
   */
  snapshotData(index: number): Uint8Array {
    if (index > this.index) throw new IllegalStateError(`snapshot at ${index} beyond the applied index ${this.index}`);
    while (this.ends.length < index) this.encode(this.entries[this.ends.length] as LogEntry);
    return this.buffer.subarray(0, index === 0 ? 0 : (this.ends[index - 1] as number));
  }

  /**
   * Rebuilds a state machine from snapshot data.
   * @throws IllegalStateError when the data is not a well-formed journal starting at index 1
   */
  static restore(data: Uint8Array): JournalStateMachine {
    const machine = new JournalStateMachine();
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const decoder = new TextDecoder();
    let at = 0;
    while (at < data.byteLength) {
      if (at + RECORD_HEADER_BYTES > data.byteLength) throw new IllegalStateError(`snapshot data truncated in a record header at byte ${at}`);
      const index = view.getUint32(at);
      const term = view.getUint32(at + 4);
      const kind = view.getUint8(at + 8);
      const length = view.getUint32(at + 9);
      const start = at + RECORD_HEADER_BYTES;
      if (start + length > data.byteLength) throw new IllegalStateError(`snapshot data truncated in the body of entry ${index}`);
      const body = data.subarray(start, start + length);
      at = start + length;
      let entry: LogEntry;
      if (kind === KIND_CODE.command) entry = { kind: 'command', index: LogIndex(index), term: Term(term), payload: body.slice() };
      else if (kind === CLIENT_COMMAND) {
        const b = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const sequence = b.getFloat64(0);
        const idLength = b.getUint16(8);
        const clientId = decoder.decode(body.subarray(10, 10 + idLength));
        entry = { kind: 'command', index: LogIndex(index), term: Term(term), payload: body.slice(10 + idLength), client: { clientId, sequence } };
      }
      else if (kind === KIND_CODE.noop) entry = { kind: 'noop', index: LogIndex(index), term: Term(term) };
      else if (kind === KIND_CODE.configuration) {
        const c = JSON.parse(decoder.decode(body)) as { voters: NodeId[]; oldVoters?: NodeId[]; learners: NodeId[] };
        const configuration: ClusterConfiguration = c.oldVoters === undefined ? { voters: c.voters, learners: c.learners } : { voters: c.voters, oldVoters: c.oldVoters, learners: c.learners };
        entry = { kind: 'configuration', index: LogIndex(index), term: Term(term), configuration };
      } else throw new IllegalStateError(`snapshot data has an unknown entry kind ${kind} at entry ${index}`);
      machine.apply(entry);
    }
    return machine;
  }

  private encode(entry: LogEntry): void {
    let body: Uint8Array;
    let kind: number = KIND_CODE[entry.kind];
    switch (entry.kind) {
      case 'command':
        if (entry.client === undefined) body = entry.payload;
        else {
          const id = new TextEncoder().encode(entry.client.clientId);
          body = new Uint8Array(10 + id.byteLength + entry.payload.byteLength);
          const b = new DataView(body.buffer);
          b.setFloat64(0, entry.client.sequence);
          b.setUint16(8, id.byteLength);
          body.set(id, 10);
          body.set(entry.payload, 10 + id.byteLength);
          kind = CLIENT_COMMAND;
        }
        break;
      case 'configuration':
        body = new TextEncoder().encode(JSON.stringify(entry.configuration));
        break;
      case 'noop':
        body = new Uint8Array(0);
        break;
    }
    const need = this.used + RECORD_HEADER_BYTES + body.byteLength;
    if (need > this.buffer.byteLength) {
      // Grow into a new buffer: views handed out earlier keep the old one, whose bytes never change.
      const grown = new Uint8Array(Math.max(need, this.buffer.byteLength * 2));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset);
    view.setUint32(this.used, entry.index);
    view.setUint32(this.used + 4, entry.term);
    view.setUint8(this.used + 8, kind);
    view.setUint32(this.used + 9, body.byteLength);
    this.buffer.set(body, this.used + RECORD_HEADER_BYTES);
    this.used = need;
    this.ends.push(need);
  }
}
