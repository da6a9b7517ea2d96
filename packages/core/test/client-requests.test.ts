/**
 * Client proposals (§5.3, §8): accepted only by the leader; followers redirect; refusals carry
 * a typed reason and are never silent (reliability.md B13, B10).
 */
import type { NodeId, RaftEffect } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../src/index.js';
import { Net, ids } from './support/net.js';

const [n1, n2] = ids(3) as [NodeId, NodeId];
const payload = new Uint8Array(100);

function resultOf(effects: readonly RaftEffect[]): unknown {
  return effects.find((e) => e.type === 'proposalResult');
}

describe('client proposals', () => {
  it('the leader appends a proposal and answers with its index and term', () => {
    const net = new Net(3);
    net.elect(n1);
    const out = net.node(n1).process({ type: 'propose', requestId: 7, payload, correlationId: 'c1', client: { clientId: 'k', sequence: 1 } });
    const s = net.node(n1).status();
    expect(resultOf(out.effects)).toEqual({ type: 'proposalResult', requestId: 7, result: { status: 'appended', index: s.lastIndex, term: s.term } });
    expect(net.node(n1).entries().at(-1)).toMatchObject({ kind: 'command', correlationId: 'c1', client: { clientId: 'k', sequence: 1 } });
  });

  it('a follower redirects to the leader it knows', () => {
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    const out = net.node(n2).process({ type: 'propose', requestId: 1, payload });
    expect(resultOf(out.effects)).toMatchObject({ result: { status: 'redirected', leaderId: n1 } });
    expect(out.events).toContainEqual({ type: 'clientRedirected', leaderId: n1 });
  });

  it('a node that knows no leader refuses with noLeader', () => {
    const node = new RaftNodeState({ id: n1 }, { configuration: { voters: ids(3), learners: [] } });
    for (const input of [
      { type: 'propose', requestId: 1, payload },
      { type: 'read', requestId: 2 },
      { type: 'transferLeadership', requestId: 3 },
      { type: 'changeConfiguration', requestId: 4, change: { type: 'addLearner', nodeId: n2 } },
    ] as const) {
      const out = node.process(input);
      expect(out.effects).toEqual([expect.objectContaining({ requestId: input.requestId, result: { status: 'rejected', reason: 'noLeader' } })]);
    }
  });

  it('the leader refuses proposals beyond the uncommitted-bytes cap, but always admits one (B10)', () => {
    const net = new Net(3, { maxUncommittedBytes: 1000 });
    net.elect(n1);
    net.deliverAll();
    net.cut.add(`${n1}->${ids(3)[1]}`).add(`${n1}->${ids(3)[2]}`);
    const statuses: string[] = [];
    for (let i = 0; i < 20; i++) {
      const out = net.node(n1).process({ type: 'propose', requestId: i, payload });
      statuses.push((resultOf(out.effects) as { result: { status: string } }).result.status);
    }
    // 124 bytes each (100 + 24 overhead): 8 fit under 1000, the rest are refused.
    expect(statuses.filter((s) => s === 'appended')).toHaveLength(8);
    expect(statuses.slice(8).every((s) => s === 'rejected')).toBe(true);
    expect(net.node(n1).status().uncommittedBytes).toBe(8 * 124);
    // A single command larger than the cap is admitted when nothing is uncommitted.
    const big = new Net(3, { maxUncommittedBytes: 10 });
    big.elect(n1);
    const out = big.node(n1).process({ type: 'propose', requestId: 1, payload });
    expect(resultOf(out.effects)).toMatchObject({ result: { status: 'appended' } });
  });

  it('uncommitted bytes are released as entries commit', () => {
    const net = new Net(3, { maxUncommittedBytes: 1000 });
    net.elect(n1);
    for (let i = 0; i < 5; i++) net.propose(n1, 'x'.repeat(100));
    expect(net.node(n1).status().uncommittedBytes).toBe(5 * 124);
    net.deliverAll();
    expect(net.node(n1).status().uncommittedBytes).toBe(0);
  });

  it('after a fatal persistence failure every request is refused and nothing else happens', () => {
    const net = new Net(3);
    net.elect(n1);
    const node = net.node(n1);
    const failed = node.process({ type: 'persistenceFailed', operation: 'log', reason: 'EIO on fsync' });
    expect(failed.events).toEqual([{ type: 'persistenceFailed', operation: 'log', reason: 'EIO on fsync' }]);
    expect(node.process({ type: 'tick' })).toEqual({ effects: [], events: [] });
    expect(resultOf(node.process({ type: 'propose', requestId: 9, payload }).effects)).toMatchObject({ result: { status: 'rejected', reason: 'failed' } });
    expect(node.process({ type: 'read', requestId: 10 }).effects[0]).toMatchObject({ result: { status: 'rejected', reason: 'failed' } });
    expect(node.status().failed).toBe(true);
  });

  it('membership changes are refused explicitly until joint consensus is built', () => {
    const net = new Net(3);
    net.elect(n1);
    const out = net.node(n1).process({ type: 'changeConfiguration', requestId: 5, change: { type: 'addLearner', nodeId: n2 } });
    expect(out.effects).toEqual([{ type: 'configurationChangeResult', requestId: 5, result: { status: 'rejected', reason: 'invalidChange' } }]);
  });

  it('reporting an apply beyond what was handed out is a contract violation', () => {
    const node = new RaftNodeState({ id: n1 }, { configuration: { voters: ids(3), learners: [] } });
    expect(() => node.process({ type: 'applied', upTo: 5 as never })).toThrowError(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
  });
});
