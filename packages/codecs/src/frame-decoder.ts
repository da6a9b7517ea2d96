import { CodecError } from '@raft/abstractions';
import { type DecodeOptions, FRAME_HEADER_BYTES, frameBytesAt, resolveMaxFrameBytes } from './frame.js';

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest frame accepted, header included, in bytes. A header declaring more fails the
   * stream with `CODEC_FRAME_TOO_LARGE` as soon as its 9 bytes have arrived.
   * @default 16 MiB
   */
  readonly maxFrameBytes?: DecodeOptions['maxFrameBytes'];
}

/**
 * Splits a byte stream (a TCP connection) into frames: feed it chunks as they arrive, get back
 * every frame they complete. Pass each frame to `decodeMessage` or `decodeHandshake`.
 *
 * Invariants:
 * - Memory grows only with bytes actually received: a header declaring a large frame allocates
 *   nothing; the frame is assembled only once all its bytes are there. Buffered bytes never
 *   exceed one frame (≤ `maxFrameBytes`) plus the chunk that completes it.
 * - A declared size above `maxFrameBytes`, or a frame not starting with the magic `"RF"`, fails
 *   the stream as soon as the 9 header bytes are in, before the body is buffered. A failed
 *   decoder stays failed (a byte stream cannot resynchronise): every later `push` throws the
 *   same error, and the transport should close the connection.
 * - A frame that lies within one chunk is returned as a view of it (no copy); a frame split
 *   across chunks is copied once into a buffer of exactly its size. Either way the chunks must
 *   not be modified after they are pushed (Node's socket `data` buffers never are).
 * - Work per push is linear in the chunk's size: no hang on any input.
 *
 * It checks the header fields every version shares (magic and length), not the version: a frame
 * of another version is still delimited, so the decoder can report `CODEC_UNSUPPORTED_VERSION`.
 *
 * @example
 * ```ts
 * const frames = new FrameDecoder({ maxFrameBytes: 4 * 1024 * 1024 });
 * socket.on('data', (chunk) => {
 *   for (const frame of frames.push(chunk)) receiver.deliver(decodeMessage(frame));
 * });
 * socket.on('end', () => frames.end()); // throws if the peer stopped mid-frame
 * ```
 */
export class FrameDecoder {
  /** The resolved size cap, in bytes. */
  readonly maxFrameBytes: number;
  #pending: Uint8Array[] = [];
  #buffered = 0;
  /** Size of the frame being assembled, once its header is in; 0 before. */
  #expected = 0;
  #failure: CodecError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes);
  }

  /** Bytes received and not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** `true` once the stream has failed (see {@link FrameDecoder.push}). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Feeds the next chunk of the stream; returns the frames it completes, in order (often none).
   * @throws {@link CodecError} `CODEC_MALFORMED` (bad magic) or `CODEC_FRAME_TOO_LARGE`; after
   * that the decoder is failed and rethrows the same error.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#push(chunk);
    } catch (error) {
      this.#failure =
        error instanceof CodecError ? error : new CodecError('CODEC_MALFORMED', `undecodable stream: ${String(error)}`, { cause: error });
      this.#pending = [];
      this.#buffered = 0;
      this.#expected = 0;
      throw this.#failure;
    }
  }

  /**
   * Declares the end of the stream.
   * @throws {@link CodecError} `CODEC_MALFORMED` when it ends inside a frame (the peer went away,
   * or is stalling, mid-frame), or rethrows the failure of an earlier push.
   */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#buffered > 0) {
      const of = this.#expected > 0 ? `${this.#expected}` : 'a header';
      throw new CodecError('CODEC_MALFORMED', `stream ended inside a frame: ${this.#buffered} byte(s) of ${of}`);
    }
  }

  #push(chunk: Uint8Array): Uint8Array[] {
    if (!(chunk instanceof Uint8Array)) throw new CodecError('CODEC_MALFORMED', 'a chunk must be a Uint8Array');
    const frames: Uint8Array[] = [];
    let data = chunk;
    if (this.#buffered > 0) {
      this.#pending.push(chunk);
      this.#buffered += chunk.length;
      if (this.#expected === 0 && this.#buffered >= FRAME_HEADER_BYTES) this.#expected = frameBytesAt(this.#peekHeader(), 0, this.maxFrameBytes);
      if (this.#expected === 0 || this.#buffered < this.#expected) return frames;
      // Every pending chunk but the last lies wholly inside this frame: before this push fewer
      // than `expected` bytes were buffered (or fewer than a header, which is ≤ expected).
      const frame = new Uint8Array(this.#expected);
      let filled = 0;
      for (const part of this.#pending) {
        const take = Math.min(part.length, this.#expected - filled);
        frame.set(take === part.length ? part : part.subarray(0, take), filled);
        filled += take;
      }
      frames.push(frame);
      data = chunk.subarray(chunk.length - (this.#buffered - this.#expected));
      this.#pending = [];
      this.#buffered = 0;
      this.#expected = 0;
    }
    // Fast path: whole frames straight out of the chunk, as views.
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const size = frameBytesAt(data, offset, this.maxFrameBytes);
      if (data.length - offset < size) {
        this.#expected = size;
        break;
      }
      frames.push(data.subarray(offset, offset + size));
      offset += size;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.#pending.push(rest);
      this.#buffered = rest.length;
    }
    return frames;
  }

  /** The first {@link FRAME_HEADER_BYTES} buffered bytes, contiguous. */
  #peekHeader(): Uint8Array {
    const first = this.#pending[0] as Uint8Array;
    if (first.length >= FRAME_HEADER_BYTES) return first;
    const header = new Uint8Array(FRAME_HEADER_BYTES);
    let filled = 0;
    for (const part of this.#pending) {
      const take = Math.min(part.length, FRAME_HEADER_BYTES - filled);
      header.set(part.subarray(0, take), filled);
      filled += take;
      if (filled === FRAME_HEADER_BYTES) break;
    }
    return header;
  }
}
