import { LogIndex, type SnapshotMeta, Term, crc32c } from '@raft/abstractions';

/**
 * On-disk layout of one snapshot file (format 1, documented in docs/storage-format.md):
 *
 * ```
 * [data: size bytes][footer: UTF-8 JSON][footerLength: u32 LE][footerCrc32c: u32 LE]["RAFTSNP1"]
 * ```
 *
 * The footer is written last, so the data can be streamed before its size and checksum are
 * known. A file is trusted only when the magic, the footer CRC, the sizes and the data CRC-32C
 * all agree.
 */
export const SNAPSHOT_MAGIC: Uint8Array = new TextEncoder().encode('RAFTSNP1');
/** Bytes after the footer JSON: length, CRC and magic. */
export const TRAILER_BYTES = 16;
/** The format version written in every footer. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Upper bound for a footer, so a damaged length cannot make us allocate gigabytes. */
export const MAX_FOOTER_BYTES: number = 16 * 1024 * 1024;

/** Committed files are `snapshot-<sequence>.snap`, the sequence growing with every commit. */
export const SNAPSHOT_FILE: RegExp = /^snapshot-(\d{16})\.snap$/;

export function snapshotFileName(sequence: number): string {
  return `snapshot-${String(sequence).padStart(16, '0')}.snap`;
}

/** Footer JSON plus trailer for `meta`. */
export function encodeFooter(meta: SnapshotMeta): Uint8Array {
  const json = new TextEncoder().encode(
    JSON.stringify({
      format: SNAPSHOT_FORMAT_VERSION,
      lastIncludedIndex: meta.lastIncludedIndex,
      lastIncludedTerm: meta.lastIncludedTerm,
      configuration: meta.configuration,
      size: meta.size,
      checksum: meta.checksum,
    }),
  );
  const out = new Uint8Array(json.byteLength + TRAILER_BYTES);
  out.set(json, 0);
  const view = new DataView(out.buffer);
  view.setUint32(json.byteLength, json.byteLength, true);
  view.setUint32(json.byteLength + 4, crc32c(json), true);
  out.set(SNAPSHOT_MAGIC, json.byteLength + 8);
  return out;
}

/** Reads the footer length from a trailer, or a reason the trailer is not valid. */
export function decodeTrailer(trailer: Uint8Array, fileSize: number): { footerLength: number; footerCrc: number } | string {
  for (let k = 0; k < SNAPSHOT_MAGIC.length; k++) {
    if (trailer[8 + k] !== SNAPSHOT_MAGIC[k]) return 'missing end marker (not a committed snapshot file)';
  }
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const footerLength = view.getUint32(0, true);
  if (footerLength > MAX_FOOTER_BYTES || footerLength + TRAILER_BYTES > fileSize) return `implausible footer length ${footerLength}`;
  return { footerLength, footerCrc: view.getUint32(4, true) };
}

/** Parses footer JSON whose CRC has been checked, or returns why it is not a snapshot footer. */
export function decodeFooter(json: Uint8Array, dataSize: number): SnapshotMeta | string {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    return 'footer is not valid JSON';
  }
  if (typeof value !== 'object' || value === null) return 'footer is not an object';
  const f = value as Record<string, unknown>;
  if (f.format !== SNAPSHOT_FORMAT_VERSION) return `unsupported snapshot format ${String(f.format)}`;
  if (typeof f.lastIncludedIndex !== 'number' || typeof f.lastIncludedTerm !== 'number') return 'footer lacks index or term';
  if (f.size !== dataSize) return `footer says ${String(f.size)} data bytes, file holds ${dataSize}`;
  if (typeof f.checksum !== 'string' || !f.checksum.startsWith('crc32c:')) return 'footer lacks a crc32c checksum';
  const configuration = f.configuration as SnapshotMeta['configuration'];
  if (typeof configuration !== 'object' || configuration === null || !Array.isArray(configuration.voters) || !Array.isArray(configuration.learners)) {
    return 'footer lacks a configuration';
  }
  return {
    lastIncludedIndex: LogIndex(f.lastIncludedIndex),
    lastIncludedTerm: Term(f.lastIncludedTerm),
    configuration,
    size: dataSize,
    checksum: f.checksum,
  };
}
