/**
 * @raft/hosting end to end: a 3-node in-process cluster (InMemoryNetwork, memoryStorage, no-op
 * telemetry, 10 ms ticks), `submit` → `committed` on the leader with 100-byte commands, at
 * client concurrency 1, 16 and 256 (each client submits its next command when the previous one
 * is answered). Latency is measured per command from the `submit` call to its answer.
 * References measured in the same run: the `setImmediate` round trip (one turn of the event
 * loop, the unit every hop of a node costs) and the in-memory transport round trip (a message
 * to a peer and back).
 * Targets (issue 5): >= 100,000 commits/s at concurrency 256; p50 < 1 ms at concurrency 1.
 */
import { NodeId, type RaftMessage, Term } from '@raft/abstractions';
import { type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { memoryStorage } from '@raft/storage-memory';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { type Row, percentile, writeReport } from './report.js';
import { measure, waitForLeader } from './clients.js';
import { CountingStateMachine } from './state-machines.js';

const COMMAND_BYTES = 100;
const RUNS: readonly { concurrency: number; commands: number }[] = [
  { concurrency: 1, commands: 5_000 },
  { concurrency: 16, commands: 50_000 },
  { concurrency: 256, commands: 300_000 },
];


async function cluster(): Promise<{ nodes: RaftNode<number>[]; network: InMemoryNetwork }> {
  const network = new InMemoryNetwork();
  const ids = ['n1', 'n2', 'n3'].map(NodeId);
  const nodes = ids.map((id) =>
    new RaftNodeBuilder()
      .withNodeId(id)
      .withPeers(ids)
      .withStorage(memoryStorage())
      .withTransport(network.transport(id))
      .withStateMachine(new CountingStateMachine())
      .withOptions({ tickMs: 10, mailboxCapacity: 1 << 16 })
      .build(),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return { nodes, network };
}

async function setImmediateRoundTrip(samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    out.push(performance.now() - t);
  }
  return out;
}

async function transportRoundTrip(samples: number): Promise<number[]> {
  const network = new InMemoryNetwork();
  const a = NodeId('a');
  const b = NodeId('b');
  const ta = network.transport(a);
  const tb = network.transport(b);
  let wake: (() => void) | undefined;
  await ta.start({ deliver: () => wake?.() });
  await tb.start({ deliver: (m: RaftMessage) => tb.send(a, [{ ...m, from: b, to: a }]) });
  const ping: RaftMessage = { type: 'TimeoutNow', from: a, to: b, term: Term(1) };
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      wake = resolve;
      ta.send(b, [ping]);
    });
    out.push(performance.now() - t);
  }
  network.close();
  return out;
}

const { nodes, network } = await cluster();
const leader = await waitForLeader(nodes);
await measure(leader, 64, 20_000, COMMAND_BYTES); // warm-up: let the JIT compile the hot paths
const rows: Row[] = [];
const byConcurrency = new Map<number, { rate: number; p50: number; p99: number }>();
for (const run of RUNS) {
  const r = await measure(leader, run.concurrency, run.commands, COMMAND_BYTES);
  const p50 = percentile(r.latencies, 50);
  const p99 = percentile(r.latencies, 99);
  byConcurrency.set(run.concurrency, { rate: r.rate, p50, p99 });
  rows.push({
    concurrency: run.concurrency,
    commands: run.commands,
    'not committed': r.failed,
    'commits/s': Math.round(r.rate),
    'p50 ms': p50,
    'p99 ms': p99,
    'max ms': percentile(r.latencies, 100),
  });
}
await Promise.all(nodes.map((n) => n.stop()));
network.close();

const immediate = await setImmediateRoundTrip(20_000);
const transport = await transportRoundTrip(20_000);
const c1 = byConcurrency.get(1) as { rate: number; p50: number };
const c256 = byConcurrency.get(256) as { rate: number };
writeReport({
  name: 'hosting-end-to-end',
  description: `3-node @raft/hosting cluster in one process (InMemoryNetwork, memoryStorage, no-op telemetry, 10 ms ticks, default snapshot every 10,000 entries of a counting state machine): submit -> committed on the leader, ${COMMAND_BYTES}-byte commands, closed-loop clients.`,
  rows,
  reference: {
    'setImmediate round trip p50 ms': percentile(immediate, 50),
    'setImmediate round trip p99 ms': percentile(immediate, 99),
    'in-memory transport round trip p50 ms': percentile(transport, 50),
    'in-memory transport round trip p99 ms': percentile(transport, 99),
  },
  targets: [
    { what: 'commits/s at concurrency 256', target: '>= 100,000', actual: Math.round(c256.rate).toLocaleString('en-US'), met: c256.rate >= 100_000 },
    { what: 'p50 latency at concurrency 1', target: '< 1 ms', actual: `${c1.p50.toPrecision(3)} ms`, met: c1.p50 < 1 },
  ],
});
