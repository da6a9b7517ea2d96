import type { NodeId } from '@raft/abstractions';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  HANDSHAKE_REJECTION_REASONS,
  HANDSHAKE_TYPE_CODES,
  type HandshakeFrame,
  WIRE_VERSION,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  readFrameHeader,
} from '../src/index.js';
import { nodeId } from './arbitraries.js';
import { CODEC_CODES, SEED, codeOf, frame, hex } from './helpers.js';

const hello: HandshakeFrame = { type: 'handshake', clusterId: 'prod-eu', nodeId: 'n1' as NodeId, protocolVersion: WIRE_VERSION };

describe('connection handshake frames', () => {
  it('byte layout: type 0x40, body [clusterId, nodeId, protocolVersion]', () => {
    expect(hex(encodeHandshake(hello))).toBe('52460140' + '00' + '0000000d' + '93' + 'a770726f642d6575' + 'a26e31' + '01');
  });

  it('round-trips handshakes and rejections', () => {
    const handshakes = fc.record(
      { type: fc.constant('handshake' as const), clusterId: nodeId.map(String), nodeId, protocolVersion: fc.integer({ min: 1, max: 255 }) },
      { noNullPrototype: true },
    );
    const rejections = fc.record(
      {
        type: fc.constant('handshakeRejected' as const),
        reason: fc.constantFrom(...HANDSHAKE_REJECTION_REASONS),
        detail: fc.string({ maxLength: 300, unit: 'binary' }).filter((s) => s.length <= 1024),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(fc.oneof(handshakes, rejections), fc.boolean(), (h, checksum) => {
        const bytes = encodeHandshake(h, { checksum });
        expect(decodeHandshake(bytes, { requireChecksum: checksum })).toStrictEqual(h);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('a rejection carries a typed reason', () => {
    const bytes = encodeHandshake({ type: 'handshakeRejected', reason: 'clusterMismatch', detail: 'expected cluster "prod-eu"' });
    expect(readFrameHeader(bytes).type).toBe('handshakeRejected');
    expect(decodeHandshake(bytes)).toEqual({ type: 'handshakeRejected', reason: 'clusterMismatch', detail: 'expected cluster "prod-eu"' });
  });

  it('handshake and message frames are not interchangeable', () => {
    expect(codeOf(() => decodeMessage(encodeHandshake(hello)))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decodeHandshake(encodeMessage({ type: 'TimeoutNow', from: 'a' as NodeId, to: 'b' as NodeId, term: 1 as never })))).toBe('CODEC_MALFORMED');
  });

  it('refuses invalid handshakes on decode', () => {
    const h = (fields: unknown[]) => frame(HANDSHAKE_TYPE_CODES.handshake, pack(fields));
    expect(decodeHandshake(h(['c', 'n1', 1]))).toEqual({ type: 'handshake', clusterId: 'c', nodeId: 'n1', protocolVersion: 1 });
    for (const bad of [
      ['', 'n1', 1],
      ['c', '', 1],
      ['c', 'n1', 0],
      ['c', 'n1', 256],
      ['c', 'n1', -1],
      ['c', 'n1'],
      ['c', 'n1', 1, 'extra'],
      ['x'.repeat(256), 'n1', 1],
    ]) {
      expect(codeOf(() => decodeHandshake(h(bad))), JSON.stringify(bad)).toBe('CODEC_MALFORMED');
    }
    const r = (fields: unknown[]) => frame(HANDSHAKE_TYPE_CODES.handshakeRejected, pack(fields));
    for (const bad of [[0, ''], [HANDSHAKE_REJECTION_REASONS.length + 1, ''], [1, 'x'.repeat(1025)], [1], ['clusterMismatch', '']]) {
      expect(codeOf(() => decodeHandshake(r(bad))), JSON.stringify(bad)).toBe('CODEC_MALFORMED');
    }
    const v2 = encodeHandshake(hello).slice();
    v2[2] = 2;
    expect(codeOf(() => decodeHandshake(v2))).toBe('CODEC_UNSUPPORTED_VERSION');
  });

  it('refuses invalid handshakes on encode', () => {
    expect(() => encodeHandshake({ ...hello, clusterId: '' })).toThrow(/clusterId/);
    expect(() => encodeHandshake({ ...hello, nodeId: '' as NodeId })).toThrow(/nodeId/);
    expect(() => encodeHandshake({ ...hello, protocolVersion: 0 })).toThrow(/protocolVersion/);
    expect(() => encodeHandshake({ type: 'handshakeRejected', reason: 'nope' as 'removed', detail: '' })).toThrow(/reason/);
    expect(() => encodeHandshake({ type: 'handshakeRejected', reason: 'removed', detail: 'x'.repeat(1025) })).toThrow(/detail/);
  });

  it('random bytes behind a handshake header yield a valid handshake frame or a CodecError', () => {
    fc.assert(
      fc.property(fc.constantFrom(HANDSHAKE_TYPE_CODES.handshake, HANDSHAKE_TYPE_CODES.handshakeRejected), fc.uint8Array({ maxLength: 40 }), (type, body) => {
        const code = codeOf(() => decodeHandshake(frame(type, body)));
        expect(code === 'no error' || CODEC_CODES.includes(code as never)).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
