/**
 * Codec throughput (issue 6): encode + decode of one 64-entry AppendEntries with 100-byte
 * payloads, in messages/s and MB/s of frame, for @raft/codecs next to JSON.stringify/parse of
 * the same message (payloads as base64, the only way JSON carries bytes) and msgpackr's generic
 * pack/unpack, all measured in the same run, interleaved round by round so they share the
 * machine's noise. Median of the rounds.
 *
 * Run: pnpm --filter @raft/benchmarks exec tsx src/run-all.ts codecs
 */
import { isDeepStrictEqual } from 'node:util';
import type { AppendEntries, LogEntry, LogIndex, NodeId, Term } from '@raft/abstractions';
import { decodeMessage, encodeMessage } from '@raft/codecs';
import { Packr, Unpackr } from 'msgpackr';
import { writeReport } from './report.js';

const ENTRIES = 64;
const PAYLOAD_BYTES = 100;
const ROUNDS = 7;
const ROUND_MS = 400;

function makeMessage(): AppendEntries {
  const entries: LogEntry[] = [];
  for (let k = 0; k < ENTRIES; k++) {
    const payload = new Uint8Array(PAYLOAD_BYTES);
    for (let b = 0; b < PAYLOAD_BYTES; b++) payload[b] = (k * 31 + b) & 0xff;
    entries.push({ kind: 'command', index: (100_001 + k) as LogIndex, term: 7 as Term, payload });
  }
  return {
    type: 'AppendEntries',
    from: 'n1' as NodeId,
    to: 'n2' as NodeId,
    term: 7 as Term,
    prevLogIndex: 100_000 as LogIndex,
    prevLogTerm: 7 as Term,
    entries,
    leaderCommit: 99_990 as LogIndex,
    seq: 123_456,
  };
}

interface Candidate {
  readonly name: string;
  /** Encodes and decodes once; returns the encoded size in bytes. */
  readonly roundTrip: () => number;
  readonly encode: () => unknown;
  readonly decode: () => unknown;
  readonly check: () => boolean;
}

const message = makeMessage();

// @raft/codecs
const frame = encodeMessage(message);
const checksummed = encodeMessage(message, { checksum: true });

// JSON: payloads as base64 strings, restored to bytes on parse.
const jsonReplacer = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : value;
const jsonReviver = (key: string, value: unknown): unknown => (key === 'payload' && typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : value);
const json = JSON.stringify(message, jsonReplacer);

// msgpackr, generic (maps with keys; no shared structures between peers).
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const packed = packr.pack(message);

const candidates: Candidate[] = [
  {
    name: '@raft/codecs',
    roundTrip: () => {
      const bytes = encodeMessage(message);
      decodeMessage(bytes);
      return bytes.length;
    },
    encode: () => encodeMessage(message),
    decode: () => decodeMessage(frame),
    check: () => isDeepStrictEqual(decodeMessage(frame), message),
  },
  {
    name: '@raft/codecs + CRC-32C',
    roundTrip: () => {
      const bytes = encodeMessage(message, { checksum: true });
      decodeMessage(bytes, { requireChecksum: true });
      return bytes.length;
    },
    encode: () => encodeMessage(message, { checksum: true }),
    decode: () => decodeMessage(checksummed, { requireChecksum: true }),
    check: () => isDeepStrictEqual(decodeMessage(checksummed), message),
  },
  {
    name: 'JSON.stringify/parse (base64 payloads)',
    roundTrip: () => {
      const text = JSON.stringify(message, jsonReplacer);
      JSON.parse(text, jsonReviver);
      return text.length; // ASCII: characters = bytes
    },
    encode: () => JSON.stringify(message, jsonReplacer),
    decode: () => JSON.parse(json, jsonReviver),
    check: () => isDeepStrictEqual(JSON.parse(json, jsonReviver), message),
  },
  {
    name: 'msgpackr pack/unpack (generic maps)',
    roundTrip: () => {
      const bytes = packr.pack(message);
      unpackr.unpack(bytes);
      return bytes.length;
    },
    encode: () => packr.pack(message),
    decode: () => unpackr.unpack(packed),
    check: () => {
      const back = unpackr.unpack(packed) as AppendEntries;
      return back.entries.length === ENTRIES && isDeepStrictEqual(new Uint8Array((back.entries[5] as { payload: Uint8Array }).payload), (message.entries[5] as { payload: Uint8Array }).payload);
    },
  },
];

/** Runs `fn` for about `ms` milliseconds; returns calls per second. */
function rate(fn: () => unknown, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 50; k++) fn();
    calls += 50;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

for (const c of candidates) {
  if (!c.check()) throw new Error(`${c.name} does not round-trip the message`);
}
// Warm-up: let every candidate's code reach the optimising compiler before measuring.
for (const c of candidates) rate(c.roundTrip, 300);

const samples = new Map(candidates.map((c) => [c.name, { roundTrip: [] as number[], encode: [] as number[], decode: [] as number[] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const c of candidates) {
    const s = samples.get(c.name)!;
    s.roundTrip.push(rate(c.roundTrip, ROUND_MS));
    s.encode.push(rate(c.encode, ROUND_MS / 2));
    s.decode.push(rate(c.decode, ROUND_MS / 2));
  }
}

const sizes: Record<string, number> = {
  '@raft/codecs': frame.length,
  '@raft/codecs + CRC-32C': checksummed.length,
  'JSON.stringify/parse (base64 payloads)': json.length,
  'msgpackr pack/unpack (generic maps)': packed.length,
};
const jsonName = 'JSON.stringify/parse (base64 payloads)';
const jsonRate = median(samples.get(jsonName)!.roundTrip);
const rows = candidates.map((c) => {
  const s = samples.get(c.name)!;
  const perSecond = median(s.roundTrip);
  const bytes = sizes[c.name] as number;
  return {
    codec: c.name,
    'bytes/message': bytes,
    'encode+decode msg/s': Math.round(perSecond),
    'MB/s (frame bytes)': Number(((perSecond * bytes) / 1e6).toFixed(1)),
    'encode msg/s': Math.round(median(s.encode)),
    'decode msg/s': Math.round(median(s.decode)),
    'vs JSON': `${(perSecond / jsonRate).toFixed(1)}×`,
  };
});
const ours = median(samples.get('@raft/codecs')!.roundTrip);

writeReport({
  name: 'codecs',
  description: `Encode + decode of one AppendEntries with ${ENTRIES} entries of ${PAYLOAD_BYTES}-byte payloads, single thread, median of ${ROUNDS} interleaved rounds (${process.version}).`,
  rows,
  reference: {
    'JSON encode+decode msg/s (same run)': Math.round(jsonRate),
    'machine.md (other run): JSON': '7.3 k/s',
    'machine.md: msgpackr records': '18.6 k/s',
    'machine.md: hand-rolled': '51 k/s',
  },
  targets: [{ what: 'codec throughput vs JSON, same run', target: '≥ 3×', actual: `${(ours / jsonRate).toFixed(1)}×`, met: ours >= 3 * jsonRate }],
});
