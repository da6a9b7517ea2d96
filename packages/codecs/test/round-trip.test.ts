import { RAFT_MESSAGE_TYPES, type RaftMessage } from '@raft/abstractions';
import fc from 'fast-check';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, decodeMessage, encodeMessage, encodeMessages, readFrameHeader } from '../src/index.js';
import { MESSAGE_ARBITRARIES, anyMessage } from './arbitraries.js';
import { SEED } from './helpers.js';
import { messageProblem } from './oracle.js';

describe('encode → decode round trip', () => {
  it('covers every message type', () => {
    expect(Object.keys(MESSAGE_ARBITRARIES).sort()).toEqual([...RAFT_MESSAGE_TYPES].sort());
  });

  for (const type of RAFT_MESSAGE_TYPES) {
    it(`${type}: decode(encode(m)) equals m, and m is valid by the oracle`, () => {
      fc.assert(
        fc.property(MESSAGE_ARBITRARIES[type] as fc.Arbitrary<RaftMessage>, (message) => {
          expect(messageProblem(message)).toBeUndefined(); // the generator makes only valid messages
          const decoded = decodeMessage(encodeMessage(message));
          expect(decoded).toStrictEqual(message);
          expect(messageProblem(decoded)).toBeUndefined();
        }),
        { seed: SEED, numRuns: 300 },
      );
    });
  }

  it('with a checksum trailer: same message, frame 4 bytes longer, flag set', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const plain = encodeMessage(message);
        const summed = encodeMessage(message, { checksum: true });
        expect(summed.length).toBe(plain.length + 4);
        expect(readFrameHeader(summed).checksummed).toBe(true);
        expect(decodeMessage(summed, { requireChecksum: true })).toStrictEqual(message);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('encodeMessages is the concatenation of encodeMessage, and a FrameDecoder splits it back', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { maxLength: 8 }), fc.boolean(), (messages, checksum) => {
        const batch = encodeMessages(messages, { checksum });
        expect(batch).toEqual(new Uint8Array(Buffer.concat(messages.map((m) => encodeMessage(m, { checksum })))));
        const frames = new FrameDecoder().push(batch);
        expect(frames.map((f) => decodeMessage(f))).toStrictEqual(messages);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('the body is standard MessagePack: msgpackr reads it as the documented positional array', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const body = encodeMessage(message).subarray(9);
        const fields = new Unpackr({ int64AsType: 'number' }).unpack(body) as unknown[];
        expect(Array.isArray(fields)).toBe(true);
        expect(fields.slice(0, 3)).toEqual([message.from, message.to, message.term]);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('payloads decode as views of the frame, not copies', () => {
    const message: RaftMessage = {
      type: 'AppendEntries',
      from: 'n1' as RaftMessage['from'],
      to: 'n2' as RaftMessage['to'],
      term: 2 as RaftMessage['term'],
      prevLogIndex: 0 as never,
      prevLogTerm: 0 as never,
      leaderCommit: 0 as never,
      seq: 1,
      entries: [{ kind: 'command', index: 1 as never, term: 2 as never, payload: new Uint8Array([1, 2, 3]) }],
    };
    const frame = encodeMessage(message);
    const decoded = decodeMessage(frame) as Extract<RaftMessage, { type: 'AppendEntries' }>;
    const entry = decoded.entries[0];
    if (entry?.kind !== 'command') throw new Error('expected a command entry');
    expect(entry.payload.buffer).toBe(frame.buffer);
    expect(entry.payload.constructor).toBe(Uint8Array);
    // A Buffer frame (what a socket delivers) still yields plain Uint8Array views.
    const fromBuffer = decodeMessage(Buffer.from(frame)) as typeof decoded;
    expect((fromBuffer.entries[0] as { payload: Uint8Array }).payload.constructor).toBe(Uint8Array);
  });
});
