/**
 * The byte layout of docs/wire-format.md, checked byte for byte, and every rule the decoder
 * enforces, each with a frame that breaks it. Bodies of hostile frames are built with msgpackr,
 * an independent MessagePack encoder.
 */
import { CodecError, type LogIndex, RAFT_MESSAGE_TYPES, type NodeId, type RaftMessage, type Term } from '@raft/abstractions';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPE_CODES, WIRE_VERSION, decodeMessage, encodeMessage, readFrameHeader } from '../src/index.js';
import { codeOf, frame, hex, packedFrame } from './helpers.js';

const n1 = 'n1' as NodeId;
const n2 = 'n2' as NodeId;
const t = (n: number): Term => n as Term;
const i = (n: number): LogIndex => n as LogIndex;

const requestVote: RaftMessage = { type: 'RequestVote', from: n1, to: n2, term: t(5), lastLogIndex: i(10), lastLogTerm: t(4), preVote: false, leadershipTransfer: false };
const appendEntries: RaftMessage = {
  type: 'AppendEntries',
  from: n1,
  to: n2,
  term: t(3),
  prevLogIndex: i(7),
  prevLogTerm: t(2),
  leaderCommit: i(6),
  seq: 300,
  entries: [
    { kind: 'command', index: i(8), term: t(3), payload: new Uint8Array([0xde, 0xad]) },
    { kind: 'noop', index: i(9), term: t(3) },
  ],
};

const AE = MESSAGE_TYPE_CODES.AppendEntries;
const RV = MESSAGE_TYPE_CODES.RequestVote;
const IS = MESSAGE_TYPE_CODES.InstallSnapshot;
/** A valid AppendEntries body as positional fields, for tests to break one field at a time. */
const aeFields = (entries: unknown[] = [], over: Partial<Record<number, unknown>> = {}): unknown[] => {
  const fields: unknown[] = ['n1', 'n2', 3, 7, 2, 6, 300, entries];
  for (const [k, v] of Object.entries(over)) fields[Number(k)] = v;
  return fields;
};
const rvFields = (over: Partial<Record<number, unknown>> = {}): unknown[] => {
  const fields: unknown[] = ['n1', 'n2', 5, 10, 4, false, false];
  for (const [k, v] of Object.entries(over)) fields[Number(k)] = v;
  return fields;
};
const isFields = (over: Partial<Record<number, unknown>> = {}): unknown[] => {
  const fields: unknown[] = ['n1', 'n2', 5, 100, 4, [['n1', 'n2'], [], null], 0, 10, true, new Uint8Array(10)];
  for (const [k, v] of Object.entries(over)) fields[Number(k)] = v;
  return fields;
};

