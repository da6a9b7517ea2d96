import type { NodeId } from '@raft/abstractions';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult } from '../src/index.js';
import { Cluster, FAST, set, waitFor } from './cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Definite answers: the command is not and never will be committed. */
function isDefiniteFailure(result: CommandResult<unknown>): boolean {
  switch (result.status) {
    case 'redirected':
    case 'rejected':
      return true;
    case 'timedOut':
    case 'cancelled':
      return result.outcome === 'notCommitted';
    case 'committed':
      return false;
  }
}

describe('answers are classified correctly under faults (reliability.md J6, lesson 5)', () => {
  it.each([3, 5])('%i nodes, drops, delays, duplicates and moving partitions: committed ⇒ applied everywhere; definite failure ⇒ applied nowhere', async (size) => {
    cluster = new Cluster(size, { ...FAST, snapshotThreshold: 50, trailingLogEntries: 10 });
    const c = cluster;
    await c.start();
    await c.waitForLeader();
    c.network.setDropRate(0.05);
    c.network.setDuplicateRate(0.05);
    c.network.setDelay({ min: 0, max: 4 });
    const answers = new Map<string, CommandResult<unknown>>();
    let stop = false;
    let sequence = 0;
    const client = async (): Promise<void> => {
      while (!stop) {
        const target = c.running()[sequence % c.running().length];
        const id = `c${sequence++}`;
        if (target === undefined) return;
        const result = await target.node.submit(set(id, 'x'), { timeoutMs: 150 });
        answers.set(id, result);
        if (result.status !== 'committed') await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // Faults: every 150 ms cut off the current leader (sometimes with a follower), then heal.
    for (let round = 0; round < 8; round++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const leader = c.leaders()[0];
      if (leader === undefined) continue;
      if (round % 2 === 0) c.network.isolate(leader.id);
      else {
        const follower = c.ids.find((id) => id !== leader.id) as NodeId;
        c.network.partition([leader.id, follower], c.ids.filter((id) => id !== leader.id && id !== follower));
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      c.network.heal();
    }
    stop = true;
    await Promise.all(clients);
    c.network.reset();
    const leader = await c.waitForLeader();
    expect((await leader.node.submit(set('final', 'x'))).status).toBe('committed');
    await waitFor(() => c.running().every((m) => m.sm.data.get('final') === 'x'), 15_000, 'convergence');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reference = Object.fromEntries(leader.sm.data);
    for (const m of c.running()) expect(Object.fromEntries(m.sm.data)).toEqual(reference);
    let committed = 0;
    let definite = 0;
    let unknown = 0;
    for (const [id, result] of answers) {
      const applied = id in reference;
      if (result.status === 'committed') {
        committed++;
        expect(applied, `${id} answered committed but is not applied`).toBe(true);
      } else if (isDefiniteFailure(result)) {
        definite++;
        expect(applied, `${id} answered ${JSON.stringify(result)} but was applied`).toBe(false);
      } else {
        unknown++;
      }
    }
    // Each command applied at most once (the log order per replica is the same everywhere).
    const appliedIds = leader.sm.applied.map((a) => a.command);
    expect(new Set(appliedIds).size).toBe(appliedIds.length);
    expect(committed).toBeGreaterThan(0);
    expect(definite + unknown).toBeGreaterThan(0);
  }, 30_000);
});
