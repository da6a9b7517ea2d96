/**
 * Telemetry cost (issue 9), in two parts.
 *
 * 1. Cost per sink call, in ns: the no-op sinks of @raft/telemetry-noop (the hosting default)
 *    next to the @raft/telemetry-otel sinks — `otelMetricSink` on a real sdk-metrics
 *    MeterProvider with a reader, `otelEventSink` on a real sdk-trace-base provider (batch
 *    span processor, exporter that discards) and with no SDK registered (the API's no-op), and
 *    `pinoEventSink` to a stream that discards and to /dev/null. Median of rounds, one thread.
 * 2. A hosted 3-node in-memory cluster (the set-up of hosting.bench.ts): submit -> committed
 *    on the leader at client concurrency 64, with the no-op sinks, with the OTel metric and
 *    event sinks, and with the OTel metric sink plus the pino sink (info, /dev/null). Rounds
 *    interleave the configurations so they share the machine's noise; median commits/s, and
 *    the ratio to the no-op run (the issue asks for it).
 *
 * Run: pnpm --filter @raft/benchmarks exec tsx src/run-all.ts telemetry
 */
import type { TracerProvider } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  type EventSink,
  type MetricSink,
  NodeId,
  type RaftEventRecord,
  Term,
} from '@raft/abstractions';
import { type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { memoryStorage } from '@raft/storage-memory';
import { noopEventSink, noopMetricSink } from '@raft/telemetry-noop';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otelEventSink, otelMetricSink, pinoEventSink } from '@raft/telemetry-otel';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { type Row, writeReport } from './report.js';
import { CountingStateMachine } from './state-machines.js';

const traceSdk = { BasicTracerProvider, BatchSpanProcessor };

/** A reader that never exports: recording cost only (collection happens off the hot path). */
class QuietReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** An exporter that discards spans, so the batch processor's work is measured, not I/O. */
const discardingExporter = {
  export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
  shutdown: async () => {},
};

function sdkMetricSink(): { sink: MetricSink; provider: MeterProvider; reader: QuietReader } {
  const reader = new QuietReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { sink: otelMetricSink({ meterProvider: provider }), provider, reader };
}

function sdkTracerProvider(): TracerProvider & { shutdown(): Promise<void> } {
  return new traceSdk.BasicTracerProvider({ spanProcessors: [new traceSdk.BatchSpanProcessor(discardingExporter)] });
}

// ---- 1. cost per call -------------------------------------------------------------------------

const ROUNDS = 7;
const CALLS = 200_000;

/** Median ns per call of `body`, run CALLS times per round. */
function nsPerCall(body: (i: number) => void): number {
  for (let i = 0; i < CALLS / 4; i++) body(i); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) body(i);
    rounds.push(Number(process.hrtime.bigint() - started) / CALLS);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(ROUNDS / 2)] as number;
}

const n1 = NodeId('n1');
const nodeAttrs = { node: 'n1' };
const followerAttrs = [NodeId('n2'), NodeId('n3')].map((f) => ({ node: 'n1', follower: f }));
const reasonAttrs = { node: 'n1', reason: 'noLeader' };
const leaderElected: RaftEventRecord = { nodeId: n1, term: Term(3), role: 'leader', event: { type: 'leaderElected', leaderId: n1, term: Term(3) } };
const commitAdvanced = (i: number): RaftEventRecord => ({
  nodeId: n1,
  term: Term(3),
  role: 'leader',
  event: { type: 'commitAdvanced', from: i as never, to: (i + 1) as never },
});

const metricCases: { what: string; run: (sink: MetricSink, i: number) => void }[] = [
  { what: 'increment (counter, {node, reason})', run: (s) => s.increment('raft.proposals.rejected', 1, reasonAttrs) },
  { what: 'gauge ({node})', run: (s, i) => s.gauge('raft.commit.index', i, nodeAttrs) },
  { what: 'gauge ({node, follower}), 2 series', run: (s, i) => s.gauge('raft.replication.lag', i & 7, followerAttrs[i & 1]) },
  { what: 'record (histogram ms, {node})', run: (s, i) => s.record('raft.commit.latency', (i & 1023) / 100, nodeAttrs) },
];

