import { type AppendEntries, NodeId, type RaftMessage, Term, LogIndex } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RELIABLE_NETWORK, SimulatedNetwork, messageBytes } from '../src/network.js';
import { SimulationRandom } from '../src/prng.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'].map(NodeId);
const [n1, n2, n3, n4, n5] = ids as [NodeId, NodeId, NodeId, NodeId, NodeId];

function heartbeat(from: NodeId, to: NodeId): RaftMessage {
  const m: AppendEntries = {
    type: 'AppendEntries',
    from,
    to,
    term: Term(1),
    prevLogIndex: LogIndex(0),
    prevLogTerm: Term(0),
    entries: [],
    leaderCommit: LogIndex(0),
    seq: 1,
  };
  return m;
}

describe('SimulatedNetwork', () => {
  it('delivers everything on a reliable network, within the delay bounds', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1), { ...RELIABLE_NETWORK, minDelay: 1, maxDelay: 3 });
    for (let i = 0; i < 100; i++) {
      const delays = net.route(heartbeat(n1, n2));
      expect(delays).toHaveLength(1);
      expect(delays[0]).toBeGreaterThanOrEqual(1);
      expect(delays[0]).toBeLessThanOrEqual(3);
    }
    expect(net.messageCounters().AppendEntries.sent).toBe(100);
    expect(net.messageCounters().AppendEntries.bytesSent).toBe(100 * messageBytes(heartbeat(n1, n2)));
  });

  it('a one-way block loses only that direction', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1));
    net.blockLink(n1, n2);
    expect(net.route(heartbeat(n1, n2))).toEqual([]);
    expect(net.route(heartbeat(n2, n1))).toHaveLength(1);
    expect(net.isLinkUp(n1, n2)).toBe(false);
    expect(net.isLinkUp(n2, n1)).toBe(true);
    expect(net.messageCounters().AppendEntries.dropped).toBe(1);
  });

  it('isolate cuts every link of a node and reconnect restores them', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1));
    net.isolate(n3);
    for (const other of [n1, n2, n4, n5]) {
      expect(net.isLinkUp(n3, other)).toBe(false);
      expect(net.isLinkUp(other, n3)).toBe(false);
    }
    expect(net.isLinkUp(n1, n2)).toBe(true);
    net.reconnect(n3);
    expect(net.hasPartition()).toBe(false);
  });

  it('partition into groups cuts links between groups only; unnamed nodes are alone', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1));
    net.partition([[n1, n2], [n3, n4]]);
    expect(net.isLinkUp(n1, n2)).toBe(true);
    expect(net.isLinkUp(n3, n4)).toBe(true);
    expect(net.isLinkUp(n1, n3)).toBe(false);
    expect(net.isLinkUp(n4, n2)).toBe(false);
    expect(net.isLinkUp(n5, n1)).toBe(false);
    expect(net.isLinkUp(n4, n5)).toBe(false);
    net.healAll();
    expect(net.hasPartition()).toBe(false);
    expect(() => net.partition([[n1], [n1, n2]])).toThrow(/two partition groups/);
    expect(() => net.partition([[NodeId('zz')]])).toThrow(/unknown node/);
  });

  it('a partition installed while a message is in flight loses it on arrival', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1));
    const m = heartbeat(n1, n2);
    expect(net.route(m)).toHaveLength(1);
    net.cut(n1, n2);
    expect(net.arrive(m, true)).toBe(false);
    net.mend(n1, n2);
    expect(net.arrive(m, true)).toBe(true);
    expect(net.arrive(m, false)).toBe(false);
    const c = net.messageCounters().AppendEntries;
    expect([c.delivered, c.dropped]).toEqual([1, 2]);
  });

  it('drop, duplicate and reorder happen at about their rates', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(3), {
      dropRate: 0.2,
      duplicateRate: 0.3,
      reorderRate: 0.5,
      minDelay: 0,
      maxDelay: 0,
      reorderDelay: 4,
    });
    let lost = 0;
    let doubled = 0;
    let delayed = 0;
    for (let i = 0; i < 5000; i++) {
      const d = net.route(heartbeat(n1, n2));
      if (d.length === 0) lost++;
      if (d.length === 2) doubled++;
      if (d.some((x) => x > 0)) delayed++;
    }
    expect(lost / 5000).toBeGreaterThan(0.17);
    expect(lost / 5000).toBeLessThan(0.23);
    expect(doubled / 4000).toBeGreaterThan(0.26);
    expect(doubled / 4000).toBeLessThan(0.34);
    expect(delayed).toBeGreaterThan(1500);
    expect(net.messageCounters().AppendEntries.duplicated).toBe(doubled);
  });

  it('rejects invalid fault settings', () => {
    const net = new SimulatedNetwork(ids, new SimulationRandom(1));
    expect(() => net.setFaults({ dropRate: 1.5 })).toThrow(/probability/);
    expect(() => net.setFaults({ minDelay: 3, maxDelay: 1 })).toThrow(/below minDelay/);
    expect(() => net.setFaults({ maxDelay: -1 })).toThrow(/non-negative/);
  });
});
