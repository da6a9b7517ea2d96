/**
 * Fuzzing the decoder (issue 6; reliability S10): random bytes, random bodies behind a valid
 * header, and valid frames mutated (bit flips, byte overwrites, truncation, insertion,
 * deletion). The only outcomes allowed are a message the oracle finds valid or a CodecError
 * with one of the three codec codes. Seeded; a failure prints the seed and the shrunk input.
 */
import { isRaftError } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPE_CODES, decodeMessage, encodeMessage } from '../src/index.js';
import { anyMessage } from './arbitraries.js';
import { CODEC_CODES, SEED, frame } from './helpers.js';
import { messageProblem } from './oracle.js';

/** Decodes and checks the outcome is allowed; returns which it was. */
function judge(bytes: Uint8Array): 'message' | 'error' {
  let decoded: unknown;
  try {
    decoded = decodeMessage(bytes, { maxFrameBytes: 1 << 20 });
  } catch (error) {
    if (!(isRaftError(error) && CODEC_CODES.includes(error.code))) {
      throw new Error(`decoder threw something other than a CodecError: ${String(error)}`, { cause: error });
    }
    return 'error';
  }
  const problem = messageProblem(decoded);
  if (problem !== undefined) throw new Error(`decoder returned an invalid message: ${problem}`);
  // What decodes must survive a re-encode and decode unchanged.
  expect(decodeMessage(encodeMessage(decoded as never))).toStrictEqual(decoded);
  return 'message';
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xc0, 0xc2, 0xc3, 0xcc, 0xcf, 0xd3, 0xdc, 0xdd, 0xff) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }),
);

/** Applies a mutation to the body only (bytes 9+), patching the length so the frame still parses as one. */
function mutateBody(frameBytes: Uint8Array, m: Mutation): Uint8Array {
  const body = Array.from(frameBytes.subarray(9));
  const at = body.length === 0 ? 0 : m.at % (body.length + (m.kind === 'insert' ? 1 : 0));
  switch (m.kind) {
    case 'flip':
      if (body.length > 0) body[at] = (body[at] as number) ^ (1 << m.bit);
      break;
    case 'set':
      if (body.length > 0) body[at] = m.value;
      break;
    case 'truncate':
      body.length = at;
      break;
    case 'insert':
      body.splice(at, 0, ...m.bytes);
      break;
    case 'delete':
      body.splice(at, m.count);
      break;
  }
  return frame(frameBytes[3] as number, new Uint8Array(body));
}

/** Applies a mutation anywhere, header included, without fixing anything up. */
function mutateRaw(frameBytes: Uint8Array, m: Mutation): Uint8Array {
  return new Uint8Array(mutateBody(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, ...frameBytes]), m).subarray(9));
}

describe('decoder fuzzing: only a valid message or a CodecError', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        judge(bytes);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('random bodies behind a valid header of every message type', () => {
    const types = Object.values(MESSAGE_TYPE_CODES);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 120 }), (type, body) => {
        judge(frame(type, body));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('valid frames with one to four body mutations (length patched, so the body decoder is reached)', () => {
    let messages = 0;
    fc.assert(
      fc.property(anyMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (message, mutations) => {
        const mutated = mutations.reduce(mutateBody, encodeMessage(message));
        if (judge(mutated) === 'message') messages++;
      }),
      { seed: SEED, numRuns: 4000 },
    );
    // Some mutations keep the frame valid (a flipped payload byte, a changed term): the fuzzer
    // must see both outcomes, or it is not exploring the body decoder at all.
    expect(messages).toBeGreaterThan(0);
  });

  it('valid frames with raw mutations anywhere (header included, length not patched)', () => {
    fc.assert(
      fc.property(anyMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (message, mutations, checksum) => {
        judge(mutations.reduce(mutateRaw, encodeMessage(message, { checksum })));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('a checksummed frame with any single corrupted byte never decodes', () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, xor) => {
        const summed = encodeMessage(message, { checksum: true });
        const k = at % summed.length;
        const corrupt = summed.slice();
        corrupt[k] = (corrupt[k] as number) ^ xor;
        expect(judge(corrupt)).toBe('error');
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
