import type { LogEntry } from '@raft/abstractions';

/**
 * A 64-bit running hash kept as two 32-bit lanes (FNV-1a style mixing with different
 * multipliers), used for trace hashes and log-prefix fingerprints. Not cryptographic: it only
 * has to make accidental collisions negligible within one simulation.
 */
export class RunningHash {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  /** Mixes a 32-bit integer (values beyond 32 bits are folded). */
  int(value: number): this {
    const lo = value | 0;
    const hi = Math.floor(value / 4294967296) | 0;
    this.h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ lo, 0x5bd1e995);
    if (hi !== 0) {
      this.h1 = Math.imul(this.h1 ^ hi, 0x01000193);
      this.h2 = Math.imul(this.h2 ^ hi, 0x5bd1e995);
    }
    this.h2 ^= this.h2 >>> 13;
    return this;
  }

  /** Mixes a string (UTF-16 code units and its length). */
  string(value: string): this {
    this.int(value.length);
    for (let i = 0; i < value.length; i++) this.int(value.charCodeAt(i));
    return this;
  }

  /** Mixes bytes and their length. */
  bytes(value: Uint8Array): this {
    this.int(value.byteLength);
    for (let i = 0; i < value.byteLength; i++) {
      this.h1 = Math.imul(this.h1 ^ (value[i] as number), 0x01000193);
      this.h2 = Math.imul(this.h2 ^ (value[i] as number), 0x5bd1e995);
    }
    this.h2 ^= this.h2 >>> 13;
    return this;
  }

  /** The hash as 16 hex digits. */
  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The hash folded into a non-negative safe integer (53 bits). */
  value(): number {
    return (this.h1 >>> 0) * 2097152 + ((this.h2 >>> 0) & 0x1fffff);
  }
}

const KIND_CODE = { command: 1, configuration: 2, noop: 3 } as const;

/** Fingerprint of one log entry: index, term, kind and content. */
export function entryHash(entry: LogEntry): number {
  const h = new RunningHash().int(entry.index).int(entry.term).int(KIND_CODE[entry.kind]);
  switch (entry.kind) {
    case 'command':
      h.bytes(entry.payload);
      if (entry.client !== undefined) h.string(entry.client.clientId).int(entry.client.sequence);
      break;
    case 'configuration':
      for (const id of entry.configuration.voters) h.string(id);
      h.int(-1);
      for (const id of entry.configuration.oldVoters ?? []) h.string(id);
      h.int(-2);
      for (const id of entry.configuration.learners) h.string(id);
      break;
    case 'noop':
      break;
  }
  return h.value();
}

/**
 * Fingerprint of a log prefix ending in an entry: chains the previous prefix's fingerprint
 * with the entry's. Equal prefix hashes at an index mean (with overwhelming probability) the
 * two logs agree on every entry up to it: the Log Matching check (§5.3) in O(1).
 */
export function prefixHash(previous: number, entryFingerprint: number): number {
  return new RunningHash().int(previous).int(entryFingerprint).value();
}
