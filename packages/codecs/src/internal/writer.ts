import { InvalidArgumentError } from '@raft/abstractions';

/** Largest value a MessagePack uint32 holds. */
const UINT32_LIMIT = 0x1_0000_0000;

const textEncoder = new TextEncoder();

/**
 * Upper bounds of the encoded size of each MessagePack value the writer emits, so a frame's
 * buffer can be allocated once, up front, and never grown.
 */
export const BOUND = {
  uint: 9,
  bool: 1,
  nil: 1,
  arrayHeader: 5,
  /** A string of `length` UTF-16 code units: header plus at most 3 UTF-8 bytes per unit. */
  string: (length: number): number => 5 + 3 * length,
  bin: (byteLength: number): number => 5 + byteLength,
} as const;

/**
 * Writes the MessagePack subset of the wire format (unsigned integers, booleans, nil, UTF-8
 * strings, bin, arrays) into a buffer allocated once with an upper bound of the frame size.
 *
 * Every value is written in its shortest MessagePack form. Anything the decoder would refuse
 * (a negative or unsafe integer, an ill-formed string) is refused here with
 * {@link InvalidArgumentError}: encoding a message is done by trusted code, so a bad value is a
 * programming error, and refusing it keeps the invariant that every frame we write decodes.
 */
export class Writer {
  readonly buffer: Uint8Array;
  readonly view: DataView;
  position = 0;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer, 0, capacity);
  }

  u8(value: number): void {
    this.buffer[this.position++] = value;
  }

  u32At(offset: number, value: number): void {
    this.view.setUint32(offset, value);
  }

  /** A non-negative safe integer (`field` names it in the error). */
  uint(value: number, field: string): void {
    const b = this.buffer;
    if (value >= 0 && value < 0x80 && (value | 0) === value) {
      b[this.position++] = value;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(`${field} must be a non-negative safe integer, got ${value}`);
    }
    if (value < 0x100) {
      b[this.position++] = 0xcc;
      b[this.position++] = value;
    } else if (value < 0x1_0000) {
      b[this.position++] = 0xcd;
      this.view.setUint16(this.position, value);
      this.position += 2;
    } else if (value < UINT32_LIMIT) {
      b[this.position++] = 0xce;
      this.view.setUint32(this.position, value);
      this.position += 4;
    } else {
      b[this.position++] = 0xcf;
      this.view.setUint32(this.position, Math.floor(value / UINT32_LIMIT));
      this.view.setUint32(this.position + 4, value % UINT32_LIMIT);
      this.position += 8;
    }
  }

  bool(value: boolean, field: string): void {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`${field} must be a boolean, got ${String(value)}`);
    this.buffer[this.position++] = value ? 0xc3 : 0xc2;
  }

  nil(): void {
    this.buffer[this.position++] = 0xc0;
  }

  arrayHeader(length: number): void {
    const b = this.buffer;
    if (length < 16) {
      b[this.position++] = 0x90 | length;
    } else if (length < 0x1_0000) {
      b[this.position++] = 0xdc;
      this.view.setUint16(this.position, length);
      this.position += 2;
    } else {
      b[this.position++] = 0xdd;
      this.view.setUint32(this.position, length);
      this.position += 4;
    }
  }

  /** A UTF-8 string. ASCII strings shorter than 32 units (node ids) take a copy-free fast path. */
  string(value: string, field: string): void {
    if (typeof value !== 'string') throw new InvalidArgumentError(`${field} must be a string, got ${typeof value}`);
    const b = this.buffer;
    const length = value.length;
    if (length < 32) {
      const start = this.position;
      let p = start + 1;
      let ascii = true;
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        b[p++] = c;
      }
      if (ascii) {
        b[start] = 0xa0 | length;
        this.position = p;
        return;
      }
    }
    // isWellFormed is ES2024 (Node ≥ 20); lone surrogates would silently become U+FFFD.
    if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
      throw new InvalidArgumentError(`${field} is not a well-formed Unicode string (lone surrogate)`);
    }
    const bytes = textEncoder.encode(value);
    const n = bytes.byteLength;
    if (n < 32) {
      b[this.position++] = 0xa0 | n;
    } else if (n < 0x100) {
      b[this.position++] = 0xd9;
      b[this.position++] = n;
    } else if (n < 0x1_0000) {
      b[this.position++] = 0xda;
      this.view.setUint16(this.position, n);
      this.position += 2;
    } else {
      b[this.position++] = 0xdb;
      this.view.setUint32(this.position, n);
      this.position += 4;
    }
    b.set(bytes, this.position);
    this.position += n;
  }

  /** Raw bytes as MessagePack bin: one copy, into the frame. */
  bin(value: Uint8Array, field: string): void {
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${field} must be a Uint8Array`);
    const b = this.buffer;
    const n = value.byteLength;
    if (n < 0x100) {
      b[this.position++] = 0xc4;
      b[this.position++] = n;
    } else if (n < 0x1_0000) {
      b[this.position++] = 0xc5;
      this.view.setUint16(this.position, n);
      this.position += 2;
    } else {
      b[this.position++] = 0xc6;
      this.view.setUint32(this.position, n);
      this.position += 4;
    }
    b.set(value, this.position);
    this.position += n;
  }

  /** The bytes written so far (a view; the buffer may be larger than what was written). */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }
}