describe('byte layout (docs/wire-format.md)', () => {
  it('RequestVote: header then [from, to, term, lastLogIndex, lastLogTerm, preVote, leadershipTransfer]', () => {
    expect(hex(encodeMessage(requestVote))).toBe('52460101' + '00' + '0000000c' + '97' + 'a26e31' + 'a26e32' + '05' + '0a' + '04' + 'c2' + 'c2');
  });

  it('AppendEntries: entries as [kind, index, term, …] with the payload as bin', () => {
    expect(hex(encodeMessage(appendEntries))).toBe(
      '52460103' + '00' + '0000001d' + '98' + 'a26e31' + 'a26e32' + '03' + '07' + '02' + '06' + 'cd012c' + '92' + '960108' + '03' + 'c402dead' + 'c0c0' + '93030903',
    );
  });

  it('the checksum flag appends the CRC-32C of header and body', () => {
    const summed = encodeMessage(requestVote, { checksum: true });
    // Flags 0x01; the length counts the 4 trailer bytes.
    expect(hex(summed.subarray(0, 9))).toBe('524601010100000010');
    expect(summed.length).toBe(9 + 12 + 4);
    expect(hex(summed.subarray(9, 21))).toBe(hex(encodeMessage(requestVote).subarray(9)));
  });

  it('the checksum is the CRC-32C (Castagnoli) of header and body, as a big-endian uint32', () => {
    // An independent bit-at-a-time CRC-32C, anchored on the standard check value.
    const castagnoli = (bytes: Uint8Array): number => {
      let crc = 0xffffffff;
      for (const b of bytes) {
        crc ^= b;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    expect(castagnoli(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    // Short frames and one long enough for the sliced CRC path (a 1000-byte payload).
    const long: RaftMessage = { ...appendEntries, entries: [{ kind: 'command', index: i(8), term: t(3), payload: new Uint8Array(1000).map((_, k) => k * 31) }] };
    for (const message of [requestVote, appendEntries, long]) {
      const summed = encodeMessage(message, { checksum: true });
      const trailer = new DataView(summed.buffer, summed.byteOffset + summed.length - 4, 4).getUint32(0);
      expect(trailer).toBe(castagnoli(summed.subarray(0, summed.length - 4)));
      expect(decodeMessage(summed, { requireChecksum: true })).toEqual(message);
    }
  });

  it('integers take their shortest MessagePack form; above 2^32 a uint64', () => {
    const big = encodeMessage({ type: 'TimeoutNow', from: n1, to: n2, term: t(Number.MAX_SAFE_INTEGER) });
    expect(hex(big.subarray(9))).toBe('93a26e31a26e32cf001fffffffffffff');
    const mid = encodeMessage({ type: 'TimeoutNow', from: n1, to: n2, term: t(70_000) });
    expect(hex(mid.subarray(9))).toBe('93a26e31a26e32ce00011170');
  });

  it('message type codes are 1–7 in the order of RAFT_MESSAGE_TYPES', () => {
    expect(RAFT_MESSAGE_TYPES.map((type) => MESSAGE_TYPE_CODES[type])).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('readFrameHeader reports version, type, flags and size', () => {
    expect(readFrameHeader(encodeMessage(appendEntries))).toEqual({ version: WIRE_VERSION, typeCode: 3, type: 'AppendEntries', checksummed: false, frameBytes: 9 + 29 });
  });
});

describe('interoperability with another MessagePack implementation (msgpackr)', () => {
  it('decodes bodies msgpackr packs, whatever integer form it picks (float64 above 2^32)', () => {
    const decoded = decodeMessage(packedFrame(AE, aeFields([[1, 8, 3, new Uint8Array([1]), 'req-1', ['client-a', 2 ** 40]]])));
    expect(decoded).toMatchObject({ type: 'AppendEntries', entries: [{ kind: 'command', correlationId: 'req-1', client: { clientId: 'client-a', sequence: 2 ** 40 } }] });
  });

  it('accepts integral floats and non-negative signed integers for integer fields', () => {
    const body = new Uint8Array([0x93, 0xa2, 0x6e, 0x31, 0xa2, 0x6e, 0x32, 0xcb, ...new Uint8Array(new Float64Array([7]).buffer).reverse()]);
    expect(decodeMessage(frame(MESSAGE_TYPE_CODES.TimeoutNow, body))).toEqual({ type: 'TimeoutNow', from: 'n1', to: 'n2', term: 7 });
    const int8 = new Uint8Array([0x93, 0xa2, 0x6e, 0x31, 0xa2, 0x6e, 0x32, 0xd0, 0x05]);
    expect(decodeMessage(frame(MESSAGE_TYPE_CODES.TimeoutNow, int8))).toMatchObject({ term: 5 });
  });
});

describe('the decoder refuses, with a typed CodecError', () => {
  const valid = encodeMessage(requestVote);

  it('a frame that is not one: bad magic, short header, wrong declared length', () => {
    const bad = valid.slice();
    bad[0] = 0x00;
    expect(codeOf(() => decodeMessage(bad))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(valid.subarray(0, 8)))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(valid.subarray(0, valid.length - 1)))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(new Uint8Array([...valid, 0])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage('RF' as unknown as Uint8Array))).toBe('CODEC_MALFORMED');
  });

  it('another wire-format version: CODEC_UNSUPPORTED_VERSION', () => {
    for (const version of [0, 2, 255]) {
      const other = valid.slice();
      other[2] = version;
      expect(codeOf(() => decodeMessage(other))).toBe('CODEC_UNSUPPORTED_VERSION');
    }
  });

  it('a frame above maxFrameBytes: CODEC_FRAME_TOO_LARGE, judged on the header alone', () => {
    expect(codeOf(() => decodeMessage(valid, { maxFrameBytes: valid.length - 1 }))).toBe('CODEC_FRAME_TOO_LARGE');
    expect(decodeMessage(valid, { maxFrameBytes: valid.length })).toEqual(requestVote);
    const huge = frame(RV, new Uint8Array(0), { length: 0xffff_ffff });
    expect(codeOf(() => decodeMessage(huge))).toBe('CODEC_FRAME_TOO_LARGE');
  });

  it('an unknown or non-message frame type, or unknown flag bits', () => {
    for (const type of [0x00, 0x08, 0x40, 0x41, 0xff]) expect(codeOf(() => decodeMessage(packedFrame(type, rvFields())))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(frame(RV, pack(rvFields()), { flags: 0x02 })))).toBe('CODEC_MALFORMED');
  });

  it('a checksum that does not match, or a missing checksum when one is required', () => {
    const summed = encodeMessage(requestVote, { checksum: true });
    for (let k = 0; k < summed.length; k++) {
      if (k === 4) continue; // flipping the flag itself changes the framing, covered below
      const corrupt = summed.slice();
      corrupt[k] = (corrupt[k] as number) ^ 0x10;
      expect(codeOf(() => decodeMessage(corrupt))).not.toBe('no error');
    }
    expect(codeOf(() => decodeMessage(valid, { requireChecksum: true }))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(frame(RV, new Uint8Array(2), { flags: 0x01 })))).toBe('CODEC_MALFORMED');
  });

  it('trailing bytes, a wrong number of fields, a map or an extension instead of the body array', () => {
    expect(codeOf(() => decodeMessage(frame(RV, new Uint8Array([...pack(rvFields()), 0xc0]))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields().slice(0, 6))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(RV, [...rvFields(), 1])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(frame(RV, pack({ from: 'n1' }))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(frame(RV, pack(new Date(0)))))).toBe('CODEC_MALFORMED');
  });

  it('node ids that are empty, longer than 255 characters, not strings, or not UTF-8', () => {
    expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 0: '' }))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 1: 'x'.repeat(256) }))))).toBe('CODEC_MALFORMED');
    expect(decodeMessage(packedFrame(RV, rvFields({ 1: 'x'.repeat(255) })))).toMatchObject({ to: 'x'.repeat(255) });
    expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 0: 42 }))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 0: new Uint8Array([0x6e]) }))))).toBe('CODEC_MALFORMED');
    const badUtf8 = new Uint8Array([0x97, 0xa2, 0xc3, 0x28, 0xa2, 0x6e, 0x32, 5, 10, 4, 0xc2, 0xc2]);
    expect(codeOf(() => decodeMessage(frame(RV, badUtf8)))).toBe('CODEC_MALFORMED');
  });

  it('terms and indices that are negative, fractional, above 2^53 − 1 or not numbers', () => {
    for (const bad of [-1, -(2 ** 40), 1.5, 2 ** 53, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, '5', true, null]) {
      expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 2: bad })))), String(bad)).toBe('CODEC_MALFORMED');
    }
    const uint64 = (high: number, low: number) => {
      const body = new Uint8Array([0x93, 0xa2, 0x6e, 0x31, 0xa2, 0x6e, 0x32, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0]);
      new DataView(body.buffer).setUint32(8, high);
      new DataView(body.buffer).setUint32(12, low);
      return frame(MESSAGE_TYPE_CODES.TimeoutNow, body);
    };
    expect(decodeMessage(uint64(0x1f_ffff, 0xffff_ffff))).toMatchObject({ term: Number.MAX_SAFE_INTEGER });
    expect(codeOf(() => decodeMessage(uint64(0x20_0000, 0)))).toBe('CODEC_MALFORMED');
  });

  it('booleans that are not booleans', () => {
    for (const bad of [0, 1, 'true', null]) expect(codeOf(() => decodeMessage(packedFrame(RV, rvFields({ 5: bad }))))).toBe('CODEC_MALFORMED');
  });

  it('entries not contiguous from prevLogIndex + 1', () => {
    expect(decodeMessage(packedFrame(AE, aeFields([[3, 8, 3], [3, 9, 3]])))).toMatchObject({ entries: [{ index: 8 }, { index: 9 }] });
    expect(codeOf(() => decodeMessage(packedFrame(AE, aeFields([[3, 9, 3]]))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(AE, aeFields([[3, 8, 3], [3, 8, 3]]))))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(packedFrame(AE, aeFields([[3, 8, 3]], { 3: Number.MAX_SAFE_INTEGER }))))).toBe('CODEC_MALFORMED');
  });

  it('entries of an unknown kind or with the wrong fields', () => {
    for (const bad of [
      [0, 8, 3],
      [4, 8, 3],
      ['noop', 8, 3],
      [3, 8],
      [3, 8, 3, null],
      [1, 8, 3, new Uint8Array(1)],
      [1, 8, 3, 'not bytes', null, null],
      [1, 8, 3, new Uint8Array(1), 42, null],
      [1, 8, 3, new Uint8Array(1), null, ['c']],
      [1, 8, 3, new Uint8Array(1), null, ['c', -1]],
      [2, 8, 3, [[], []]],
      [2, 8, 3, [['n1'], [], null], 'extra'],
      'not an entry',
    ]) {
      expect(codeOf(() => decodeMessage(packedFrame(AE, aeFields([bad])))), JSON.stringify(bad)).toBe('CODEC_MALFORMED');
    }
  });

  it('configurations that list a member twice (a joint C_old may overlap C_new)', () => {
    const withConfig = (c: unknown) => packedFrame(IS, isFields({ 5: c }));
    expect(codeOf(() => decodeMessage(withConfig([['n1', 'n1'], [], null])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(withConfig([['n1'], ['n1'], null])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(withConfig([['n1'], ['n2', 'n2'], null])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(withConfig([['n1'], [], ['n2', 'n2']])))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeMessage(withConfig([['n1'], [], ['']])))).toBe('CODEC_MALFORMED');
    expect(decodeMessage(withConfig([['n1', 'n2'], ['n3'], ['n1', 'n3']]))).toMatchObject({ configuration: { voters: ['n1', 'n2'], oldVoters: ['n1', 'n3'], learners: ['n3'] } });
  });

  it('a snapshot chunk that extends past the snapshot size', () => {
    expect(decodeMessage(packedFrame(IS, isFields({ 6: 0, 7: 10 })))).toMatchObject({ offset: 0, size: 10 });
    expect(codeOf(() => decodeMessage(packedFrame(IS, isFields({ 6: 1, 7: 10 }))))).toBe('CODEC_MALFORMED');
  });

  it('a count declaring more elements than bytes remain, before allocating for it', () => {
    // Header, then an array32 of 2^32 − 1 entries in a frame of a few bytes.
    const body = new Uint8Array([...pack(aeFields()).subarray(0, -1), 0xdd, 0xff, 0xff, 0xff, 0xff]);
    const error = (() => {
      try {
        decodeMessage(frame(AE, body));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe('CODEC_MALFORMED');
    expect((error as CodecError).message).toMatch(/declares 4294967295 elements/);
  });

  it('names the field and byte offset in the message', () => {
    expect(() => decodeMessage(packedFrame(RV, rvFields({ 3: -1 })))).toThrow(/RequestVote\.lastLogIndex: .* \(at byte \d+\)/);
  });
});
