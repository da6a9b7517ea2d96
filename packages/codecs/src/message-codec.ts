import {
  type AppendEntries,
  type AppendEntriesResponse,
  type ClientIdentity,
  type ClusterConfiguration,
  CodecError,
  type CommandEntry,
  type InstallSnapshot,
  type InstallSnapshotResponse,
  InvalidArgumentError,
  type LogEntry,
  type LogIndex,
  type NodeId,
  type RaftMessage,
  type RequestVote,
  type RequestVoteResponse,
  type Term,
  type TimeoutNow,
  isRaftError,
} from '@raft/abstractions';
import { type DecodeOptions, type EncodeOptions, FRAME_HEADER_BYTES, type FrameType, MESSAGE_TYPE_CODES, openFrame } from './frame.js';
import { beginFrame, endFrame, frameOverhead } from './internal/frame-writer.js';
import { Reader } from './internal/reader.js';
import { MAX_ID_BYTES, chunkProblem, configurationProblem, idProblem } from './internal/validate.js';
import { BOUND, Writer } from './internal/writer.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The code of each entry kind in the first element of an entry (stable across versions).
 */
const ENTRY_KIND = { command: 1, configuration: 2, noop: 3 } as const;

/** Body arity (number of positional fields) of each message, fixed in version 1. */
const ARITY = {
  RequestVote: 7,
  RequestVoteResponse: 5,
  AppendEntries: 8,
  AppendEntriesResponse: 9,
  InstallSnapshot: 10,
  InstallSnapshotResponse: 6,
  TimeoutNow: 3,
} as const;

/** Smallest encoding of one entry, `[3, index, term]` with fixints: 4 bytes. */
const MIN_ENTRY_BYTES = 4;
/** Smallest encoding of one id in a member list: a 1-byte fixstr. */
const MIN_ID_BYTES = 2;

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes one protocol message as a self-delimiting frame (header, MessagePack body, optional
 * checksum). Payloads and snapshot data are copied once, into the frame; nothing else is.
 *
 * Invariant: every frame this returns is accepted by {@link decodeMessage} (given a large enough
 * `maxFrameBytes`) and decodes to an equal message.
 *
 * @throws {@link InvalidArgumentError} when the message is not a valid `RaftMessage` (an empty
 * node id, a negative or unsafe term or index, entries not contiguous from `prevLogIndex + 1`, a
 * member listed twice, …): a bug in the sender, refused rather than put on the wire.
 */
export function encodeMessage(message: RaftMessage, options: EncodeOptions = {}): Uint8Array {
  const checksum = options.checksum === true;
  const w = new Writer(checkedBound(messageBound(message) + frameOverhead(checksum)));
  writeMessageFrame(w, message, checksum);
  return finish(w);
}

/**
 * Encodes several messages as consecutive frames in one buffer, ready for a single socket
 * write (what a transport does when it coalesces sends to one peer). The result is exactly the
 * concatenation of {@link encodeMessage} of each; a {@link FrameDecoder} splits it again.
 *
 * @throws {@link InvalidArgumentError} as {@link encodeMessage}.
 */
export function encodeMessages(messages: readonly RaftMessage[], options: EncodeOptions = {}): Uint8Array {
  const checksum = options.checksum === true;
  let bound = 0;
  for (const message of messages) bound += messageBound(message) + frameOverhead(checksum);
  const w = new Writer(checkedBound(bound));
  for (const message of messages) writeMessageFrame(w, message, checksum);
  return finish(w);
}

function checkedBound(bound: number): number {
  if (!Number.isSafeInteger(bound)) throw new InvalidArgumentError('message does not match the RaftMessage type');
  return bound;
}

function finish(w: Writer): Uint8Array {
  // A typed array drops writes past its end silently: a bound that was too small (only possible
  // for a value that does not match its type) must not yield a truncated frame.
  if (w.position > w.buffer.length) throw new InvalidArgumentError('message does not match the RaftMessage type');
  return w.written();
}

/** An upper bound of the encoded body of `m` (see {@link BOUND}). */
function messageBound(m: RaftMessage): number {
  // Array header + from + to + at most 8 scalar fields (uints and booleans).
  let n = BOUND.arrayHeader + BOUND.string(m.from.length) + BOUND.string(m.to.length) + 8 * BOUND.uint;
  if (m.type === 'AppendEntries') {
    n += BOUND.arrayHeader;
    for (const entry of m.entries) n += entryBound(entry);
  } else if (m.type === 'InstallSnapshot') {
    n += configurationBound(m.configuration) + BOUND.bin(m.data.byteLength);
  }
  return n;
}

