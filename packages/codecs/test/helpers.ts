import { type RaftErrorCode, isRaftError } from '@raft/abstractions';
import { pack } from 'msgpackr';

/** Property-test seed: fixed so runs are reproducible; override with CODEC_TEST_SEED to explore. */
export const SEED: number = Number(process.env.CODEC_TEST_SEED ?? 20_261_201);

/** Builds a frame by hand: the documented 9-byte header around `body`. */
export function frame(type: number, body: Uint8Array, { version = 1, flags = 0, length = body.length } = {}): Uint8Array {
  const out = new Uint8Array(9 + body.length);
  out.set([0x52, 0x46, version, type, flags], 0);
  new DataView(out.buffer).setUint32(5, length);
  out.set(body, 9);
  return out;
}

/** A frame whose body is `fields` packed by msgpackr (an independent MessagePack encoder). */
export function packedFrame(type: number, fields: unknown[]): Uint8Array {
  return frame(type, pack(fields));
}

/** The code of the error `fn` throws, or "no error". */
export function codeOf(fn: () => unknown): RaftErrorCode | 'no error' | 'not a RaftError' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isRaftError(error) ? error.code : 'not a RaftError';
  }
}

export const CODEC_CODES: readonly RaftErrorCode[] = ['CODEC_MALFORMED', 'CODEC_FRAME_TOO_LARGE', 'CODEC_UNSUPPORTED_VERSION'];

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
