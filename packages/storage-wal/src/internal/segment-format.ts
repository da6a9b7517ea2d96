import { FRAME_HEADER_BYTES, RecordType, decodeFrame, encodeFrame, getU64, setU64 } from './frame.js';

/** Format version written in every segment header; a reader refuses versions it does not know. */
export const WAL_FORMAT_VERSION: number = 1;
const SEGMENT_MAGIC = new TextEncoder().encode('RAFT-WAL');
/** Payload bytes of a segment header record. */
const SEGMENT_HEADER_PAYLOAD = 56;
/** Bytes of the header record that starts every segment file. */
export const SEGMENT_HEADER_BYTES: number = (FRAME_HEADER_BYTES + SEGMENT_HEADER_PAYLOAD + 7) & ~7;
/** Payload bytes of a batch header record. */
const BATCH_PAYLOAD = 16;
/** Bytes of a batch header record. */
export const BATCH_HEADER_BYTES: number = (FRAME_HEADER_BYTES + BATCH_PAYLOAD + 7) & ~7;

/** Segment files are `<sequence, 20 digits>.wal`; sorting names sorts by sequence. */
export const SEGMENT_FILE: RegExp = /^(\d{20})\.wal$/;
export function segmentFileName(sequence: number): string {
  return `${String(sequence).padStart(20, '0')}.wal`;
}

/**
 * What a segment header records: which storage the segment belongs to, its sequence number,
 * and the log position just before its first record (so a segment can be replayed after
 * every older segment was deleted by compaction).
 */
export interface SegmentHeader {
  readonly version: number;
  /** 16 random bytes chosen when the storage directory was created, hex. */
  readonly storageId: string;
  readonly sequence: number;
  /** Last index of the log when this segment was started. */
  readonly prevIndex: number;
  /** Term of `prevIndex`. */
  readonly prevTerm: number;
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const payload = new Uint8Array(SEGMENT_HEADER_PAYLOAD);
  const view = new DataView(payload.buffer);
  payload.set(SEGMENT_MAGIC, 0);
  view.setUint16(8, header.version, true);
  payload.set(Buffer.from(header.storageId, 'hex'), 16);
  setU64(view, 32, header.sequence);
  setU64(view, 40, header.prevIndex);
  setU64(view, 48, header.prevTerm);
  return encodeFrame(RecordType.segmentHeader, payload);
}

/** Decodes the header record at the start of a segment, or says what is wrong with it. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader | string {
  const frame = decodeFrame(bytes, 0);
  if (typeof frame === 'string') return frame;
  if (frame.type !== RecordType.segmentHeader || frame.payloadLength !== SEGMENT_HEADER_PAYLOAD) return 'not a segment header';
  const p = frame.payloadStart;
  for (let k = 0; k < SEGMENT_MAGIC.length; k++) if (bytes[p + k] !== SEGMENT_MAGIC[k]) return 'bad magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(p + 8, true);
  if (version !== WAL_FORMAT_VERSION) return `unsupported WAL format version ${version}`;
  const header: SegmentHeader = {
    version,
    storageId: Buffer.from(bytes.subarray(p + 16, p + 32)).toString('hex'),
    sequence: getU64(view, p + 32),
    prevIndex: getU64(view, p + 40),
    prevTerm: getU64(view, p + 48),
  };
  if (Number.isNaN(header.sequence) || Number.isNaN(header.prevIndex) || Number.isNaN(header.prevTerm)) return 'header field out of range';
  return header;
}

/**
 * The header of one batch (one write + one fdatasync): `u64 syncedThrough` (the segment offset
 * up to which data was known durable when this batch was written: the durable frontier),
 * `u32 bodyBytes`, `u32 recordCount`. The body follows: `recordCount` entry/truncate/compact
 * records. A batch is applied on recovery only when it is whole.
 */
export function encodeBatchHeader(syncedThrough: number, bodyBytes: number, recordCount: number): Uint8Array {
  const payload = new Uint8Array(BATCH_PAYLOAD);
  const view = new DataView(payload.buffer);
  setU64(view, 0, syncedThrough);
  view.setUint32(8, bodyBytes, true);
  view.setUint32(12, recordCount, true);
  return encodeFrame(RecordType.batch, payload);
}

export interface BatchHeader {
  readonly syncedThrough: number;
  readonly bodyBytes: number;
  readonly recordCount: number;
  /** Offset just after the batch header record. */
  readonly bodyStart: number;
}

/** Decodes a batch header at `offset`, or says why there is none. */
export function decodeBatchHeader(bytes: Uint8Array, offset: number): BatchHeader | string {
  const frame = decodeFrame(bytes, offset);
  if (typeof frame === 'string') return frame;
  if (frame.type !== RecordType.batch || frame.payloadLength !== BATCH_PAYLOAD) return `unexpected record type ${frame.type}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const syncedThrough = getU64(view, frame.payloadStart);
  // Invariant: a batch can only vouch for bytes before itself.
  if (!(syncedThrough <= offset)) return 'durable frontier beyond the batch';
  return {
    syncedThrough,
    bodyBytes: view.getUint32(frame.payloadStart + 8, true),
    recordCount: view.getUint32(frame.payloadStart + 12, true),
    bodyStart: frame.end,
  };
}

/** Payload of a `truncate` record: `u64 index` (entries after it are deleted). */
export function encodeTruncate(index: number): Uint8Array {
  const payload = new Uint8Array(8);
  setU64(new DataView(payload.buffer), 0, index);
  return encodeFrame(RecordType.truncate, payload);
}

/**
 * Payload of a `compact` record: `u64 index, u64 term, u8 kept, u8[7] 0` (entries up to index
 * are discarded; `kept` = 1 when the entries after it stayed, 0 when the whole log was dropped
 * because the entry at index had another term). The outcome is recorded rather than recomputed
 * so that replay never needs the term of an entry in a deleted segment.
 */
export function encodeCompact(index: number, term: number, kept: boolean): Uint8Array {
  const payload = new Uint8Array(24);
  const view = new DataView(payload.buffer);
  setU64(view, 0, index);
  setU64(view, 8, term);
  payload[16] = kept ? 1 : 0;
  return encodeFrame(RecordType.compact, payload);
}