function entryBound(e: LogEntry): number {
  const base = BOUND.arrayHeader + 3 * BOUND.uint;
  switch (e.kind) {
    case 'command':
      return (
        base +
        BOUND.bin(e.payload.byteLength) +
        (e.correlationId === undefined ? BOUND.nil : BOUND.string(e.correlationId.length)) +
        (e.client === undefined ? BOUND.nil : BOUND.arrayHeader + BOUND.string(e.client.clientId.length) + BOUND.uint)
      );
    case 'configuration':
      return base + configurationBound(e.configuration);
    default:
      return base;
  }
}

function configurationBound(c: ClusterConfiguration): number {
  let n = 4 * BOUND.arrayHeader + BOUND.nil;
  for (const id of c.voters) n += BOUND.string(id.length);
  for (const id of c.learners) n += BOUND.string(id.length);
  for (const id of c.oldVoters ?? []) n += BOUND.string(id.length);
  return n;
}

function writeMessageFrame(w: Writer, m: RaftMessage, checksum: boolean): void {
  const code = (MESSAGE_TYPE_CODES as Readonly<Record<string, number>>)[m.type];
  if (code === undefined) throw new InvalidArgumentError(`unknown message type ${JSON.stringify(m.type)}`);
  const start = beginFrame(w, code, checksum);
  w.arrayHeader(ARITY[m.type]);
  writeId(w, m.from, 'from');
  writeId(w, m.to, 'to');
  w.uint(m.term, 'term');
  switch (m.type) {
    case 'RequestVote':
      w.uint(m.lastLogIndex, 'lastLogIndex');
      w.uint(m.lastLogTerm, 'lastLogTerm');
      w.bool(m.preVote, 'preVote');
      w.bool(m.leadershipTransfer, 'leadershipTransfer');
      break;
    case 'RequestVoteResponse':
      w.bool(m.granted, 'granted');
      w.bool(m.preVote, 'preVote');
      break;
    case 'AppendEntries':
      writeAppendEntries(w, m);
      break;
    case 'AppendEntriesResponse':
      w.bool(m.success, 'success');
      w.uint(m.matchIndex, 'matchIndex');
      w.uint(m.lastLogIndex, 'lastLogIndex');
      w.uint(m.seq, 'seq');
      if (m.conflictTerm === undefined) w.nil();
      else w.uint(m.conflictTerm, 'conflictTerm');
      if (m.conflictIndex === undefined) w.nil();
      else w.uint(m.conflictIndex, 'conflictIndex');
      break;
    case 'InstallSnapshot': {
      w.uint(m.lastIncludedIndex, 'lastIncludedIndex');
      w.uint(m.lastIncludedTerm, 'lastIncludedTerm');
      writeConfiguration(w, m.configuration, 'configuration');
      w.uint(m.offset, 'offset');
      w.uint(m.size, 'size');
      w.bool(m.done, 'done');
      w.bin(m.data, 'data');
      const problem = chunkProblem(m.offset, m.data.byteLength, m.size);
      if (problem !== undefined) throw new InvalidArgumentError(`InstallSnapshot: ${problem}`);
      break;
    }
    case 'InstallSnapshotResponse':
      w.uint(m.lastIncludedIndex, 'lastIncludedIndex');
      w.uint(m.nextOffset, 'nextOffset');
      w.bool(m.installed, 'installed');
      break;
    case 'TimeoutNow':
      break;
  }
  endFrame(w, start, checksum);
}

