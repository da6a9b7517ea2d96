import { type ClusterConfiguration, type LogEntry, LogIndex, type NodeId, Term, crc32c } from '@raft/abstractions';
import { FRAME_HEADER_BYTES, RecordType, getU64, paddedSize, setU64 } from './frame.js';

/**
 * Payload of an `entry` record: `u64 index, u64 term, u8 kind`, then by kind:
 * - command (1): `u8 flags` (1 = correlationId, 2 = client), `[str correlationId]`,
 *   `[str clientId, f64 sequence]`, `u32 payloadLength`, payload bytes;
 * - configuration (2): `u8 flags` (1 = joint), `list voters`, `[list oldVoters]`, `list learners`;
 * - noop (3): nothing.
 * `str` is `u32 byteLength` + UTF-8; `list` is `u32 count` + `str` each.
 * Index and term sit at fixed offsets so recovery reads them without decoding the rest.
 */
const KIND = { command: 1, configuration: 2, noop: 3 } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  bytes: Uint8Array;
  view: DataView;
  at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  ensure(more: number): void {
    if (this.at + more <= this.bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.at + more));
    grown.set(this.bytes);
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(value: number): void {
    this.ensure(1);
    this.view.setUint8(this.at, value);
    this.at += 1;
  }
  u32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.at, value, true);
    this.at += 4;
  }
  u64(value: number): void {
    this.ensure(8);
    setU64(this.view, this.at, value);
    this.at += 8;
  }
  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
  }
  raw(bytes: Uint8Array): void {
    this.u32(bytes.byteLength);
    this.ensure(bytes.byteLength);
    this.bytes.set(bytes, this.at);
    this.at += bytes.byteLength;
  }
  str(value: string): void {
    this.raw(encoder.encode(value));
  }
  list(values: readonly string[]): void {
    this.u32(values.length);
    for (const value of values) this.str(value);
  }
}

function estimate(entry: LogEntry): number {
  return paddedSize(96 + (entry.kind === 'command' ? entry.payload.byteLength + 3 * ((entry.correlationId?.length ?? 0) + (entry.client?.clientId.length ?? 0)) : 0));
}

/**
 * Encodes entries as whole `entry` records (frame header, payload, padding), all in one
 * allocation, copying each command payload once. Returns one view per record.
 */
export function encodeEntryFrames(entries: readonly LogEntry[]): Uint8Array[] {
  let capacity = 0;
  for (const entry of entries) capacity += estimate(entry);
  const w = new Writer(capacity);
  const starts: number[] = [];
  for (const entry of entries) {
    const start = w.at;
    starts.push(start);
    w.at = start + FRAME_HEADER_BYTES;
    writeEntry(w, entry);
    const payloadLength = w.at - start - FRAME_HEADER_BYTES;
    const end = start + paddedSize(payloadLength);
    // Writer buffers start zeroed and are written only forward: the padding is already zero.
    w.ensure(end - w.at);
    w.at = end;
    w.view.setUint32(start, payloadLength, true);
    w.bytes[start + 4] = RecordType.entry;
    const headerCrc = crc32c(w.bytes, 0, start, start + 8);
    w.view.setUint32(start + 8, crc32c(w.bytes, headerCrc, start + FRAME_HEADER_BYTES, start + FRAME_HEADER_BYTES + payloadLength), true);
  }
  // Views are taken last: the buffer may have grown (been replaced) while encoding.
  return starts.map((start, k) => w.bytes.subarray(start, starts[k + 1] ?? w.at));
}

function writeEntry(w: Writer, entry: LogEntry): void {
  w.u64(entry.index);
  w.u64(entry.term);
  switch (entry.kind) {
    case 'command': {
      w.u8(KIND.command);
      w.u8((entry.correlationId !== undefined ? 1 : 0) | (entry.client !== undefined ? 2 : 0));
      if (entry.correlationId !== undefined) w.str(entry.correlationId);
      if (entry.client !== undefined) {
        w.str(entry.client.clientId);
        w.f64(entry.client.sequence);
      }
      w.raw(entry.payload);
      break;
    }
    case 'configuration': {
      const c = entry.configuration;
      w.u8(KIND.configuration);
      w.u8(c.oldVoters !== undefined ? 1 : 0);
      w.list(c.voters);
      if (c.oldVoters !== undefined) w.list(c.oldVoters);
      w.list(c.learners);
      break;
    }
    case 'noop':
      w.u8(KIND.noop);
      break;
  }
}

/** Index and term of an encoded entry, read from their fixed offsets. */
export function peekEntry(view: DataView, payloadStart: number): { index: number; term: number } {
  return { index: getU64(view, payloadStart), term: getU64(view, payloadStart + 8) };
}

/** Decodes the payload of an `entry` record (whose CRC was checked); throws on a malformed one. */
export function decodeEntry(bytes: Uint8Array, start: number, length: number): LogEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = start + length;
  let at = start;
  const need = (n: number): void => {
    if (at + n > end) throw new Error('entry record ends early');
  };
  const u8 = (): number => {
    need(1);
    return view.getUint8(at++);
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const raw = (): Uint8Array => {
    const n = u32();
    need(n);
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
  const str = (): string => decoder.decode(raw());
  const list = (): NodeId[] => {
    const n = u32();
    const out: NodeId[] = [];
    for (let k = 0; k < n; k++) out.push(str() as NodeId);
    return out;
  };
  need(17);
  const index = LogIndex(getU64(view, at));
  const term = Term(getU64(view, at + 8));
  at += 16;
  const kind = u8();
  let entry: LogEntry;
  if (kind === KIND.command) {
    const flags = u8();
    const correlationId = flags & 1 ? str() : undefined;
    let client: { clientId: string; sequence: number } | undefined;
    if (flags & 2) {
      const clientId = str();
      need(8);
      const sequence = view.getFloat64(at, true);
      at += 8;
      client = { clientId, sequence };
    }
    const payload = raw();
    entry = {
      index,
      term,
      kind: 'command',
      payload,
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(client !== undefined ? { client } : {}),
    };
  } else if (kind === KIND.configuration) {
    const flags = u8();
    const voters = list();
    const oldVoters = flags & 1 ? list() : undefined;
    const learners = list();
    const configuration: ClusterConfiguration = oldVoters !== undefined ? { voters, oldVoters, learners } : { voters, learners };
    entry = { index, term, kind: 'configuration', configuration };
  } else if (kind === KIND.noop) {
    entry = { index, term, kind: 'noop' };
  } else {
    throw new Error(`unknown entry kind ${kind}`);
  }
  if (at !== end) throw new Error('entry record has trailing bytes');
  return entry;
}
