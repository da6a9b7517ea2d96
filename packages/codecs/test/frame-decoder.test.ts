import type { NodeId, RaftMessage } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, decodeHandshake, decodeMessage, encodeHandshake, encodeMessage, encodeMessages } from '../src/index.js';
import { anyMessage } from './arbitraries.js';
import { SEED, codeOf, frame } from './helpers.js';

const n1 = 'n1' as NodeId;
const n2 = 'n2' as NodeId;
const big: RaftMessage = {
  type: 'AppendEntries',
  from: n1,
  to: n2,
  term: 3 as never,
  prevLogIndex: 10 as never,
  prevLogTerm: 3 as never,
  leaderCommit: 9 as never,
  seq: 1,
  entries: Array.from({ length: 4 }, (_, k) => ({ kind: 'command' as const, index: (11 + k) as never, term: 3 as never, payload: new Uint8Array(70).fill(k) })),
};
const small: RaftMessage = { type: 'TimeoutNow', from: n1, to: n2, term: 3 as never };
const vote: RaftMessage = { type: 'RequestVoteResponse', from: n2, to: n1, term: 4 as never, granted: true, preVote: false };

/** A handshake, then three messages of different sizes, as one stream. */
const handshake = encodeHandshake({ type: 'handshake', clusterId: 'c1', nodeId: n1, protocolVersion: 1 });
const stream = new Uint8Array([...handshake, ...encodeMessages([big, small, vote], { checksum: true })]);
const expectedFrames = 4;

function decodeStream(frames: Uint8Array[]): unknown[] {
  return frames.map((f, k) => (k === 0 ? decodeHandshake(f) : decodeMessage(f, { requireChecksum: true })));
}
const expected = [{ type: 'handshake', clusterId: 'c1', nodeId: 'n1', protocolVersion: 1 }, big, small, vote];