function writeAppendEntries(w: Writer, m: AppendEntries): void {
  w.uint(m.prevLogIndex, 'prevLogIndex');
  w.uint(m.prevLogTerm, 'prevLogTerm');
  w.uint(m.leaderCommit, 'leaderCommit');
  w.uint(m.seq, 'seq');
  const entries = m.entries;
  w.arrayHeader(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as LogEntry;
    // Invariant (messages.ts): entries are contiguous from prevLogIndex + 1.
    if (e.index !== m.prevLogIndex + 1 + i) {
      throw new InvalidArgumentError(`AppendEntries.entries[${i}].index is ${e.index}, expected ${m.prevLogIndex + 1 + i} (contiguous from prevLogIndex + 1)`);
    }
    switch (e.kind) {
      case 'command':
        w.arrayHeader(6);
        w.u8(ENTRY_KIND.command);
        w.uint(e.index, 'entry.index');
        w.uint(e.term, 'entry.term');
        w.bin(e.payload, 'entry.payload');
        if (e.correlationId === undefined) w.nil();
        else w.string(e.correlationId, 'entry.correlationId');
        if (e.client === undefined) w.nil();
        else {
          w.arrayHeader(2);
          w.string(e.client.clientId, 'entry.client.clientId');
          w.uint(e.client.sequence, 'entry.client.sequence');
        }
        break;
      case 'configuration':
        w.arrayHeader(4);
        w.u8(ENTRY_KIND.configuration);
        w.uint(e.index, 'entry.index');
        w.uint(e.term, 'entry.term');
        writeConfiguration(w, e.configuration, 'entry.configuration');
        break;
      case 'noop':
        w.arrayHeader(3);
        w.u8(ENTRY_KIND.noop);
        w.uint(e.index, 'entry.index');
        w.uint(e.term, 'entry.term');
        break;
      default:
        throw new InvalidArgumentError(`unknown entry kind ${JSON.stringify((e as { kind: unknown }).kind)}`);
    }
  }
}

function writeConfiguration(w: Writer, c: ClusterConfiguration, field: string): void {
  const problem = configurationProblem(c.voters, c.learners, c.oldVoters);
  if (problem !== undefined) throw new InvalidArgumentError(`${field}: ${problem}`);
  w.arrayHeader(3);
  writeIdList(w, c.voters, `${field}.voters`);
  writeIdList(w, c.learners, `${field}.learners`);
  if (c.oldVoters === undefined) w.nil();
  else writeIdList(w, c.oldVoters, `${field}.oldVoters`);
}

function writeIdList(w: Writer, ids: readonly NodeId[], field: string): void {
  w.arrayHeader(ids.length);
  for (const id of ids) writeId(w, id, field);
}

/** Writes a node id, refusing what the `NodeId` constructor refuses. */
export function writeId(w: Writer, id: string, field: string): void {
  const problem = idProblem(id);
  if (problem !== undefined) throw new InvalidArgumentError(`${field} ${problem}`);
  w.string(id, field);
}

// ---------------------------------------------------------------------------------------------
// Decoding

const isMessageType = (type: FrameType | undefined): boolean => type !== undefined && type !== 'handshake' && type !== 'handshakeRejected';

/**
 * Decodes one frame (as produced by {@link encodeMessage}, or yielded by a
 * {@link FrameDecoder}) into a protocol message. Safe on untrusted bytes.
 *
 * Invariants:
 * - The only error it throws is a {@link CodecError}: `CODEC_FRAME_TOO_LARGE` when the frame
 *   exceeds `maxFrameBytes`, `CODEC_UNSUPPORTED_VERSION` for another wire-format version,
 *   `CODEC_MALFORMED` for anything else wrong (bad magic, truncation, trailing bytes, a checksum
 *   mismatch, a field of the wrong type or out of range, an unknown enum code).
 * - What it returns is a valid `RaftMessage`: every field present with its type, node ids
 *   non-empty strings of at most 255 characters, terms, indices and counters non-negative safe
 *   integers, entries well-formed and contiguous from `prevLogIndex + 1`, configurations without
 *   duplicate members, snapshot chunks within the snapshot's size; no extra properties.
 * - It allocates only in proportion to the bytes given, reads each byte a bounded number of
 *   times, and returns payloads and snapshot data as views of `frame` (no copy): keep `frame`
 *   unmodified while the message is in use.
 */
