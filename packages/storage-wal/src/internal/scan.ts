import { StorageError } from '@raft/abstractions';
import { peekEntry } from './entry-codec.js';
import { RecordType, decodeFrame, getU64 } from './frame.js';
import {
  BATCH_HEADER_BYTES,
  type BatchHeader,
  SEGMENT_HEADER_BYTES,
  type SegmentHeader,
  decodeBatchHeader,
  decodeSegmentHeader,
} from './segment-format.js';

/** One operation found in a segment, in file order. */
export type ScannedOp =
  | { readonly type: 'entry'; readonly index: number; readonly term: number; readonly offset: number; readonly length: number }
  | { readonly type: 'truncate'; readonly index: number; readonly offset: number }
  | { readonly type: 'compact'; readonly index: number; readonly term: number; readonly kept: boolean; readonly offset: number };

/** What a scan of one segment file found. */
export interface SegmentScan {
  readonly header: SegmentHeader;
  /** Whole, valid batches' operations, in order. */
  readonly ops: ScannedOp[];
  /** Offset just after each whole valid batch, in order. */
  readonly batchEnds: number[];
  /** Offset just after the last whole valid batch: where the next write goes. */
  readonly validEnd: number;
  /** Set when the file continues past `validEnd` with an incomplete or invalid batch (a torn tail). */
  readonly tornTail?: { readonly offset: number; readonly reason: string };
}

/** `STORAGE_CORRUPTED` naming the file and offset: damage to data that was acknowledged. */
export function corrupted(file: string, offset: number, reason: string): StorageError {
  return new StorageError('STORAGE_CORRUPTED', `WAL segment ${file} is corrupted at offset ${offset}: ${reason}`);
}

/**
 * Parses the batch at `offset` and its body. Returns the operations, or why the batch is not
 * whole and valid.
 */
function parseBatch(bytes: Uint8Array, offset: number, header: BatchHeader, ops: ScannedOp[]): number | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = header.bodyStart + header.bodyBytes;
  if (end > bytes.byteLength) return 'incomplete batch';
  let at = header.bodyStart;
  for (let k = 0; k < header.recordCount; k++) {
    const frame = decodeFrame(bytes, at, end);
    if (typeof frame === 'string') return `record ${k} of the batch at ${offset}: ${frame}`;
    const p = frame.payloadStart;
    switch (frame.type) {
      case RecordType.entry: {
        if (frame.payloadLength < 17) return 'entry record too short';
        const { index, term } = peekEntry(view, p);
        ops.push({ type: 'entry', index, term, offset: at, length: frame.end - at });
        break;
      }
      case RecordType.truncate:
        if (frame.payloadLength !== 8) return 'bad truncate record';
        ops.push({ type: 'truncate', index: getU64(view, p), offset: at });
        break;
      case RecordType.compact:
        if (frame.payloadLength !== 24 || (bytes[p + 16] as number) > 1) return 'bad compact record';
        ops.push({ type: 'compact', index: getU64(view, p), term: getU64(view, p + 8), kept: bytes[p + 16] === 1, offset: at });
        break;
      default:
        return `unexpected record type ${frame.type} in a batch`;
    }
    at = frame.end;
  }
  if (at !== end) return 'batch length does not match its records';
  return end;
}

/**
 * Looks past damage at `offset` for a valid batch header whose durable frontier covers
 * `offset`. If one exists, the damaged bytes had been fdatasync'ed before that batch was
 * written, so they were acknowledged: the damage is corruption, not a torn write.
 */
function laterBatchVouchesFor(bytes: Uint8Array, offset: number): number | undefined {
  for (let at = offset + 8; at + BATCH_HEADER_BYTES <= bytes.byteLength; at += 8) {
    if (bytes[at + 4] !== RecordType.batch || bytes[at] !== 16 || bytes[at + 1] !== 0) continue;
    const header = decodeBatchHeader(bytes, at);
    if (typeof header !== 'string' && header.syncedThrough > offset) return at;
  }
  return undefined;
}

/**
 * Scans one segment file. Every segment but the last was fully fdatasync'ed before the next one
 * was created, so any damage there is corruption. In the last segment, damage after which no
 * valid batch vouches for it (see `laterBatchVouchesFor`) is a torn tail: a write that a crash
 * interrupted and that was never acknowledged. Damage that a later batch vouches for is
 * corruption of acknowledged data and is refused with `STORAGE_CORRUPTED` (never dropped silently).
 */
export function scanSegment(bytes: Uint8Array, file: string, isLast: boolean): SegmentScan | 'incomplete-header' {
  const header = decodeSegmentHeader(bytes);
  if (typeof header === 'string') {
    // A segment is renamed into place only after its header was synced, so a short header can
    // only be a torn creation when nothing follows it; anything else is damage.
    if (isLast && header === 'incomplete' && bytes.byteLength < SEGMENT_HEADER_BYTES) return 'incomplete-header';
    throw corrupted(file, 0, `segment header: ${header}`);
  }
  const ops: ScannedOp[] = [];
  const batchEnds: number[] = [];
  let at = SEGMENT_HEADER_BYTES;
  while (at < bytes.byteLength) {
    const batchOps: ScannedOp[] = [];
    const batch = decodeBatchHeader(bytes, at);
    const end = typeof batch === 'string' ? batch : parseBatch(bytes, at, batch, batchOps);
    if (typeof end === 'string') {
      if (!isLast) throw corrupted(file, at, end);
      const vouching = laterBatchVouchesFor(bytes, at);
      if (vouching !== undefined) throw corrupted(file, at, `${end} (the batch at ${vouching} shows it had been synced)`);
      return { header, ops, batchEnds, validEnd: at, tornTail: { offset: at, reason: end } };
    }
    ops.push(...batchOps);
    batchEnds.push(end);
    at = end;
  }
  return { header, ops, batchEnds, validEnd: at };
}
