/**
 * Untrusted input never throws (DESIGN.md "The core contract"): malformed, misaddressed,
 * unknown-sender and stale messages are dropped and reported as events.
 */
import { type NodeId, type RaftInput, type RaftMessage, Term } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../src/index.js';
import { Net, ids } from './support/net.js';

const [n1, n2] = ids(3) as [NodeId, NodeId];

function fresh(): RaftNodeState {
  return new RaftNodeState({ id: n1, seed: 1 }, { configuration: { voters: ids(3), learners: [] } });
}

function deliver(node: RaftNodeState, message: unknown): ReturnType<RaftNodeState['process']> {
  return node.process({ type: 'message', message } as RaftInput);
}

describe('untrusted messages', () => {
  it.each([
    ['not an object', 42],
    ['null', null],
    ['unknown type', { type: 'Bogus', from: n2, to: n1, term: 1 }],
    ['negative term', { type: 'TimeoutNow', from: n2, to: n1, term: -1 }],
    ['fractional index', { type: 'RequestVote', from: n2, to: n1, term: 1, lastLogIndex: 1.5, lastLogTerm: 0, preVote: false, leadershipTransfer: false }],
    ['empty sender', { type: 'TimeoutNow', from: '', to: n1, term: 1 }],
    [
      'non-contiguous entries',
      {
        type: 'AppendEntries', from: n2, to: n1, term: 2, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, seq: 1,
        entries: [{ kind: 'noop', index: 2, term: 1 }],
      },
    ],
    [
      'entry term above the message term',
      {
        type: 'AppendEntries', from: n2, to: n1, term: 1, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, seq: 1,
        entries: [{ kind: 'noop', index: 1, term: 3 }],
      },
    ],
    [
      'payload not bytes',
      {
        type: 'AppendEntries', from: n2, to: n1, term: 1, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, seq: 1,
        entries: [{ kind: 'command', index: 1, term: 1, payload: 'text' }],
      },
    ],
  ])('drops a malformed message (%s) and reports it', (_, message) => {
    const node = fresh();
    const out = deliver(node, message);
    expect(out.effects).toEqual([]);
    expect(out.events).toEqual([expect.objectContaining({ type: 'messageDropped', reason: 'malformed' })]);
  });

  it('drops a message for another node', () => {
    const out = deliver(fresh(), { type: 'TimeoutNow', from: n2, to: 'n3', term: 1 });
    expect(out.events).toEqual([{ type: 'messageDropped', from: n2, messageType: 'TimeoutNow', reason: 'wrongRecipient' }]);
  });

  it('drops an answer from a node it asked nothing of, and a TimeoutNow not from its leader', () => {
    const net = new Net(3);
    net.elect(n1);
    const term = net.node(n1).status().term;
    const out = net.node(n1).process({
      type: 'message',
      message: { type: 'AppendEntriesResponse', from: 'intruder' as NodeId, to: n1, term: Term(term), success: true, matchIndex: 9 as never, lastLogIndex: 9 as never, seq: 1 },
    });
    expect(out.events).toEqual([{ type: 'messageDropped', from: 'intruder', messageType: 'AppendEntriesResponse', reason: 'unknownSender' }]);
    expect(out.effects).toEqual([]);
    const timeout = net.node(n2).process({ type: 'message', message: { type: 'TimeoutNow', from: ids(3)[2] as NodeId, to: n2, term: Term(term) } });
    expect(timeout.events).toEqual([expect.objectContaining({ type: 'messageDropped', reason: 'unexpected' })]);
    expect(net.node(n2).status().role).toBe('follower');
  });

  it('drops a stale-term message that needs no answer', () => {
    const net = new Net(3);
    net.elect(n1);
    const term = net.node(n1).status().term;
    const out = net.node(n1).process({
      type: 'message',
      message: { type: 'RequestVoteResponse', from: n2, to: n1, term: Term(term - 1), granted: true, preVote: false },
    });
    expect(out.events).toEqual([{ type: 'messageDropped', from: n2, messageType: 'RequestVoteResponse', reason: 'staleTerm' }]);
  });

  it('never throws on arbitrary message-shaped input (fast-check)', () => {
    const id = fc.constantFrom('n1', 'n2', 'n3', '', 'x');
    const num = fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant(Number.NaN), fc.double());
    const entry = fc.record({ kind: fc.constantFrom('command', 'noop', 'configuration', 'x'), index: num, term: num, payload: fc.oneof(fc.uint8Array(), fc.string()) });
    const message = fc.record(
      {
        type: fc.constantFrom('RequestVote', 'RequestVoteResponse', 'AppendEntries', 'AppendEntriesResponse', 'InstallSnapshot', 'InstallSnapshotResponse', 'TimeoutNow', 'Nope'),
        from: id,
        to: id,
        term: num,
        lastLogIndex: num,
        lastLogTerm: num,
        preVote: fc.boolean(),
        leadershipTransfer: fc.boolean(),
        granted: fc.boolean(),
        prevLogIndex: num,
        prevLogTerm: num,
        entries: fc.array(entry, { maxLength: 3 }),
        leaderCommit: num,
        seq: num,
        success: fc.boolean(),
        matchIndex: num,
        conflictIndex: num,
        conflictTerm: num,
      },
      { requiredKeys: ['type', 'from', 'to', 'term'] },
    );
    const net = new Net(3);
    net.elect(n1);
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), (messages) => {
        for (const m of messages) {
          for (const target of ids(3)) {
            net.node(target).process({ type: 'message', message: m as unknown as RaftMessage });
            net.node(target).checkInvariants();
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