export function decodeMessage(frame: Uint8Array, options: DecodeOptions = {}): RaftMessage {
  try {
    const bodyEnd = openFrame(frame, options, isMessageType, 'a protocol message');
    switch (frame[3]) {
      case MESSAGE_TYPE_CODES.RequestVote:
        return readRequestVote(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'RequestVote'));
      case MESSAGE_TYPE_CODES.RequestVoteResponse:
        return readRequestVoteResponse(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'RequestVoteResponse'));
      case MESSAGE_TYPE_CODES.AppendEntries:
        return readAppendEntries(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'AppendEntries'));
      case MESSAGE_TYPE_CODES.AppendEntriesResponse:
        return readAppendEntriesResponse(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'AppendEntriesResponse'));
      case MESSAGE_TYPE_CODES.InstallSnapshot:
        return readInstallSnapshot(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'InstallSnapshot'));
      case MESSAGE_TYPE_CODES.InstallSnapshotResponse:
        return readInstallSnapshotResponse(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'InstallSnapshotResponse'));
      case MESSAGE_TYPE_CODES.TimeoutNow:
        return readTimeoutNow(new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'TimeoutNow'));
      default:
        throw new CodecError('CODEC_MALFORMED', `unknown message type 0x${(frame[3] ?? 0).toString(16)}`);
    }
  } catch (error) {
    throw asCodecError(error);
  }
}

