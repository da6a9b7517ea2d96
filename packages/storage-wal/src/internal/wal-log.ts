import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type LogEntry, LogIndex, type LogStore, StorageError, type Term } from '@raft/abstractions';
import { decodeEntry, encodeEntryFrames } from './entry-codec.js';
import { RecordType, decodeFrame } from './frame.js';
import { type WalFileSystem, ioError, readFully, readWhole, syncDirectory, writeFully, writevFully } from './fs.js';
import { Locations, TermIndex } from './log-index.js';
import { PendingEntries } from './pending.js';
import { type ScannedOp, corrupted, scanSegment } from './scan.js';
import {
  SEGMENT_FILE,
  SEGMENT_HEADER_BYTES,
  WAL_FORMAT_VERSION,
  encodeBatchHeader,
  encodeCompact,
  encodeSegmentHeader,
  encodeTruncate,
  segmentFileName,
} from './segment-format.js';

/** Shared by the log and meta stores of one open storage: the first write failure poisons both. */
export interface FailureState {
  failure: StorageError | undefined;
}

/** What recovery found and did when the log was opened. */
export interface WalRecoveryReport {
  /** Segment files replayed. */
  readonly segments: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Set when the last segment ended in an incomplete or invalid batch that was cut off. */
  readonly tornTail?: { readonly file: string; readonly offset: number; readonly discardedBytes: number; readonly reason: string };
  /** Files removed because they were left over by an interrupted operation. */
  readonly removedFiles: readonly string[];
  /** `true` when the directory had no segment yet and a new storage was created. */
  readonly created: boolean;
}

export interface WalLogOptions {
  readonly dir: string;
  readonly fs: WalFileSystem;
  readonly segmentBytes: number;
  readonly maxBatchBytes: number;
  readonly state: FailureState;
  /** Storage id from the meta file, if one exists. */
  readonly metaStorageId: string | undefined;
}

interface Segment {
  readonly sequence: number;
  readonly name: string;
  readonly prevIndex: number;
  handle: FileHandle | undefined;
  opening?: Promise<FileHandle> | undefined;
}

type Op =
  | { readonly kind: 'append'; readonly frames: Uint8Array[]; readonly entries: readonly LogEntry[] }
  | { readonly kind: 'truncate'; readonly frame: Uint8Array; readonly index: number }
  | { readonly kind: 'compact'; readonly frame: Uint8Array; readonly index: number; readonly term: number; readonly kept: boolean };
type QueuedOp = Op & { readonly bytes: number; readonly resolve: () => void; readonly reject: (error: unknown) => void };

function checkIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${name} must be a non-negative safe integer, got ${value}`);
}

/**
 * The WAL-backed {@link LogStore}. Writes go through one queue: each turn of the flush loop
 * takes every operation queued so far, writes them as one batch at the end of the active
 * segment and fdatasyncs once (group commit); operations arriving meanwhile form the next batch.
 *
 * Three views of the log are kept:
 * - `terms`: the live log as callers see it (updated when a call is made);
 * - `locations` + `pending`: where each live entry is (on disk, or in memory awaiting its fsync);
 * - `disk`: the log as written so far, for segment headers and segment deletion.
 */
export class WalLog implements LogStore {
  private readonly dir: string;
  private readonly fs: WalFileSystem;
  private readonly segmentBytes: number;
  private readonly maxBatchBytes: number;
  private readonly state: FailureState;
  private readonly storageId: string;
  private closed = false;

  private readonly terms: TermIndex;
  private readonly locations: Locations;
  private readonly pending = new PendingEntries();
  /** Bytes of the records of live entries. */
  private bytes: number;
  private readonly disk: TermIndex;

  private readonly segments: Segment[];
  private active: FileHandle;
  /** Write offset in the active segment; everything before it is durable. */
  private end: number;

  private queue: QueuedOp[] = [];
  private flushing: Promise<void> | undefined;

  /** What recovery did when this store was opened. */
  readonly recovery: WalRecoveryReport;

  private constructor(
    options: WalLogOptions,
    init: {
      storageId: string;
      terms: TermIndex;
      disk: TermIndex;
      locations: Locations;
      segments: Segment[];
      active: FileHandle;
      end: number;
      recovery: WalRecoveryReport;
    },
  ) {
    this.dir = options.dir;
    this.fs = options.fs;
    this.segmentBytes = options.segmentBytes;
    this.maxBatchBytes = options.maxBatchBytes;
    this.state = options.state;
    this.storageId = init.storageId;
    this.terms = init.terms;
    this.disk = init.disk;
    this.locations = init.locations;
    this.bytes = init.locations.bytesBetween(init.terms.compactIndex + 1, init.terms.lastIndex);
    this.segments = init.segments;
    this.active = init.active;
    this.end = init.end;
    this.recovery = init.recovery;
  }

  /** The id of this storage, also written into the meta file. */
  get id(): string {
    return this.storageId;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Opens the WAL in `dir`: replays every segment, verifying every CRC, cuts off a torn tail,
   * and refuses damage to acknowledged data with `STORAGE_CORRUPTED`.
   */
  static async open(options: WalLogOptions): Promise<WalLog> {
    const { dir, fs } = options;
    const removedFiles: string[] = [];
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (cause) {
      throw ioError(`cannot list ${dir}`, cause);
    }
    for (const name of names) {
      // A segment still named .tmp never became part of the log (it is renamed once its header is durable).
      if (name.endsWith('.wal.tmp')) {
        await unlink(join(dir, name)).catch(() => undefined);
        removedFiles.push(name);
      }
    }
    let files = names.filter((name) => SEGMENT_FILE.test(name)).sort();

    // Prefix deletion after compaction may be cut short, and without a directory fsync even
    // reordered; only a gap-free suffix is replayed, and the replay proves it lost nothing.
    for (let k = files.length - 1; k > 0; k--) {
      if (Number(SEGMENT_FILE.exec(files[k] as string)?.[1]) !== Number(SEGMENT_FILE.exec(files[k - 1] as string)?.[1]) + 1) {
        for (const stale of files.slice(0, k)) removedFiles.push(stale);
        files = files.slice(k);
        break;
      }
    }
    /** Set when the first replayed segment is not segment 1: older ones were deleted. */
    let deletedBase: number | undefined;

    let created = false;
    let storageId = options.metaStorageId;
    let terms: TermIndex | undefined;
    const locations = new Locations();
    const segments: Segment[] = [];
    let explicitCompact = 0;
    let tornTail: WalRecoveryReport['tornTail'];
    let validEnd = SEGMENT_HEADER_BYTES;

    for (let k = 0; k < files.length; k++) {
      const name = files[k] as string;
      const path = join(dir, name);
      const isLast = k === files.length - 1;
      let bytes: Uint8Array;
      try {
        const handle = await fs.open(path, 'r');
        try {
          bytes = await readWhole(handle);
        } finally {
          await handle.close();
        }
      } catch (cause) {
        throw ioError(`cannot read ${path}`, cause);
      }
      const scan = scanSegment(bytes, name, isLast);
      const sequence = Number(SEGMENT_FILE.exec(name)?.[1]);
      if (scan === 'incomplete-header') {
        // The first segment of a new directory, or one with a predecessor: it never held data
        // (anything written to it would lie past a complete header). An only segment later in
        // the sequence replaced compacted ones and held the log: that is damage, not a crash.
        if (k === 0 && sequence !== 1) throw corrupted(name, 0, 'segment header: incomplete');
        await unlink(path).catch((cause: unknown) => {
          throw ioError(`cannot remove ${path}`, cause);
        });
        removedFiles.push(name);
        files = files.slice(0, k);
        break;
      }
      const { header } = scan;
      if (header.sequence !== sequence) throw corrupted(name, 0, `header says segment ${header.sequence}`);
      if (storageId === undefined) storageId = header.storageId;
      else if (header.storageId !== storageId) {
        throw corrupted(name, 0, `belongs to storage ${header.storageId}, not ${storageId} (a file from another directory?)`);
      }
      if (terms === undefined) {
        terms = TermIndex.at(header.prevIndex, header.prevTerm);
        if (sequence !== 1) deletedBase = header.prevIndex;
      } else if (header.prevIndex !== terms.lastIndex || header.prevTerm !== terms.termAt(terms.lastIndex)) {
        throw corrupted(name, 0, `starts after index ${header.prevIndex} (term ${header.prevTerm}) but the previous segment ends at ${terms.lastIndex}`);
      }
      for (const op of scan.ops) explicitCompact = Math.max(explicitCompact, replay(terms, locations, op, sequence, name));
      segments.push({ sequence, name, prevIndex: header.prevIndex, handle: undefined });
      validEnd = scan.validEnd;
      if (scan.tornTail) {
        tornTail = { file: name, offset: scan.tornTail.offset, discardedBytes: bytes.byteLength - scan.tornTail.offset, reason: scan.tornTail.reason };
      }
    }
    if (terms !== undefined && terms.compactTerm === undefined) {
      throw corrupted(files[0] ?? '?', 0, 'the log truncates below its first segment with no later compaction record');
    }
    // Segments are deleted only once a durable compact record (in a later segment) covers
    // them, so the replayed segments must prove every missing entry was compacted.
    if (deletedBase !== undefined && explicitCompact < deletedBase) {
      throw new StorageError(
        'STORAGE_CORRUPTED',
        `WAL in ${dir} is missing segments before ${files[0]} (offset 0): entries up to ${deletedBase} are gone but no compaction covers them`,
      );
    }
    if (segments.length === 0 && storageId !== undefined && options.metaStorageId !== undefined && names.includes('meta')) {
      throw new StorageError(
        'STORAGE_CORRUPTED',
        `storage directory ${dir} has a meta file but no WAL segment: the log is lost; refusing to start (a node must not forget what it acknowledged)`,
      );
    }

    const removeNow = removedFiles.filter((name) => SEGMENT_FILE.test(name));
    for (const name of removeNow) await unlink(join(dir, name)).catch(() => undefined);

    let active: FileHandle;
    try {
      if (segments.length === 0) {
        created = true;
        storageId ??= randomBytes(16).toString('hex');
        terms = TermIndex.at(0, 0);
        const segment = await createSegment(fs, dir, storageId, 1, 0, 0);
        segments.push(segment);
        validEnd = SEGMENT_HEADER_BYTES;
      }
      const last = segments[segments.length - 1] as Segment;
      active = await fs.open(join(dir, last.name), 'r+');
      last.handle = active;
      if (tornTail !== undefined) {
        // Cut the torn tail off durably before anything is appended after it.
        await active.truncate(validEnd);
        await active.datasync();
      }
      if (removedFiles.length > 0) await syncDirectory(fs, dir);
    } catch (cause) {
      throw ioError(`cannot prepare the WAL in ${dir} for writing`, cause);
    }

    const live = terms as TermIndex;
    const disk = cloneTerms(live);
    return new WalLog(options, {
      storageId: storageId as string,
      terms: live,
      disk,
      locations,
      segments,
      active,
      end: validEnd,
      recovery: {
        segments: segments.length,
        firstIndex: live.compactIndex + 1,
        lastIndex: live.lastIndex,
        ...(tornTail !== undefined ? { tornTail } : {}),
        removedFiles,
        created,
      },
    });
  }

  // ---------------------------------------------------------------- LogStore

  async append(entries: readonly LogEntry[]): Promise<void> {
    this.checkWritable();
    let expected = this.terms.lastIndex + 1;
    for (const entry of entries) {
      if (entry.index !== expected) throw new InvalidArgumentError(`append must be contiguous: expected index ${expected}, got ${entry.index}`);
      checkIndex('term', entry.term);
      expected++;
    }
    if (entries.length === 0) return;
    const frames = encodeEntryFrames(entries);
    let bytes = 0;
    for (const frame of frames) bytes += frame.byteLength;
    // Visible at once (so the next append may follow before this one is durable); resolved
    // only after the fdatasync that covers it.
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k] as LogEntry;
      this.terms.append(entry.index, entry.term);
      this.pending.push({ entry, frame: frames[k] as Uint8Array });
    }
    this.bytes += bytes;
    return this.enqueue({ kind: 'append', frames, entries }, bytes);
  }

  async truncateAfter(index: LogIndex): Promise<void> {
    this.checkWritable();
    checkIndex('index', index);
    if (index >= this.terms.lastIndex) return;
    if (index < this.terms.compactIndex) {
      throw new InvalidArgumentError(`cannot truncate after ${index}: entries up to ${this.terms.compactIndex} are compacted`);
    }
    this.bytes -= this.locations.bytesBetween(index + 1, Number.MAX_SAFE_INTEGER) + this.pending.truncateAfter(index);
    this.terms.truncateAfter(index);
    this.locations.truncateAfter(index);
    const frame = encodeTruncate(index);
    return this.enqueue({ kind: 'truncate', frame, index }, frame.byteLength);
  }

  async compactUpTo(index: LogIndex, term: Term): Promise<void> {
    this.checkWritable();
    checkIndex('index', index);
    checkIndex('term', term);
    if (index <= this.terms.compactIndex) return;
    const removed = this.locations.bytesBetween(0, index);
    // §7: the entries after `index` stay only if the entry at `index` has `term`.
    const kept = this.terms.compactUpTo(index, term);
    if (kept) {
      this.bytes -= removed + this.pending.dropUpTo(index);
      this.locations.compactUpTo(index);
    } else {
      this.bytes = 0;
      this.locations.clear();
      this.pending.clear();
    }
    const frame = encodeCompact(index, term, kept);
    return this.enqueue({ kind: 'compact', frame, index, term, kept }, frame.byteLength);
  }

  async read(from: LogIndex, to: LogIndex): Promise<LogEntry[]> {
    this.checkOpen();
    checkIndex('from', from);
    checkIndex('to', to);
    const first = Math.max(from, this.terms.compactIndex + 1);
    const last = Math.min(to, this.terms.lastIndex);
    if (first > last) return [];
    const durableLast = this.locations.lastIndex(this.terms.compactIndex);
    // Capture everything synchronously: later calls may change the views while we await.
    const ranges = [...this.locations.ranges(first, Math.min(last, durableLast))].map(({ sequence, first: lo, last: hi, extent }) => {
      const start = extent.offsets.get(extent.skip + (lo - extent.first));
      const lastOffset = extent.offsets.get(extent.skip + (hi - extent.first));
      const end = lastOffset + extent.lengths.get(extent.skip + (hi - extent.first));
      const offsets: number[] = [];
      for (let index = lo; index <= hi; index++) offsets.push(extent.offsets.get(extent.skip + (index - extent.first)) - start);
      return { sequence, lo, hi, start, end, offsets };
    });
    const fromMemory: LogEntry[] = [];
    for (let index = Math.max(first, durableLast + 1); index <= last; index++) {
      const pending = this.pending.at(index);
      if (pending === undefined) break;
      fromMemory.push(pending.entry);
    }
    const out: LogEntry[] = [];
    for (const range of ranges) {
      const segment = this.segments.find((s) => s.sequence === range.sequence);
      if (segment === undefined) throw new StorageError('STORAGE_IO_FAILED', `segment ${range.sequence} is gone (compacted during the read)`);
      const bytes = new Uint8Array(range.end - range.start);
      try {
        // Opened once per segment, even by concurrent reads.
        segment.opening ??= segment.handle !== undefined ? Promise.resolve(segment.handle) : this.fs.open(join(this.dir, segment.name), 'r');
        segment.handle ??= await segment.opening;
        await readFully(segment.handle, bytes, range.start);
      } catch (cause) {
        throw ioError(`cannot read ${segment.name}`, cause);
      }
      for (let index = range.lo; index <= range.hi; index++) {
        // Records of one extent may be separated by batch headers: each has its own offset.
        const at = range.offsets[index - range.lo] as number;
        const frame = decodeFrame(bytes, at);
        const offset = range.start + at;
        if (typeof frame === 'string' || frame.type !== RecordType.entry) {
          throw corrupted(segment.name, offset, typeof frame === 'string' ? frame : `expected an entry record, found type ${frame.type}`);
        }
        let entry: LogEntry;
        try {
          entry = decodeEntry(bytes, frame.payloadStart, frame.payloadLength);
        } catch (error) {
          throw corrupted(segment.name, offset, (error as Error).message);
        }
        if (entry.index !== index) throw corrupted(segment.name, offset, `expected entry ${index}, found ${entry.index}`);
        out.push(entry);
      }
    }
    out.push(...fromMemory);
    return out;
  }

  firstIndex(): LogIndex {
    this.checkOpen();
    return LogIndex(this.terms.compactIndex + 1);
  }

  lastIndex(): LogIndex {
    this.checkOpen();
    return LogIndex(this.terms.lastIndex);
  }

  termAt(index: LogIndex): Term | undefined {
    this.checkOpen();
    return this.terms.termAt(index) as Term | undefined;
  }

  totalBytes(): number {
    this.checkOpen();
    return this.bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued writes finish (or fail) before the handles go.
    while (this.flushing !== undefined) await this.flushing;
    await Promise.all(this.segments.map(async (s) => (s.handle ?? (await s.opening?.catch(() => undefined)))?.close().catch(() => undefined)));
    for (const segment of this.segments) {
      segment.handle = undefined;
      segment.opening = undefined;
    }
  }

  // ---------------------------------------------------------------- write path

  private checkOpen(): void {
    if (this.closed) throw new StorageError('STORAGE_CLOSED', `WAL log store in ${this.dir} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    const failure = this.state.failure;
    if (failure !== undefined) {
      throw new StorageError('STORAGE_IO_FAILED', `storage in ${this.dir} refuses writes after an earlier failure (reopen it to recover from disk): ${failure.message}`, {
        cause: failure,
      });
    }
  }

  private enqueue(op: Op, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...op, bytes, resolve, reject });
      // Start on the next microtask so that a burst of calls in one turn forms one batch.
      this.flushing ??= Promise.resolve().then(() => this.flushLoop());
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.state.failure !== undefined) {
          const error = new StorageError('STORAGE_IO_FAILED', `storage in ${this.dir} refuses writes after an earlier failure: ${this.state.failure.message}`, {
            cause: this.state.failure,
          });
          for (const op of this.queue.splice(0)) op.reject(error);
          return;
        }
        let size = 0;
        let take = 0;
        while (take < this.queue.length && (take === 0 || size + (this.queue[take] as QueuedOp).bytes <= this.maxBatchBytes)) {
          size += (this.queue[take] as QueuedOp).bytes;
          take++;
        }
        const batch = this.queue.splice(0, take);
        try {
          await this.writeBatch(batch);
        } catch (error) {
          for (const op of batch) op.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: readonly QueuedOp[]): Promise<void> {
    const frames: Uint8Array[] = [];
    for (const op of batch) {
      if (op.kind === 'append') frames.push(...op.frames);
      else frames.push(op.frame);
    }
    const bodyBytes = frames.reduce((n, f) => n + f.byteLength, 0);
    // Durable frontier: everything before `end` was fdatasync'ed before this batch is written.
    const header = encodeBatchHeader(this.end, bodyBytes, frames.length);
    const batchBytes = header.byteLength + bodyBytes;
    const segment = this.segments[this.segments.length - 1] as Segment;
    try {
      await writevFully(this.active, coalesce([header, ...frames]), this.end);
      await this.active.datasync();
    } catch (cause) {
      // Never retried: after a failed fsync the page cache may claim data that is not on disk.
      this.state.failure = ioError(`cannot write or fdatasync ${segment.name}`, cause);
      throw this.state.failure;
    }

    let offset = this.end + header.byteLength;
    let compacted = false;
    for (const op of batch) {
      if (op.kind === 'append') {
        for (let k = 0; k < op.frames.length; k++) {
          const frame = op.frames[k] as Uint8Array;
          const entry = op.entries[k] as LogEntry;
          // Only if still live: a truncation or compaction since the call removed it from `pending`.
          const first = this.pending.first();
          if (first !== undefined && first.frame === frame) {
            this.locations.add(segment.sequence, entry.index, offset, frame.byteLength);
            this.pending.shift();
          }
          this.disk.append(entry.index, entry.term);
          offset += frame.byteLength;
        }
      } else if (op.kind === 'truncate') {
        this.disk.truncateAfter(op.index);
        offset += op.frame.byteLength;
      } else {
        this.disk.applyCompact(op.index, op.term, op.kept);
        offset += op.frame.byteLength;
        compacted = true;
      }
    }
    this.end += batchBytes;
    // A compaction resolves once the segments it freed are gone (so disk usage is observable).
    if (compacted) await this.deleteCompactedSegments();
    for (const op of batch) op.resolve();
    if (this.end >= this.segmentBytes) await this.rotate();
  }

  /**
   * Deletes whole segments that hold only compacted entries: segment `k` goes once the log
   * position where segment `k + 1` starts is compacted (every live entry of `k` is at or below
   * it). Deletion is oldest first, so what remains is always a suffix that replays on its own.
   */
  private async deleteCompactedSegments(): Promise<void> {
    let deleted = false;
    while (this.segments.length > 1 && (this.segments[1] as Segment).prevIndex <= this.disk.compactIndex) {
      const segment = this.segments[0] as Segment;
      try {
        await (segment.handle ?? (await segment.opening?.catch(() => undefined)))?.close();
        segment.handle = undefined;
        segment.opening = undefined;
        await unlink(join(this.dir, segment.name));
      } catch {
        break; // Not a durability problem: it is tried again after the next compaction.
      }
      this.segments.shift();
      deleted = true;
    }
    if (deleted) await syncDirectory(this.fs, this.dir).catch(() => undefined);
  }

  /** Starts the next segment: header written to a temporary file, synced, renamed, directory synced. */
  private async rotate(): Promise<void> {
    const previous = this.segments[this.segments.length - 1] as Segment;
    try {
      const segment = await createSegment(
        this.fs,
        this.dir,
        this.storageId,
        previous.sequence + 1,
        this.disk.lastIndex,
        this.disk.termAt(this.disk.lastIndex) ?? 0,
      );
      const active = await this.fs.open(join(this.dir, segment.name), 'r+');
      segment.handle = active;
      this.segments.push(segment);
      this.active = active;
      this.end = SEGMENT_HEADER_BYTES;
    } catch (cause) {
      this.state.failure = ioError(`cannot start WAL segment ${previous.sequence + 1} in ${this.dir}`, cause);
    }
  }
}