const sdkMetrics = sdkMetricSink();
const metricSinks: { name: string; sink: MetricSink }[] = [
  { name: 'noop', sink: noopMetricSink },
  { name: 'otel, no SDK registered', sink: otelMetricSink() },
  { name: 'otel + sdk-metrics', sink: sdkMetrics.sink },
];

const microRows: Row[] = [];
for (const c of metricCases) {
  const row: Row = { call: `metric ${c.what}` };
  let noop = 0;
  for (const { name, sink } of metricSinks) {
    const ns = nsPerCall((i) => c.run(sink, i));
    if (name === 'noop') noop = ns;
    row[`${name} ns`] = ns;
  }
  row['otel+sdk / noop'] = `${((row['otel + sdk-metrics ns'] as number) / noop).toFixed(0)}x`;
  microRows.push(row);
}
// A collection now and then is what a real reader does; check it works with what was recorded.
const collected = await sdkMetrics.reader.collect();
const collectedMetrics = collected.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).length;

const tracerProvider = sdkTracerProvider();
const pinoDevNull = pinoEventSink({ destination: '/dev/null', level: 'info' });
const eventSinks: { name: string; sink: EventSink }[] = [
  { name: 'noop', sink: noopEventSink },
  { name: 'otel, no SDK registered', sink: otelEventSink() },
  { name: 'otel + sdk-trace (batch)', sink: otelEventSink({ tracerProvider }) },
  { name: 'pino, discarding stream', sink: pinoEventSink({ destination: { write: () => {} }, level: 'info' }) },
  { name: 'pino, /dev/null', sink: pinoDevNull },
];
const eventCases: { what: string; run: (sink: EventSink, i: number) => void }[] = [
  { what: 'leaderElected (info; a span of its own in OTel)', run: (s) => s.publish(leaderElected) },
  { what: 'commitAdvanced (debug; excluded from OTel by default)', run: (s, i) => s.publish(commitAdvanced(i)) },
];
for (const c of eventCases) {
  const row: Row = { call: `event ${c.what}` };
  for (const { name, sink } of eventSinks) row[`${name} ns`] = nsPerCall((i) => c.run(sink, i));
  microRows.push(row);
}
pinoDevNull.flush();
await tracerProvider.shutdown();
await sdkMetrics.provider.shutdown();

// ---- 2. hosted cluster -----------------------------------------------------------------------

const COMMAND_BYTES = 100;
const CONCURRENCY = 64;
const COMMANDS = 40_000;
const CLUSTER_ROUNDS = 5;


interface Telemetry {
  readonly name: string;
  readonly make: () => { metrics: MetricSink; events: EventSink; close: () => Promise<void> };
}

const telemetries: readonly Telemetry[] = [
  { name: 'noop (default)', make: () => ({ metrics: noopMetricSink, events: noopEventSink, close: async () => {} }) },
  {
    name: 'otel metrics + otel spans',
    make: () => {
      const m = sdkMetricSink();
      const tp = sdkTracerProvider();
      return {
        metrics: m.sink,
        events: otelEventSink({ tracerProvider: tp }),
        close: async () => {
          await m.reader.collect();
          await tp.shutdown();
          await m.provider.shutdown();
        },
      };
    },
  },
  {
    name: 'otel metrics + pino (info, /dev/null)',
    make: () => {
      const m = sdkMetricSink();
      const logs = pinoEventSink({ destination: '/dev/null', level: 'info' });
      return {
        metrics: m.sink,
        events: logs,
        close: async () => {
          logs.flush();
          await m.provider.shutdown();
        },
      };
    },
  },
];

