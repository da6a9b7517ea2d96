/** fast-check generators of valid protocol messages, biased toward encoding boundaries. */
import type {
  AppendEntries,
  AppendEntriesResponse,
  ClusterConfiguration,
  CommandEntry,
  InstallSnapshot,
  InstallSnapshotResponse,
  LogEntry,
  LogIndex,
  NodeId,
  RaftMessage,
  RequestVote,
  RequestVoteResponse,
  Term,
  TimeoutNow,
} from '@raft/abstractions';
import fc from 'fast-check';

/** Values where MessagePack integer encodings change width, and the 2^53 − 1 ceiling. */
const BOUNDARIES = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];

export const safeNat = (max = Number.MAX_SAFE_INTEGER): fc.Arbitrary<number> =>
  fc.oneof(fc.nat(Math.min(max, 300)), fc.integer({ min: 0, max }), fc.constantFrom(...BOUNDARIES.filter((b) => b <= max)));

export const term: fc.Arbitrary<Term> = safeNat().map((n) => n as Term);
export const logIndex: fc.Arbitrary<LogIndex> = safeNat().map((n) => n as LogIndex);

/** Node ids: the usual short ASCII ones, any Unicode, and the 255-character maximum. */
export const nodeId: fc.Arbitrary<NodeId> = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom('n1', 'n2', 'n3', 'node-4', 'a') },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(255), 'é'.repeat(255), '😀'.repeat(127)) },
  )
  .map((s) => s as NodeId);

const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: Math.min(maxLength, 64) }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: Math.min(250, maxLength), maxLength }) },
  );

export const configuration: fc.Arbitrary<ClusterConfiguration> = fc
  .record({
    members: fc.uniqueArray(nodeId, { maxLength: 9 }),
    split: fc.nat(9),
    oldVoters: fc.option(fc.uniqueArray(nodeId, { maxLength: 9 }), { nil: undefined }),
  })
  .map(({ members, split, oldVoters }) => {
    const voters = members.slice(0, split);
    const learners = members.slice(split);
    return oldVoters === undefined ? { voters, learners } : { voters, oldVoters, learners };
  });

const entryWithoutIndex: fc.Arbitrary<(index: LogIndex) => LogEntry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        term,
        payload: bytes(600),
        correlationId: fc.option(fc.string({ maxLength: 40, unit: 'binary' }), { nil: undefined }),
        client: fc.option(fc.record({ clientId: fc.string({ maxLength: 30, unit: 'binary' }), sequence: safeNat() }, { noNullPrototype: true }), { nil: undefined }),
      })
      .map(({ term, payload, correlationId, client }) => (index: LogIndex): LogEntry => {
        const entry: { -readonly [K in keyof CommandEntry]: CommandEntry[K] } = { kind: 'command', index, term, payload };
        if (correlationId !== undefined) entry.correlationId = correlationId;
        if (client !== undefined) entry.client = client;
        return entry;
      }),
  },
  { weight: 1, arbitrary: fc.record({ term, configuration }, { noNullPrototype: true }).map(({ term, configuration }) => (index: LogIndex): LogEntry => ({ kind: 'configuration', index, term, configuration })) },
  { weight: 1, arbitrary: term.map((term) => (index: LogIndex): LogEntry => ({ kind: 'noop', index, term })) },
);

const base = { from: nodeId, to: nodeId, term };

export const requestVote: fc.Arbitrary<RequestVote> = fc.record({
  type: fc.constant('RequestVote' as const),
  ...base,
  lastLogIndex: logIndex,
  lastLogTerm: term,
  preVote: fc.boolean(),
  leadershipTransfer: fc.boolean(),
}, { noNullPrototype: true });

export const requestVoteResponse: fc.Arbitrary<RequestVoteResponse> = fc.record({
  type: fc.constant('RequestVoteResponse' as const),
  ...base,
  granted: fc.boolean(),
  preVote: fc.boolean(),
}, { noNullPrototype: true });

export const appendEntries: fc.Arbitrary<AppendEntries> = fc
  .record({
    ...base,
    entryMakers: fc.array(entryWithoutIndex, { maxLength: 20 }),
    prevLogIndex: safeNat(Number.MAX_SAFE_INTEGER - 20),
    prevLogTerm: term,
    leaderCommit: logIndex,
    seq: safeNat(),
  })
  .map(({ entryMakers, prevLogIndex, ...rest }) => ({
    type: 'AppendEntries' as const,
    ...rest,
    prevLogIndex: prevLogIndex as LogIndex,
    entries: entryMakers.map((make, i) => make((prevLogIndex + 1 + i) as LogIndex)),
  }));

export const appendEntriesResponse: fc.Arbitrary<AppendEntriesResponse> = fc
  .record({
    ...base,
    success: fc.boolean(),
    matchIndex: logIndex,
    lastLogIndex: logIndex,
    seq: safeNat(),
    conflictTerm: fc.option(term, { nil: undefined }),
    conflictIndex: fc.option(logIndex, { nil: undefined }),
  })
  .map(({ conflictTerm, conflictIndex, ...rest }) => {
    const message: { -readonly [K in keyof AppendEntriesResponse]: AppendEntriesResponse[K] } = { type: 'AppendEntriesResponse', ...rest };
    if (conflictTerm !== undefined) message.conflictTerm = conflictTerm;
    if (conflictIndex !== undefined) message.conflictIndex = conflictIndex;
    return message;
  });

export const installSnapshot: fc.Arbitrary<InstallSnapshot> = fc
  .record({
    ...base,
    lastIncludedIndex: logIndex,
    lastIncludedTerm: term,
    configuration,
    offset: safeNat(2 ** 40),
    slack: safeNat(2 ** 40),
    data: bytes(2000),
    done: fc.boolean(),
  })
  .map(({ slack, ...rest }) => ({ type: 'InstallSnapshot' as const, ...rest, size: rest.offset + rest.data.byteLength + slack }));

export const installSnapshotResponse: fc.Arbitrary<InstallSnapshotResponse> = fc.record({
  type: fc.constant('InstallSnapshotResponse' as const),
  ...base,
  lastIncludedIndex: logIndex,
  nextOffset: safeNat(),
  installed: fc.boolean(),
}, { noNullPrototype: true });

export const timeoutNow: fc.Arbitrary<TimeoutNow> = fc.record({ type: fc.constant('TimeoutNow' as const), ...base }, { noNullPrototype: true });

/** One generator per message type, keyed by type. */
export const MESSAGE_ARBITRARIES: { readonly [T in RaftMessage['type']]: fc.Arbitrary<Extract<RaftMessage, { type: T }>> } = {
  RequestVote: requestVote,
  RequestVoteResponse: requestVoteResponse,
  AppendEntries: appendEntries,
  AppendEntriesResponse: appendEntriesResponse,
  InstallSnapshot: installSnapshot,
  InstallSnapshotResponse: installSnapshotResponse,
  TimeoutNow: timeoutNow,
};

export const anyMessage: fc.Arbitrary<RaftMessage> = fc.oneof(...Object.values(MESSAGE_ARBITRARIES));
