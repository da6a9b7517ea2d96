/**
 * Availability gap of a 3-node @raft/hosting cluster in one process (InMemoryNetwork,
 * memoryStorage, 10 ms ticks, electionTicks 10 → election timeout 100–200 ms, pre-vote and
 * check-quorum on): the time during which no leader can commit, for a leadership transfer
 * (`transferLeadership()` to the most up-to-date follower) and for a failover after the leader
 * is stopped (a crash, as far as the others can tell), side by side.
 *
 * How: four closed-loop clients keep submitting 16-byte commands to whichever node they
 * believe leads (following redirects; after a refusal they try again after 1 ms). The gap of
 * one repetition is the largest interval between two consecutive `committed` answers from the
 * last one before the disruption until the cluster is settled under a leader again (commands
 * in flight may still commit just after the disruption starts). In the same run, the largest interval between two
 * consecutive commits with no disruption is the baseline (the resolution of the method).
 * The stopped leader is restarted on its storage before the next repetition.
 * Target (issue 8): a transfer's gap < half an election timeout (the base 100 ms → < 50 ms).
 */
import { type CommittedCommand, NodeId, type StateMachine } from '@raft/abstractions';
import { type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { memoryStorage } from '@raft/storage-memory';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { type Row, percentile, writeReport } from './report.js';

const REPETITIONS = 10;
const TICK_MS = 10;
const ELECTION_TICKS = 10;
const ELECTION_TIMEOUT_MS = TICK_MS * ELECTION_TICKS;
const CLIENTS = 4;

class Counter implements StateMachine<number> {
  count = 0;
  apply(_command: CommittedCommand): number {
    return ++this.count;
  }
  async *exportSnapshot(): AsyncIterable<Uint8Array> {
    yield new Uint8Array(new Float64Array([this.count]).buffer);
  }
  async importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of chunks) this.count = new Float64Array(chunk.slice().buffer)[0] ?? 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const network = new InMemoryNetwork();
const ids = ['n1', 'n2', 'n3'].map(NodeId);
const storages = new Map(ids.map((id) => [id, memoryStorage()]));
const nodes = new Map<NodeId, RaftNode<number>>();

function build(id: NodeId): RaftNode<number> {
  return new RaftNodeBuilder()
    .withNodeId(id)
    .withPeers(ids)
    .withStorage(storages.get(id) as ReturnType<typeof memoryStorage>)
    .withTransport(network.transport(id))
    .withStateMachine(new Counter())
    .withOptions({ tickMs: TICK_MS, electionTicks: ELECTION_TICKS, stopTimeoutMs: 0 })
    .build();
}

for (const id of ids) nodes.set(id, build(id));
await Promise.all([...nodes.values()].map((n) => n.start()));

function running(): RaftNode<number>[] {
  return [...nodes.values()].filter((n) => n.lifecycle === 'running');
}

async function stableLeader(): Promise<RaftNode<number>> {
  for (;;) {
    const all = running();
    const leader = all.find((n) => n.role === 'leader');
    if (all.length === ids.length && leader !== undefined && all.every((n) => n.leaderId === leader.id)) return leader;
    await sleep(2);
  }
}

/** Times (performance.now()) of every `committed` answer, in order. */
const commits: number[] = [];
let stopping = false;

async function client(c: number): Promise<void> {
  const payload = new Uint8Array(16).fill(c);
  let target: NodeId | undefined;
  let next = 0;
  while (!stopping) {
    const candidates = running();
    const node = (target !== undefined ? nodes.get(target) : undefined) ?? candidates[next++ % Math.max(1, candidates.length)];
    if (node === undefined || node.lifecycle !== 'running') {
      target = undefined;
      await sleep(1);
      continue;
    }
    const result = await node.submit(payload, { timeoutMs: 1000 });
    if (result.status === 'committed') {
      commits.push(performance.now());
      target = node.id;
    } else if (result.status === 'redirected' && nodes.get(result.leaderId)?.lifecycle === 'running') {
      target = result.leaderId;
    } else {
      target = undefined;
      await sleep(1);
    }
  }
}

/**
 * The availability gap around a disruption at `at`: the largest interval between two
 * consecutive commits from the last commit before `at` until `settledBy`. Commands already in
 * flight may still commit just after `at`; the hole that follows is the gap.
 */
function gapAround(at: number, settledBy: number): number {
  let before = Number.NEGATIVE_INFINITY;
  for (const t of commits) if (t <= at) before = t;
  return largestInterval(before, settledBy);
}

/** Largest interval between consecutive commits within [from, to]: the method's resolution. */
function largestInterval(from: number, to: number): number {
  let largest = 0;
  let previous: number | undefined;
  for (const t of commits) {
    if (t < from || t > to) continue;
    if (previous !== undefined) largest = Math.max(largest, t - previous);
    previous = t;
  }
  return largest;
}

/** Waits until clients committed `count` more commands. */
async function moreCommits(count: number): Promise<void> {
  const target = commits.length + count;
  while (commits.length < target) await sleep(2);
}

const loops = Array.from({ length: CLIENTS }, (_, c) => client(c));
await stableLeader();
await moreCommits(5000); // warm-up

// Baseline: no disruption.
const baselineFrom = performance.now();
await sleep(1000);
const baseline = largestInterval(baselineFrom, performance.now());

const transferGaps: number[] = [];
const transferFailures: string[] = [];
for (let i = 0; i < REPETITIONS; i++) {
  const leader = await stableLeader();
  await moreCommits(500);
  const at = performance.now();
  const result = await leader.transferLeadership();
  if (result.status !== 'completed') transferFailures.push(result.status);
  await stableLeader();
  await moreCommits(200);
  transferGaps.push(gapAround(at, performance.now()));
}

const failoverGaps: number[] = [];
for (let i = 0; i < REPETITIONS; i++) {
  const leader = await stableLeader();
  await moreCommits(500);
  const at = performance.now();
  await leader.stop({ timeoutMs: 0 });
  // Wait for the two others to elect and commit again.
  for (;;) {
    const up = running();
    const fresh = up.find((n) => n.role === 'leader');
    if (fresh !== undefined && up.every((n) => n.leaderId === fresh.id)) break;
    await sleep(2);
  }
  await moreCommits(200);
  failoverGaps.push(gapAround(at, performance.now()));
  const restarted = build(leader.id);
  nodes.set(leader.id, restarted);
  await restarted.start();
}

stopping = true;
await Promise.all(loops);
await Promise.all(running().map((n) => n.stop()));
network.close();

const row = (scenario: string, gaps: number[], failures: number): Row => ({
  scenario,
  repetitions: gaps.length,
  'gap p50 ms': percentile(gaps, 50),
  'gap max ms': percentile(gaps, 100),
  'gap min ms': percentile(gaps, 0),
  'gap p50 / election timeout': percentile(gaps, 50) / ELECTION_TIMEOUT_MS,
  'not completed': failures,
});
const transferMax = percentile(transferGaps, 100);
const transferP50 = percentile(transferGaps, 50);
writeReport({
  name: 'membership-availability-gap',
  description: `3-node @raft/hosting cluster in one process (InMemoryNetwork, memoryStorage, ${TICK_MS} ms ticks, electionTicks ${ELECTION_TICKS}, pre-vote and check-quorum on), ${CLIENTS} closed-loop clients following redirects: largest interval between consecutive committed commands around a leadership transfer (to the most up-to-date voter) or the stop of the leader, ${REPETITIONS} repetitions each.`,
  rows: [row('leadership transfer', transferGaps, transferFailures.length), row('failover (leader stopped)', failoverGaps, 0)],
  reference: {
    'election timeout (base) ms': ELECTION_TIMEOUT_MS,
    'randomised election timeout range ms': `${ELECTION_TIMEOUT_MS}–${2 * ELECTION_TIMEOUT_MS}`,
    'largest commit interval without disruption ms (1 s)': baseline,
  },
  targets: [
    {
      what: 'leadership transfer gap (p50; max in brackets)',
      target: `< ${ELECTION_TIMEOUT_MS / 2} ms (half an election timeout)`,
      actual: `${transferP50.toFixed(1)} ms (${transferMax.toFixed(1)} ms)`,
      met: transferMax < ELECTION_TIMEOUT_MS / 2,
    },
  ],
});