async function runCluster(telemetry: Telemetry): Promise<ClusterRun> {
  const network = new InMemoryNetwork();
  const ids = ['n1', 'n2', 'n3'].map(NodeId);
  const sinks = telemetry.make();
  const nodes: RaftNode<number>[] = ids.map((id) =>
    new RaftNodeBuilder()
      .withNodeId(id)
      .withPeers(ids)
      .withStorage(memoryStorage())
      .withTransport(network.transport(id))
      .withStateMachine(new CountingStateMachine())
      .withOptions({ tickMs: 10, mailboxCapacity: 1 << 16 })
      .withMetricSink(sinks.metrics)
      .withEventSink(sinks.events)
      .build(),
  );
  await Promise.all(nodes.map((n) => n.start()));
  let leader: RaftNode<number> | undefined;
  while (leader === undefined) {
    const candidate = nodes.find((n) => n.role === 'leader');
    if (candidate !== undefined && nodes.every((n) => n.leaderId === candidate.id)) leader = candidate;
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const payload = new Uint8Array(COMMAND_BYTES).fill(7);
  const load = async (commands: number): Promise<ClusterRun> => {
    let next = 0;
    let failed = 0;
    const client = async (): Promise<void> => {
      while (next++ < commands) if ((await (leader as RaftNode<number>).submit(payload)).status !== 'committed') failed++;
    };
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    if (failed > 0) throw new Error(`${failed} commands not committed`);
    return { rate: commands / seconds, cpuMicrosPerCommit: (used.user + used.system) / commands };
  };
  await load(10_000); // warm-up
  const run = await load(COMMANDS);
  await Promise.all(nodes.map((n) => n.stop()));
  network.close();
  await sinks.close();
  return run;
}

/**
 * Wall-clock throughput of one in-process cluster depends on the machine's other load; the CPU
 * time the process spent per commit (user + system) is much less sensitive to it, so both are
 * reported.
 */
interface ClusterRun {
  readonly rate: number;
  readonly cpuMicrosPerCommit: number;
}

const runs = new Map<string, ClusterRun[]>(telemetries.map((t) => [t.name, []]));
for (let round = 0; round < CLUSTER_ROUNDS; round++) {
  for (const telemetry of telemetries) runs.get(telemetry.name)?.push(await runCluster(telemetry));
}
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const medianRate = (name: string): number => median((runs.get(name) ?? []).map((r) => r.rate));
const medianCpu = (name: string): number => median((runs.get(name) ?? []).map((r) => r.cpuMicrosPerCommit));
const NOOP = 'noop (default)';
const clusterRows: Row[] = telemetries.map((t) => {
  const values = runs.get(t.name) ?? [];
  return {
    call: `hosted 3-node cluster, ${t.name}`,
    'commits/s (median)': Math.round(medianRate(t.name)),
    'commits/s (rounds)': values.map((v) => Math.round(v.rate).toLocaleString('en-US')).join(' / '),
    'commits/s vs noop': `${((medianRate(t.name) / medianRate(NOOP)) * 100).toFixed(1)}%`,
    'CPU µs/commit (median)': medianCpu(t.name),
    'CPU/commit vs noop': `${((medianCpu(t.name) / medianCpu(NOOP)) * 100).toFixed(1)}%`,
  };
});
const OTEL = 'otel metrics + otel spans';

writeReport({
  name: 'telemetry',
  description: `Cost of telemetry: ns per sink call (median of ${ROUNDS} rounds of ${CALLS.toLocaleString('en-US')} calls; OTel on real sdk-metrics / sdk-trace-base providers), and commits/s of a hosted 3-node in-memory cluster (concurrency ${CONCURRENCY}, ${COMMANDS.toLocaleString('en-US')} commands of ${COMMAND_BYTES} bytes, median of ${CLUSTER_ROUNDS} interleaved rounds) with each telemetry.`,
  rows: [...microRows, ...clusterRows],
  reference: {
    'noop cluster commits/s (same run)': Math.round(medianRate(NOOP)),
    'commits/s with OTel sinks / with noop': (medianRate(OTEL) / medianRate(NOOP)).toFixed(3),
    'CPU per commit with OTel sinks / with noop': (medianCpu(OTEL) / medianCpu(NOOP)).toFixed(3),
    'metrics collected from the sdk-metrics reader': collectedMetrics,
  },
});
