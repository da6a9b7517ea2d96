import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, formatCrc32c, isRaftError } from '../src/index.js';

/** Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): slow, obviously right, no tables. */
function reference(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** `bytes` copied to `offset` bytes into a fresh buffer with junk around it, as a view. */
function placedAt(bytes: Uint8Array, offset: number, junk = 0xa5): Uint8Array {
  const buffer = new Uint8Array(offset + bytes.length + 19).fill(junk);
  buffer.set(bytes, offset);
  return buffer.subarray(offset, offset + bytes.length);
}

// The implementation has four stages: aligned 32-bit words, 16 bytes a step (128 bytes and more,
// after an alignment prologue); 16-byte steps read byte by byte (shorter inputs, and what the word
// loop leaves); one 8-byte step; single bytes (the last 0-7). Lengths up to a few hundred bytes cover every loop and tail
// length; a few longer ones cover many steps.
const someBytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 300, maxLength: 5000 }));

describe('crc32c: known values', () => {
  it('gives the standard check value: crc32c("123456789") = 0xe3069283', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(reference(ascii('123456789'))).toBe(0xe3069283);
  });

  it('gives the RFC 3720 (iSCSI) B.4 test vectors (32 bytes each)', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, k) => k))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, k) => 31 - k))).toBe(0x113fdb5c);
  });

  it('is 0 for no bytes, and leaves a running CRC unchanged for an empty range', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(ascii('123456789'), 0xe3069283, 4, 4)).toBe(0xe3069283);
  });

  it('formatCrc32c writes "crc32c:" and eight lowercase hex digits', () => {
    expect(formatCrc32c(0xe3069283)).toBe('crc32c:e3069283');
    expect(formatCrc32c(crc32c(ascii('123456789')))).toBe('crc32c:e3069283');
    expect(formatCrc32c(0)).toBe('crc32c:00000000');
    expect(formatCrc32c(0xabc)).toBe('crc32c:00000abc');
    expect(formatCrc32c(0xffffffff)).toBe('crc32c:ffffffff');
  });
});

describe('crc32c: against a bitwise reference', () => {
  it('equals the reference over random bytes', () => {
    fc.assert(
      fc.property(someBytes, (bytes) => {
        expect(crc32c(bytes)).toBe(reference(bytes));
      }),
    );
  });

  it('equals the reference at every alignment and every length up to 300 (deterministic sweep)', () => {
    const data = Uint8Array.from({ length: 300 }, (_, k) => (k * 151 + 7) & 0xff);
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= data.length; length++) {
        const view = placedAt(data.subarray(0, length), offset);
        expect(crc32c(view), `offset ${offset}, length ${length}`).toBe(reference(view));
      }
    }
  });

  it('equals the reference on unaligned subarrays of one buffer', () => {
    fc.assert(
      fc.property(someBytes, fc.nat(7), (bytes, offset) => {
        const view = placedAt(bytes, offset);
        expect(view.byteOffset % 4).toBe(offset % 4);
        expect(crc32c(view)).toBe(reference(bytes));
      }),
    );
  });

  it('reads only the view, never the rest of its buffer', () => {
    fc.assert(
      fc.property(someBytes, fc.nat(7), fc.integer({ min: 0, max: 255 }), (bytes, offset, junk) => {
        expect(crc32c(placedAt(bytes, offset, junk))).toBe(crc32c(placedAt(bytes, offset, junk ^ 0xff)));
      }),
    );
  });
});

describe('crc32c: ranges and incremental use', () => {
  it('hashes exactly bytes[start, end) of the view', () => {
    const withRange = someBytes.chain((bytes) =>
      fc.tuple(fc.constant(bytes), fc.nat(bytes.length), fc.nat(bytes.length), fc.nat(7)),
    );
    fc.assert(
      fc.property(withRange, ([bytes, x, y, offset]) => {
        const [start, end] = x <= y ? [x, y] : [y, x];
        const view = placedAt(bytes, offset);
        expect(crc32c(view, 0, start, end)).toBe(reference(bytes.subarray(start, end)));
        expect(crc32c(view, 0, start)).toBe(reference(bytes.subarray(start)));
      }),
    );
  });

  it('fed in pieces (chunks or ranges) equals hashing in one go', () => {
    const withCuts = someBytes.chain((bytes) => fc.tuple(fc.constant(bytes), fc.uniqueArray(fc.nat(bytes.length), { maxLength: 6 })));
    fc.assert(
      fc.property(withCuts, ([bytes, cuts]) => {
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
        let chunked = 0;
        let ranged = 0;
        for (let k = 0; k + 1 < bounds.length; k++) {
          const [from, to] = [bounds[k] as number, bounds[k + 1] as number];
          chunked = crc32c(bytes.subarray(from, to), chunked);
          ranged = crc32c(bytes, ranged, from, to);
        }
        const oneShot = crc32c(bytes);
        expect(chunked).toBe(oneShot);
        expect(ranged).toBe(oneShot);
      }),
    );
  });

  it('continues any running CRC as the reference does', () => {
    fc.assert(
      fc.property(someBytes, fc.integer({ min: 0, max: 0xffffffff }), (bytes, crc) => {
        expect(crc32c(bytes, crc)).toBe(reference(bytes, crc));
      }),
    );
  });
});

describe('crc32c: bad input', () => {
  const bytes = new Uint8Array(64);
  const invalid = (call: () => unknown): void => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(isRaftError(caught, 'INVALID_ARGUMENT')).toBe(true);
  };

  it('refuses a range outside the view with INVALID_ARGUMENT', () => {
    invalid(() => crc32c(bytes, 0, 0, 65));
    invalid(() => crc32c(bytes.subarray(8, 40), 0, 0, 40)); // inside the buffer, outside the view
    invalid(() => crc32c(bytes, 0, -1, 10));
    invalid(() => crc32c(bytes, 0, 20, 10));
    invalid(() => crc32c(bytes, 0, 1.5, 10));
    invalid(() => crc32c(bytes, 0, 0, Number.NaN));
  });

  it('refuses a running CRC that is not an unsigned 32-bit integer with INVALID_ARGUMENT', () => {
    invalid(() => crc32c(bytes, -1));
    invalid(() => crc32c(bytes, 2 ** 32));
    invalid(() => crc32c(bytes, 0.5));
    invalid(() => formatCrc32c(-1));
    invalid(() => formatCrc32c(2 ** 32));
  });
});