/** Anything thrown while decoding becomes a {@link CodecError}; an option error is the caller's. */
export function asCodecError(error: unknown): Error {
  if (isRaftError(error) && (error.code.startsWith('CODEC_') || error.code === 'INVALID_CONFIGURATION')) return error;
  // Defence in depth: the reader checks every bound, so this is not expected to happen.
  return new CodecError('CODEC_MALFORMED', `undecodable frame: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** Reads a node id: a string of 1 to 255 characters. */
export function readId(r: Reader, field: string): NodeId {
  const id = r.string(field, MAX_ID_BYTES);
  const problem = idProblem(id);
  if (problem !== undefined) r.fail(field, problem);
  return id as NodeId;
}

function readRequestVote(r: Reader): RequestVote {
  r.tuple('(body)', ARITY.RequestVote);
  const message: RequestVote = {
    type: 'RequestVote',
    from: readId(r, 'from'),
    to: readId(r, 'to'),
    term: r.uint('term') as Term,
    lastLogIndex: r.uint('lastLogIndex') as LogIndex,
    lastLogTerm: r.uint('lastLogTerm') as Term,
    preVote: r.bool('preVote'),
    leadershipTransfer: r.bool('leadershipTransfer'),
  };
  r.done();
  return message;
}

function readRequestVoteResponse(r: Reader): RequestVoteResponse {
  r.tuple('(body)', ARITY.RequestVoteResponse);
  const message: RequestVoteResponse = {
    type: 'RequestVoteResponse',
    from: readId(r, 'from'),
    to: readId(r, 'to'),
    term: r.uint('term') as Term,
    granted: r.bool('granted'),
    preVote: r.bool('preVote'),
  };
  r.done();
  return message;
}

function readAppendEntries(r: Reader): AppendEntries {
  r.tuple('(body)', ARITY.AppendEntries);
  const from = readId(r, 'from');
  const to = readId(r, 'to');
  const term = r.uint('term') as Term;
  const prevLogIndex = r.uint('prevLogIndex') as LogIndex;
  const prevLogTerm = r.uint('prevLogTerm') as Term;
  const leaderCommit = r.uint('leaderCommit') as LogIndex;
  const seq = r.uint('seq');
  // Invariant: count ≤ remaining bytes / MIN_ENTRY_BYTES, checked before the array is allocated.
  const count = r.arrayLength('entries', MIN_ENTRY_BYTES);
  const entries = new Array<LogEntry>(count);
  for (let i = 0; i < count; i++) {
    const entry = readEntry(r);
    // Invariant (messages.ts): entries are contiguous from prevLogIndex + 1; this also bounds
    // every index to prevLogIndex + count, a safe integer since each one was read as such.
    if (entry.index !== prevLogIndex + 1 + i) r.fail(`entries[${i}].index`, `is ${entry.index}, expected ${prevLogIndex + 1 + i} (contiguous from prevLogIndex + 1)`);
    entries[i] = entry;
  }
  r.done();
  return { type: 'AppendEntries', from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq };
}

function readEntry(r: Reader): LogEntry {
  const arity = r.arrayLength('entry');
  const kind = r.uint('entry.kind');
  switch (kind) {
    case ENTRY_KIND.command: {
      if (arity !== 6) r.fail('entry', `a command entry has 6 fields, got ${arity}`);
      const entry: Mutable<CommandEntry> = {
        kind: 'command',
        index: r.uint('entry.index') as LogIndex,
        term: r.uint('entry.term') as Term,
        payload: r.bin('entry.payload'),
      };
      if (!r.nil()) entry.correlationId = r.string('entry.correlationId', Number.MAX_SAFE_INTEGER);
      if (!r.nil()) entry.client = readClient(r);
      return entry;
    }
    case ENTRY_KIND.configuration: {
      if (arity !== 4) r.fail('entry', `a configuration entry has 4 fields, got ${arity}`);
      return {
        kind: 'configuration',
        index: r.uint('entry.index') as LogIndex,
        term: r.uint('entry.term') as Term,
        configuration: readConfiguration(r, 'entry.configuration'),
      };
    }
    case ENTRY_KIND.noop:
      if (arity !== 3) r.fail('entry', `a noop entry has 3 fields, got ${arity}`);
      return { kind: 'noop', index: r.uint('entry.index') as LogIndex, term: r.uint('entry.term') as Term };
    default:
      return r.fail('entry.kind', `unknown entry kind ${kind}`);
  }
}

function readClient(r: Reader): ClientIdentity {
  r.tuple('entry.client', 2);
  return { clientId: r.string('entry.client.clientId', Number.MAX_SAFE_INTEGER), sequence: r.uint('entry.client.sequence') };
}

function readConfiguration(r: Reader, field: string): ClusterConfiguration {
  r.tuple(field, 3);
  const voters = readIdList(r, `${field}.voters`);
  const learners = readIdList(r, `${field}.learners`);
  const oldVoters = r.nil() ? undefined : readIdList(r, `${field}.oldVoters`);
  const problem = configurationProblem(voters, learners, oldVoters);
  if (problem !== undefined) r.fail(field, problem);
  return oldVoters === undefined ? { voters, learners } : { voters, oldVoters, learners };
}

function readIdList(r: Reader, field: string): NodeId[] {
  const count = r.arrayLength(field, MIN_ID_BYTES);
  const ids = new Array<NodeId>(count);
  for (let i = 0; i < count; i++) ids[i] = readId(r, field);
  return ids;
}

function readAppendEntriesResponse(r: Reader): AppendEntriesResponse {
  r.tuple('(body)', ARITY.AppendEntriesResponse);
  const message: Mutable<AppendEntriesResponse> = {
    type: 'AppendEntriesResponse',
    from: readId(r, 'from'),
    to: readId(r, 'to'),
    term: r.uint('term') as Term,
    success: r.bool('success'),
    matchIndex: r.uint('matchIndex') as LogIndex,
    lastLogIndex: r.uint('lastLogIndex') as LogIndex,
    seq: r.uint('seq'),
  };
  if (!r.nil()) message.conflictTerm = r.uint('conflictTerm') as Term;
  if (!r.nil()) message.conflictIndex = r.uint('conflictIndex') as LogIndex;
  r.done();
  return message;
}

function readInstallSnapshot(r: Reader): InstallSnapshot {
  r.tuple('(body)', ARITY.InstallSnapshot);
  const message: InstallSnapshot = {
    type: 'InstallSnapshot',
    from: readId(r, 'from'),
    to: readId(r, 'to'),
    term: r.uint('term') as Term,
    lastIncludedIndex: r.uint('lastIncludedIndex') as LogIndex,
    lastIncludedTerm: r.uint('lastIncludedTerm') as Term,
    configuration: readConfiguration(r, 'configuration'),
    offset: r.uint('offset'),
    size: r.uint('size'),
    done: r.bool('done'),
    data: r.bin('data'),
  };
  r.done();
  const problem = chunkProblem(message.offset, message.data.byteLength, message.size);
  if (problem !== undefined) r.fail('data', problem);
  return message;
}

function readInstallSnapshotResponse(r: Reader): InstallSnapshotResponse {
  r.tuple('(body)', ARITY.InstallSnapshotResponse);
  const message: InstallSnapshotResponse = {
    type: 'InstallSnapshotResponse',
    from: readId(r, 'from'),
    to: readId(r, 'to'),
    term: r.uint('term') as Term,
    lastIncludedIndex: r.uint('lastIncludedIndex') as LogIndex,
    nextOffset: r.uint('nextOffset'),
    installed: r.bool('installed'),
  };
  r.done();
  return message;
}

function readTimeoutNow(r: Reader): TimeoutNow {
  r.tuple('(body)', ARITY.TimeoutNow);
  const message: TimeoutNow = { type: 'TimeoutNow', from: readId(r, 'from'), to: readId(r, 'to'), term: r.uint('term') as Term };
  r.done();
  return message;
}