describe('FrameDecoder', () => {
  it('yields every frame whatever single byte boundary the stream is split at', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames).toHaveLength(expectedFrames);
      expect(decodeStream(frames)).toStrictEqual(expected);
      expect(decoder.bufferedBytes).toBe(0);
      decoder.end();
    }
  });

  it('yields every frame when every pair of boundaries splits the stream in three', () => {
    for (let a = 0; a <= stream.length; a += 7) {
      for (let b = a; b <= stream.length; b += 5) {
        const decoder = new FrameDecoder();
        const frames = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)].flatMap((c) => decoder.push(c));
        expect(decodeStream(frames)).toStrictEqual(expected);
      }
    }
  });

  it('yields every frame when fed one byte at a time, each as soon as its last byte arrives', () => {
    const decoder = new FrameDecoder();
    const ends: number[] = [];
    const frames: Uint8Array[] = [];
    for (let k = 0; k < stream.length; k++) {
      const out = decoder.push(stream.subarray(k, k + 1));
      if (out.length > 0) ends.push(k + 1);
      frames.push(...out);
    }
    expect(decodeStream(frames)).toStrictEqual(expected);
    const frameEnds: number[] = [];
    let offset = 0;
    for (const f of frames) {
      offset += f.length;
      frameEnds.push(offset);
    }
    expect(ends).toEqual(frameEnds);
  });

  it('random chunkings of random message streams give back the messages in order', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 12 }), (messages, cuts) => {
        const bytes = encodeMessages(messages);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        const decoder = new FrameDecoder();
        const frames: Uint8Array[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          frames.push(...decoder.push(bytes.subarray(from, p)));
          from = p;
        }
        expect(frames.map((f) => decodeMessage(f))).toStrictEqual(messages);
        decoder.end();
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('returns a frame inside one chunk as a view, and copies a split frame once', () => {
    const one = encodeMessage(small);
    const decoder = new FrameDecoder();
    const [view] = decoder.push(one);
    expect(view?.buffer).toBe(one.buffer);
    decoder.push(one.subarray(0, 5));
    const [copy] = decoder.push(one.subarray(5));
    expect(copy?.buffer).not.toBe(one.buffer);
    expect(copy?.byteLength).toBe(one.byteLength);
    expect(copy?.buffer.byteLength).toBe(one.byteLength); // exactly its size
  });

  it('refuses a declared size above the maximum as soon as the header is in, before buffering the body', () => {
    const header = frame(3, new Uint8Array(0), { length: 0xffff_fff0 }).subarray(0, 9);
    for (let cut = 0; cut < 9; cut++) {
      const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
      expect(decoder.push(header.subarray(0, cut))).toEqual([]);
      expect(codeOf(() => decoder.push(header.subarray(cut)))).toBe('CODEC_FRAME_TOO_LARGE');
      expect(decoder.bufferedBytes).toBe(0);
    }
    // Just above the limit (1024 = 9 + 1015) fails; exactly at it is fine.
    const over = new FrameDecoder({ maxFrameBytes: 1024 });
    expect(codeOf(() => over.push(frame(3, new Uint8Array(0), { length: 1016 }).subarray(0, 9)))).toBe('CODEC_FRAME_TOO_LARGE');
    const at = new FrameDecoder({ maxFrameBytes: 1024 });
    expect(at.push(frame(3, new Uint8Array(0), { length: 1015 }).subarray(0, 9))).toEqual([]);
  });

  it('buffers only what arrived for a large declared frame (no allocation of the declared size)', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 16 * 1024 * 1024 });
    const header = frame(3, new Uint8Array(0), { length: 16 * 1024 * 1024 - 9 }).subarray(0, 9);
    decoder.push(header);
    decoder.push(new Uint8Array(100));
    expect(decoder.bufferedBytes).toBe(109);
  });

  it('refuses bytes that do not start with the magic at once', () => {
    const decoder = new FrameDecoder();
    expect(codeOf(() => decoder.push(new TextEncoder().encode('GET / HTTP/1.1\r\n')))).toBe('CODEC_MALFORMED');
    // Garbage after a valid frame: the valid frame is not lost silently, the stream fails.
    const after = new FrameDecoder();
    expect(codeOf(() => after.push(new Uint8Array([...encodeMessage(small), 0, 1, 2, 3, 4, 5, 6, 7, 8])))).toBe('CODEC_MALFORMED');
  });

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder();
    expect(codeOf(() => decoder.push(new Uint8Array(9)))).toBe('CODEC_MALFORMED');
    expect(decoder.failed).toBe(true);
    expect(codeOf(() => decoder.push(encodeMessage(small)))).toBe('CODEC_MALFORMED');
    expect(codeOf(() => decoder.end())).toBe('CODEC_MALFORMED');
  });

  it('end() refuses a stream that stops inside a frame or a header', () => {
    const partialHeader = new FrameDecoder();
    partialHeader.push(stream.subarray(0, 4));
    expect(codeOf(() => partialHeader.end())).toBe('CODEC_MALFORMED');
    const partialBody = new FrameDecoder();
    partialBody.push(stream.subarray(0, handshake.length + 20));
    expect(codeOf(() => partialBody.end())).toBe('CODEC_MALFORMED');
    const clean = new FrameDecoder();
    clean.push(handshake);
    expect(codeOf(() => clean.end())).toBe('no error');
  });

  it('validates its option, naming it', () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 8 })).toThrow(/maxFrameBytes/);
    expect(() => new FrameDecoder({ maxFrameBytes: 1.5 })).toThrow(/maxFrameBytes/);
    expect(new FrameDecoder().maxFrameBytes).toBe(16 * 1024 * 1024);
  });

  it('fed random bytes, either fails with a CodecError or holds at most what it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const decoder = new FrameDecoder({ maxFrameBytes: 4096 });
        let given = 0;
        for (const chunk of chunks) {
          given += chunk.length;
          const code = codeOf(() => decoder.push(chunk));
          if (code !== 'no error') {
            expect(['CODEC_MALFORMED', 'CODEC_FRAME_TOO_LARGE']).toContain(code);
            return;
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(given);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
