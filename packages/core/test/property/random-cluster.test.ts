/**
 * Randomized whole-cluster runs over the test network: random delivery order, drops,
 * duplication, partitions, crashes that lose every write in flight, and slow storage. After
 * every step: Election Safety, Log Matching, State Machine Safety and commit monotonicity.
 * The full simulator with shrinking lives in `@raft/harness`; this keeps the core honest
 * on its own. A failure prints the seed that replays it.
 */
import type { LogEntry, NodeId, RaftMessage } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function key(e: LogEntry): string {
  return `${e.term}:${e.kind}:${e.kind === 'command' ? new TextDecoder().decode(e.payload) : ''}`;
}

function runRandomCluster(
  seed: number,
  size: number,
  steps: number,
  churn = false,
): { commits: number; leaders: number; installs: number; changes: number } {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  // Half the runs send one entry per message with a tiny window, so an election can land
  // between the entries of one batch (the Figure 8 shape, §5.4.2).
  const small = random() < 0.5;
  const net = new Net(
    size,
    {
      electionTicks: 10,
      heartbeatTicks: 2,
      trailingLogEntries: Math.floor(random() * 4),
      snapshotChunkBytes: 16 + Math.floor(random() * 200),
      ...(small ? { maxMessageBytes: 1, maxInflightMessages: 2 } : {}),
    },
    {},
    churn ? 3 : size,
  );
  let changes = 0;
  net.autoPersist = false;
  const all = ids(size);
  const leadersByTerm = new Map<number, NodeId>();
  const committed = new Map<number, string>(); // index -> entry key, as seen committed anywhere
  const down = new Set<NodeId>();
  let proposals = 0;

  const check = (): void => {
    for (const [id, node] of net.nodes) {
      const s = node.status();
      if (s.role === 'leader') {
        const other = leadersByTerm.get(s.term);
        if (other !== undefined && other !== id) throw new Error(`two leaders in term ${s.term}: ${other}, ${id} (seed ${seed})`);
        leadersByTerm.set(s.term, id);
      }
      // State Machine Safety: every applied entry agrees with what was committed anywhere.
      for (const e of net.applied.get(id) ?? []) {
        const k = committed.get(e.index);
        if (k === undefined) committed.set(e.index, key(e));
        else if (k !== key(e)) throw new Error(`${id} applied ${key(e)} at ${e.index}, others ${k} (seed ${seed})`);
      }
    }
    // Every entry a node considers committed agrees with every other node's committed entry
    // at that index, and every leader holds every committed entry (Leader Completeness).
    for (const [id, node] of net.nodes) {
      const s = node.status();
      for (const e of node.entries()) {
        if (e.index > s.commitIndex) break;
        const k = committed.get(e.index);
        if (k === undefined) committed.set(e.index, key(e));
        else if (k !== key(e)) throw new Error(`${id} holds ${key(e)} at committed ${e.index}, expected ${k} (seed ${seed})`);
      }
    }
    for (const node of net.nodes.values()) {
      const s = node.status();
      if (s.role !== 'leader') continue;
      const log = node.entries();
      for (const [index, k] of committed) {
        if (index < s.firstIndex) continue;
        const e = log[index - s.firstIndex];
        if (e === undefined || key(e) !== k) throw new Error(`leader ${s.id} of term ${s.term} lacks committed ${k} at ${index} (seed ${seed})`);
      }
    }
  };

  for (let i = 0; i < steps; i++) {
    const r = random();
    const live = all.filter((id) => !down.has(id));
    if (r < 0.35) {
      // deliver one message from a random position (reordering), sometimes duplicated or dropped
      if (net.queue.length > 0) {
        const at = Math.floor(random() * Math.min(net.queue.length, 4));
        const [m] = net.queue.splice(at, 1) as [RaftMessage];
        const fate = random();
        if (fate < 0.05) continue; // drop
        if (fate < 0.1) net.queue.push(m); // duplicate later
        if (!down.has(m.to) && !net.cut.has(`${m.from}->${m.to}`)) net.step(m.to, { type: 'message', message: m });
      }
    } else if (r < 0.6) {
      net.step(pick(live), { type: 'tick' });
    } else if (r < 0.8) {
      net.persist(pick(live));
    } else if (r < 0.88) {
      const leader = live.find((id) => net.node(id).status().role === 'leader');
      if (leader !== undefined) net.propose(leader, `p${proposals++}`);
    } else if (r < 0.9) {
      if (down.size < Math.floor((size - 1) / 2) && live.length > 0) {
        const victim = pick(live);
        net.crash(victim);
        down.add(victim);
      }
    } else if (r < 0.93) {
      if (down.size > 0) {
        const back = pick([...down]);
        down.delete(back);
        net.start(back);
      }
    } else if (r < 0.95) {
      const a = pick(all);
      const b = pick(all);
      if (a !== b) net.cut.add(`${a}->${b}`);
    } else if (r < 0.97) {
      net.heal();
    } else if (r < 0.99) {
      // Snapshot a random node's state machine (§7): compaction, then transfers to laggards.
      const id = pick(live);
      if ((net.applied.get(id) ?? []).length > 0) net.takeSnapshot(id);
    } else if (churn) {
      // Membership churn (dissertation ch. 4): add, promote, remove (even the leader), replace.
      const leader = live.find((id) => net.node(id).status().role === 'leader');
      if (leader !== undefined) {
        const config = net.node(leader).status().configuration;
        const target = pick(all);
        const voters = all.filter(() => random() < 0.6);
        const c = pick([
          { type: 'addLearner', nodeId: target },
          { type: 'promoteLearner', nodeId: target },
          { type: 'addVoter', nodeId: target },
          { type: 'removeNode', nodeId: config.voters.length > 1 ? target : (all.find((x) => !config.voters.includes(x)) ?? target) },
          { type: 'setMembers', voters: voters.length > 0 ? voters : [leader], learners: [] },
        ] as const);
        net.step(leader, { type: 'changeConfiguration', requestId: 1, change: c });
        const result = (net.results.get(leader) ?? []).at(-1);
        if (result?.type === 'configurationChangeResult' && result.result.status === 'appended') changes++;
      }
    }
    check();
  }
  // Heal everything and let the cluster settle: it must elect a leader and converge.
  net.heal();
  for (const id of down) net.start(id);
  down.clear();
  net.autoPersist = true;
  for (const id of all) net.persist(id);
  for (let round = 0; round < 300; round++) {
    net.tickAll();
    net.deliverAll();
    check();
  }
  const leader = all.find((id) => net.node(id).status().role === 'leader');
  if (leader === undefined) throw new Error(`no leader after healing (seed ${seed}) ${all.map((id) => JSON.stringify(net.node(id).status())).join("\n")}`);
  net.propose(leader, 'final');
  for (let round = 0; round < 30; round++) {
    net.tickAll();
    net.deliverAll();
    check();
  }
  const commit = net.node(leader).status().commitIndex;
  const members = new Set([...net.node(leader).status().configuration.voters, ...net.node(leader).status().configuration.learners]);
  for (const id of all.filter((x) => members.has(x))) {
    const s = net.node(id).status();
    if (s.commitIndex !== commit) throw new Error(`${id} commit ${s.commitIndex} != leader ${commit} after heal (seed ${seed}) ${JSON.stringify(s)} LEADER ${JSON.stringify(net.node(leader).status())}`);
    // Convergence: every state machine holds the same commands in the same order.
    if (JSON.stringify(net.texts(id)) !== JSON.stringify(net.texts(leader))) throw new Error(`${id} state differs from the leader's (seed ${seed})`);
  }
  return { commits: commit, leaders: leadersByTerm.size, installs: net.installed.length, changes };
}

describe('randomized clusters (safety after every step, convergence after heal)', () => {
  it('the schedules exercise snapshot transfer', () => {
    let installs = 0;
    for (let seed = 1; seed <= 20; seed++) installs += runRandomCluster(seed, 3, 1500).installs;
    expect(installs).toBeGreaterThan(0);
  });

  it('5 nodes with membership churn: no safety violation, and the members converge', () => {
    let changes = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        changes += runRandomCluster(seed, 5, 2000, true).changes;
      }),
      { numRuns: 60, seed: 77 },
    );
    expect(changes).toBeGreaterThan(30);
  });

  for (const size of [3, 5]) {
    it(`${size} nodes: no safety violation over random schedules with faults`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const result = runRandomCluster(seed, size, 1500);
          expect(result.commits).toBeGreaterThan(0);
        }),
        { numRuns: 60, seed: 42 + size },
      );
    });
  }
});