/** Applies one replayed operation; returns the compaction index it records (0 if none). */
function replay(terms: TermIndex, locations: Locations, op: ScannedOp, sequence: number, file: string): number {
  switch (op.type) {
    case 'entry':
      if (op.index !== terms.lastIndex + 1) throw corrupted(file, op.offset, `entry ${op.index} does not follow ${terms.lastIndex}`);
      terms.append(op.index, op.term);
      locations.add(sequence, op.index, op.offset, op.length);
      return 0;
    case 'truncate':
      terms.truncateAfter(op.index);
      locations.truncateAfter(op.index);
      return 0;
    case 'compact':
      terms.applyCompact(op.index, op.term, op.kept);
      if (op.kept) locations.compactUpTo(op.index);
      else locations.clear();
      return op.index;
  }
}

/** Merges views that are adjacent in one buffer (the records of one append are), so writev gets few buffers. */
function coalesce(views: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const view of views) {
    const last = out[out.length - 1];
    if (last !== undefined && last.buffer === view.buffer && last.byteOffset + last.byteLength === view.byteOffset) {
      out[out.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + view.byteLength);
    } else {
      out.push(view);
    }
  }
  return out;
}

function cloneTerms(terms: TermIndex): TermIndex {
  const copy = TermIndex.at(terms.compactIndex, terms.compactTerm ?? 0);
  copy.lastIndex = terms.lastIndex;
  copy.runs = terms.runs.map((run) => ({ ...run }));
  return copy;
}

async function createSegment(fs: WalFileSystem, dir: string, storageId: string, sequence: number, prevIndex: number, prevTerm: number): Promise<Segment> {
  const name = segmentFileName(sequence);
  const tmp = join(dir, `${name}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await writeFully(handle, encodeSegmentHeader({ version: WAL_FORMAT_VERSION, storageId, sequence, prevIndex, prevTerm }), 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDirectory(fs, dir);
  return { sequence, name, prevIndex, handle: undefined };
}
