import { CodecError } from '@raft/abstractions';

const UINT32_LIMIT = 0x1_0000_0000;
/** The high 32 bits of Number.MAX_SAFE_INTEGER (2^53 − 1). */
const MAX_SAFE_HIGH = 0x1f_ffff;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads the MessagePack subset of the wire format from untrusted bytes, strictly.
 *
 * Invariants that make decoding untrusted input safe:
 * - Every read is bounds-checked against `end` before it happens; running out of bytes is a
 *   {@link CodecError} (`CODEC_MALFORMED`), never an out-of-range read.
 * - A declared length (string, bin, array) is checked against the bytes that remain before
 *   anything is allocated for it, so no allocation exceeds the frame that was received, and
 *   every loop driven by a declared count runs at most once per remaining byte (no hang).
 * - Only the types the schema expects are accepted: no maps, no extension types, no floats
 *   where an integer is expected unless they hold an exact non-negative safe integer.
 * - Strings must be valid UTF-8; bin values are returned as views of the frame (no copy).
 */
export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  position: number;
  readonly end: number;
  /** What is being decoded, for error messages (for example `"AppendEntries"`). */
  readonly context: string;

  constructor(bytes: Uint8Array, start: number, end: number, context: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
    this.end = end;
    this.context = context;
  }

  fail(field: string, problem: string): never {
    throw new CodecError('CODEC_MALFORMED', `${this.context}.${field}: ${problem} (at byte ${this.position})`);
  }

  private need(field: string, n: number): void {
    if (this.end - this.position < n) this.fail(field, `truncated: ${n} more byte(s) needed, ${this.end - this.position} left`);
  }

  private tag(field: string): number {
    if (this.position >= this.end) this.fail(field, 'truncated: value missing');
    return this.bytes[this.position++] as number;
  }

  /** An array header with exactly `arity` elements. */
  tuple(field: string, arity: number): void {
    const length = this.arrayLength(field);
    if (length !== arity) this.fail(field, `expected an array of ${arity}, got ${length}`);
  }

  /** An array header; the count is checked against the bytes left (each element takes ≥ `minElementBytes`). */
  arrayLength(field: string, minElementBytes = 1): number {
    const t = this.tag(field);
    let length: number;
    if ((t & 0xf0) === 0x90) length = t & 0x0f;
    else if (t === 0xdc) {
      this.need(field, 2);
      length = this.view.getUint16(this.position);
      this.position += 2;
    } else if (t === 0xdd) {
      this.need(field, 4);
      length = this.view.getUint32(this.position);
      this.position += 4;
    } else {
      this.position--;
      return this.fail(field, `expected an array, got type byte 0x${t.toString(16)}`);
    }
    if (length * minElementBytes > this.end - this.position) {
      this.fail(field, `array declares ${length} elements but only ${this.end - this.position} bytes are left`);
    }
    return length;
  }

  /** A non-negative safe integer, in any MessagePack integer form or as an integral float. */
  uint(field: string): number {
    const t = this.tag(field);
    if (t < 0x80) return t;
    const view = this.view;
    let value: number;
    switch (t) {
      case 0xcc:
        this.need(field, 1);
        return this.bytes[this.position++] as number;
      case 0xcd:
        this.need(field, 2);
        value = view.getUint16(this.position);
        this.position += 2;
        return value;
      case 0xce:
        this.need(field, 4);
        value = view.getUint32(this.position);
        this.position += 4;
        return value;
      case 0xcf:
      case 0xd3: {
        this.need(field, 8);
        const high = view.getUint32(this.position);
        const low = view.getUint32(this.position + 4);
        this.position += 8;
        // int64 with the sign bit set is negative; either form must fit in 53 bits.
        if (high > MAX_SAFE_HIGH) this.fail(field, 'integer is negative or above 2^53 - 1');
        return high * UINT32_LIMIT + low;
      }
      case 0xd0:
        this.need(field, 1);
        value = view.getInt8(this.position);
        this.position += 1;
        break;
      case 0xd1:
        this.need(field, 2);
        value = view.getInt16(this.position);
        this.position += 2;
        break;
      case 0xd2:
        this.need(field, 4);
        value = view.getInt32(this.position);
        this.position += 4;
        break;
      case 0xca:
        this.need(field, 4);
        value = view.getFloat32(this.position);
        this.position += 4;
        break;
      case 0xcb:
        this.need(field, 8);
        value = view.getFloat64(this.position);
        this.position += 8;
        break;
      default:
        this.position--;
        return this.fail(field, `expected a non-negative integer, got type byte 0x${t.toString(16)}`);
    }
    if (!Number.isSafeInteger(value) || value < 0) this.fail(field, `expected a non-negative safe integer, got ${value}`);
    return value + 0; // + 0 turns -0 into 0
  }

  bool(field: string): boolean {
    const t = this.tag(field);
    if (t === 0xc3) return true;
    if (t === 0xc2) return false;
    this.position--;
    return this.fail(field, `expected a boolean, got type byte 0x${t.toString(16)}`);
  }

  /** Consumes a nil and returns `true`, or consumes nothing and returns `false`. */
  nil(): boolean {
    if (this.position < this.end && this.bytes[this.position] === 0xc0) {
      this.position++;
      return true;
    }
    return false;
  }

  /** A UTF-8 string of at most `maxBytes` bytes. */
  string(field: string, maxBytes: number): string {
    const t = this.tag(field);
    let n: number;
    if ((t & 0xe0) === 0xa0) n = t & 0x1f;
    else if (t === 0xd9) {
      this.need(field, 1);
      n = this.bytes[this.position++] as number;
    } else if (t === 0xda) {
      this.need(field, 2);
      n = this.view.getUint16(this.position);
      this.position += 2;
    } else if (t === 0xdb) {
      this.need(field, 4);
      n = this.view.getUint32(this.position);
      this.position += 4;
    } else {
      this.position--;
      return this.fail(field, `expected a string, got type byte 0x${t.toString(16)}`);
    }
    if (n > maxBytes) this.fail(field, `string of ${n} bytes exceeds ${maxBytes}`);
    this.need(field, n);
    const start = this.position;
    const bytes = this.bytes;
    this.position += n;
    if (n <= 32) {
      let ascii = true;
      for (let i = start; i < start + n; i++) {
        if ((bytes[i] as number) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, start + n) as unknown as number[]);
    }
    try {
      return utf8.decode(bytes.subarray(start, start + n));
    } catch (cause) {
      this.position = start;
      throw new CodecError('CODEC_MALFORMED', `${this.context}.${field}: invalid UTF-8 (at byte ${start})`, { cause });
    }
  }

  /** MessagePack bin, returned as a view of the frame: no copy. */
  bin(field: string): Uint8Array {
    const t = this.tag(field);
    let n: number;
    if (t === 0xc4) {
      this.need(field, 1);
      n = this.bytes[this.position++] as number;
    } else if (t === 0xc5) {
      this.need(field, 2);
      n = this.view.getUint16(this.position);
      this.position += 2;
    } else if (t === 0xc6) {
      this.need(field, 4);
      n = this.view.getUint32(this.position);
      this.position += 4;
    } else {
      this.position--;
      return this.fail(field, `expected bytes (bin), got type byte 0x${t.toString(16)}`);
    }
    this.need(field, n);
    // A plain Uint8Array view whatever subclass (Buffer) the frame is.
    const view = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.position, n);
    this.position += n;
    return view;
  }

  /** Checks the body was consumed exactly: trailing bytes are malformed. */
  done(): void {
    if (this.position !== this.end) this.fail('(end)', `${this.end - this.position} trailing byte(s)`);
  }
}
