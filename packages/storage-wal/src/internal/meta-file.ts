import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type NodeId, type PersistentMeta, StorageError, Term } from '@raft/abstractions';
import { RecordType, decodeFrame, encodeFrame, getU64, setU64 } from './frame.js';
import { type WalFileSystem, ioError, readWhole, syncDirectory, writeFully } from './fs.js';
import { WAL_FORMAT_VERSION } from './segment-format.js';

export const META_FILE = 'meta';
export const META_TMP_FILE = 'meta.tmp';
const META_MAGIC = new TextEncoder().encode('RAFTMETA');

/**
 * The meta file: one `meta` record (framed and CRC'd like WAL records) with payload
 * `"RAFTMETA", u16 version, u16 0, u32 0, 16-byte storage id, u64 currentTerm, u8 hasVote,
 * u8 0, u16 voteLength, vote UTF-8`.
 */
export function encodeMeta(meta: PersistentMeta, storageId: string): Uint8Array {
  const vote = meta.votedFor === undefined ? new Uint8Array(0) : new TextEncoder().encode(meta.votedFor);
  const payload = new Uint8Array(44 + vote.byteLength);
  const view = new DataView(payload.buffer);
  payload.set(META_MAGIC, 0);
  view.setUint16(8, WAL_FORMAT_VERSION, true);
  payload.set(Buffer.from(storageId, 'hex'), 16);
  setU64(view, 32, meta.currentTerm);
  payload[40] = meta.votedFor === undefined ? 0 : 1;
  view.setUint16(42, vote.byteLength, true);
  payload.set(vote, 44);
  return encodeFrame(RecordType.meta, payload);
}

/** Decodes a meta file; throws `STORAGE_CORRUPTED` naming the file if it fails verification. */
export function decodeMeta(bytes: Uint8Array, path: string): { meta: PersistentMeta; storageId: string } {
  const fail = (offset: number, reason: string): StorageError =>
    new StorageError('STORAGE_CORRUPTED', `meta file ${path} is corrupted at offset ${offset}: ${reason}; refusing to start without a known term and vote`);
  const frame = decodeFrame(bytes, 0);
  if (typeof frame === 'string') throw fail(0, frame);
  if (frame.type !== RecordType.meta || frame.payloadLength < 44 || frame.end !== bytes.byteLength) throw fail(0, 'not a meta record');
  const p = frame.payloadStart;
  for (let k = 0; k < META_MAGIC.length; k++) if (bytes[p + k] !== META_MAGIC[k]) throw fail(12, 'bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(p + 8, true);
  if (version !== WAL_FORMAT_VERSION) throw fail(20, `unsupported format version ${version}`);
  const term = getU64(view, p + 32);
  if (Number.isNaN(term)) throw fail(44, 'term out of range');
  const hasVote = bytes[p + 40] === 1;
  const voteLength = view.getUint16(p + 42, true);
  if (44 + voteLength !== frame.payloadLength) throw fail(12, 'vote length does not match the record');
  const votedFor = hasVote ? (new TextDecoder().decode(bytes.subarray(p + 44, p + 44 + voteLength)) as NodeId) : undefined;
  return {
    meta: { currentTerm: Term(term), votedFor },
    storageId: Buffer.from(bytes.subarray(p + 16, p + 32)).toString('hex'),
  };
}

/** Reads `<dir>/meta`, or `undefined` if there is none. Removes a leftover `meta.tmp`. */
export async function readMetaFile(fs: WalFileSystem, dir: string): Promise<{ meta: PersistentMeta; storageId: string } | undefined> {
  await unlink(join(dir, META_TMP_FILE)).catch(() => undefined);
  const path = join(dir, META_FILE);
  let handle: Awaited<ReturnType<WalFileSystem['open']>>;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`cannot open ${path}`, error);
  }
  try {
    return decodeMeta(await readWhole(handle), path);
  } finally {
    await handle.close();
  }
}

/** Replaces `<dir>/meta` atomically: write `meta.tmp`, fsync it, rename over `meta`, fsync the directory. */
export async function writeMetaFile(fs: WalFileSystem, dir: string, meta: PersistentMeta, storageId: string): Promise<void> {
  const tmp = join(dir, META_TMP_FILE);
  const handle = await fs.open(tmp, 'w');
  try {
    await writeFully(handle, encodeMeta(meta, storageId), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, META_FILE));
  await syncDirectory(fs, dir);
}
