/**
 * Determinism (DESIGN.md): the same seed, boot state and inputs give identical outputs —
 * what makes every simulation failure replayable.
 */
import { createHash } from 'node:crypto';
import type { NodeId } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../src/index.js';
import { Net, ids } from './support/net.js';

function runAndHash(seed: number): string {
  const hash = createHash('sha256');
  const net = new Net(5, { seed });
  const all = ids(5);
  for (let round = 0; round < 400; round++) {
    for (const id of all) net.tick(id);
    if (round % 7 === 0) {
      const leader = all.find((id) => net.nodes.has(id) && net.node(id).status().role === 'leader');
      if (leader !== undefined) net.propose(leader, `r${round}`);
    }
    if (round === 150) net.isolate(all[0] as NodeId);
    if (round === 250) net.heal();
    net.deliverAll();
  }
  for (const id of all) {
    hash.update(JSON.stringify(net.eventsOf(id)));
    hash.update(JSON.stringify(net.node(id).status()));
    hash.update(JSON.stringify(net.node(id).entries(), (_, v) => (v instanceof Uint8Array ? [...v] : v)));
  }
  return hash.digest('hex');
}

describe('determinism', () => {
  it('two runs with the same seed and inputs give identical effect and event streams', () => {
    expect(runAndHash(11)).toBe(runAndHash(11));
  });

  it('a single node gives the identical output sequence for the same seed', () => {
    const make = () => new RaftNodeState({ id: 'n1' as NodeId, seed: 99 }, { configuration: { voters: ids(3), learners: [] } });
    const a = make();
    const b = make();
    for (let i = 0; i < 100; i++) expect(a.process({ type: 'tick' })).toEqual(b.process({ type: 'tick' }));
  });

  it('different seeds give different election timeouts', () => {
    const firstCampaign = (seed: number): number => {
      const node = new RaftNodeState({ id: 'n1' as NodeId, seed }, { configuration: { voters: ids(3), learners: [] } });
      for (let i = 1; i < 100; i++) if (node.process({ type: 'tick' }).events.length > 0) return i;
      return -1;
    };
    const distinct = new Set(Array.from({ length: 20 }, (_, i) => firstCampaign(i + 1)));
    expect(distinct.size).toBeGreaterThan(3);
  });
});
