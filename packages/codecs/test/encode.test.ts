import { type LogIndex, type NodeId, type RaftMessage, type Term, isRaftError } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { encodeMessage, encodeMessages } from '../src/index.js';

const n1 = 'n1' as NodeId;
const n2 = 'n2' as NodeId;
const base = { from: n1, to: n2, term: 1 as Term };
const ae = (over: Record<string, unknown>): RaftMessage =>
  ({ type: 'AppendEntries', ...base, prevLogIndex: 4 as LogIndex, prevLogTerm: 1 as Term, leaderCommit: 3 as LogIndex, seq: 1, entries: [], ...over }) as RaftMessage;
const snapshot = (over: Record<string, unknown>): RaftMessage =>
  ({
    type: 'InstallSnapshot',
    ...base,
    lastIncludedIndex: 9 as LogIndex,
    lastIncludedTerm: 1 as Term,
    configuration: { voters: [n1, n2], learners: [] },
    offset: 0,
    size: 4,
    done: true,
    data: new Uint8Array(4),
    ...over,
  }) as RaftMessage;

function refusal(message: RaftMessage): string {
  try {
    encodeMessage(message);
    return 'encoded';
  } catch (error) {
    return isRaftError(error, 'INVALID_ARGUMENT') ? 'INVALID_ARGUMENT' : `other: ${String(error)}`;
  }
}

describe('the encoder refuses what the decoder would refuse (a bug in the sender), with InvalidArgumentError', () => {
  it('invalid node ids', () => {
    expect(refusal({ type: 'TimeoutNow', ...base, from: '' as NodeId })).toBe('INVALID_ARGUMENT');
    expect(refusal({ type: 'TimeoutNow', ...base, to: 'x'.repeat(256) as NodeId })).toBe('INVALID_ARGUMENT');
    expect(refusal({ type: 'TimeoutNow', ...base, to: 7 as unknown as NodeId })).toBe('INVALID_ARGUMENT');
    expect(refusal({ type: 'TimeoutNow', ...base, to: 'bad\ud800' as NodeId })).toBe('INVALID_ARGUMENT');
  });

  it('terms, indices and counters that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
      expect(refusal({ type: 'TimeoutNow', ...base, term: bad as Term }), String(bad)).toBe('INVALID_ARGUMENT');
      expect(refusal(ae({ seq: bad })), String(bad)).toBe('INVALID_ARGUMENT');
    }
  });

  it('entries not contiguous from prevLogIndex + 1', () => {
    expect(refusal(ae({ entries: [{ kind: 'noop', index: 5, term: 1 }] }))).toBe('encoded');
    expect(refusal(ae({ entries: [{ kind: 'noop', index: 6, term: 1 }] }))).toBe('INVALID_ARGUMENT');
    expect(refusal(ae({ entries: [{ kind: 'noop', index: 5, term: 1 }, { kind: 'noop', index: 7, term: 1 }] }))).toBe('INVALID_ARGUMENT');
  });

  it('malformed entries', () => {
    expect(refusal(ae({ entries: [{ kind: 'weird', index: 5, term: 1 }] }))).toBe('INVALID_ARGUMENT');
    expect(refusal(ae({ entries: [{ kind: 'command', index: 5, term: 1, payload: [1, 2] }] }))).toBe('INVALID_ARGUMENT');
    expect(refusal(ae({ entries: [{ kind: 'command', index: 5, term: 1, payload: new Uint8Array(1), client: { clientId: 'c', sequence: -1 } }] }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('configurations listing a member twice', () => {
    expect(refusal(snapshot({ configuration: { voters: [n1, n1], learners: [] } }))).toBe('INVALID_ARGUMENT');
    expect(refusal(snapshot({ configuration: { voters: [n1], learners: [n1] } }))).toBe('INVALID_ARGUMENT');
    expect(refusal(snapshot({ configuration: { voters: [n1], learners: [], oldVoters: [n2, n2] } }))).toBe('INVALID_ARGUMENT');
    expect(refusal(snapshot({ configuration: { voters: [n1], learners: [n2], oldVoters: [n1, n2] } }))).toBe('encoded');
  });

  it('a snapshot chunk past the snapshot size', () => {
    expect(refusal(snapshot({ offset: 1 }))).toBe('INVALID_ARGUMENT');
    expect(refusal(snapshot({ size: 3 }))).toBe('INVALID_ARGUMENT');
  });

  it('an unknown message type', () => {
    expect(refusal({ ...base, type: 'Gossip' } as unknown as RaftMessage)).toBe('INVALID_ARGUMENT');
  });

  it('encodeMessages refuses the batch when one message is invalid', () => {
    expect(() => encodeMessages([ae({}), { type: 'TimeoutNow', ...base, term: -1 as Term }])).toThrow(/term/);
  });
});
