/**
 * Issue 9, "what must show it works": a hosted 3-node cluster with the OpenTelemetry sinks and an
 * in-memory reader elects a leader and commits commands; the instruments exist with the
 * documented names, units and attributes, and their values match what happened. Real timers,
 * conditions polled with a deadline; nothing asserts on timing.
 */
import { DataPointType, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type CommittedCommand, NodeId, RAFT_METRICS, type StateMachine } from '@raft/abstractions';
import { type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { afterEach, describe, expect, it } from 'vitest';
import { otelEventSink, otelMetricSink, pinoEventSink } from '../src/index.js';
import { histogramPoint, meteredProvider, points } from './metric-reader.js';

/** Sums one-byte commands; the result of each is the running total. */
class Sum implements StateMachine<number> {
  total = 0;
  apply(command: CommittedCommand): number {
    this.total += command.payload[0] ?? 0;
    return this.total;
  }
  async *exportSnapshot(): AsyncIterable<Uint8Array> {
    yield new Uint8Array([this.total]);
  }
  async importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of chunks) this.total = chunk[0] ?? 0;
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const COMMANDS = 20;
const ids = ['n1', 'n2', 'n3'].map(NodeId);
let nodes: RaftNode<number>[] = [];

afterEach(async () => {
  await Promise.all(nodes.map((node) => node.stop({ timeoutMs: 0 })));
  nodes = [];
});

describe('a hosted 3-node cluster reports through the OpenTelemetry sinks', () => {
  it('one leader change per node, commit and applied index equal to what was committed, a commit-latency histogram, election spans', async () => {
    const { meterProvider, reader } = meteredProvider();
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const metricSink = otelMetricSink({ meterProvider });
    const eventSink = otelEventSink({ tracerProvider });
    const logLines: string[] = [];
    const logSink = pinoEventSink({ destination: { write: (line: string) => logLines.push(line) } });
    const network = new InMemoryNetwork({ seed: 9 });
    nodes = ids.map((id) =>
      new RaftNodeBuilder<number>()
        .withNodeId(id)
        .withPeers(ids)
        .withTransport(network.transport(id))
        .withPeerDirectory(network.directory())
        .withStateMachine(new Sum())
        // A generous election timeout (300–600 ms) so a loaded machine does not see a second election.
        .withOptions({ tickMs: 10, electionTicks: 30, heartbeatTicks: 2, stopTimeoutMs: 0 })
        .withMetricSink(metricSink)
        .withEventSink({
          publish: (record) => {
            eventSink.publish(record);
            logSink.publish(record);
          },
        })
        .build(),
    );
    await Promise.all(nodes.map((node) => node.start()));

    await waitFor(() => nodes.filter((n) => n.role === 'leader').length === 1 && nodes.every((n) => n.leaderId !== undefined), 'a leader');
    const leader = nodes.find((n) => n.role === 'leader') as RaftNode<number>;
    let lastIndex = 0;
    for (let k = 0; k < COMMANDS; k++) {
      const result = await leader.submit(new Uint8Array([1]));
      expect(result.status).toBe('committed');
      if (result.status === 'committed') lastIndex = result.index;
    }
    await waitFor(() => nodes.every((n) => n.status().commitIndex === lastIndex && n.appliedIndex === lastIndex), 'every node to apply everything');

    const exported = await reader.metrics();
    const node = (id: NodeId): { node: string } => ({ node: id });

    // The instruments exist with the documented names and units.
    for (const name of ['raft.leader.changes', 'raft.term', 'raft.commit.index', 'raft.applied.index', 'raft.commit.latency', 'raft.log.append.duration'] as const) {
      expect(exported.get(name)?.descriptor.unit, name).toBe(RAFT_METRICS[name].unit);
    }

    // One leader change, seen by every node: from no leader to the leader.
    expect(points<number>(exported.get('raft.leader.changes'))).toEqual(ids.map((id) => ({ attributes: node(id), value: 1 })));
    // Elections: at least one pre-vote round and one election, attributed by pre_vote.
    const elections = points<number>(exported.get('raft.elections.started'));
    expect(elections.some((p) => p.attributes['pre_vote'] === false && p.attributes['node'] === leader.id)).toBe(true);
    expect(elections.every((p) => Object.keys(p.attributes).sort().join() === 'node,pre_vote')).toBe(true);

    const term = leader.status().term;
    expect(points<number>(exported.get('raft.term'))).toEqual(ids.map((id) => ({ attributes: node(id), value: term })));
    // The commit index is what was committed: the leader's no-op plus the commands, on every node.
    expect(lastIndex).toBe(COMMANDS + 1);
    expect(points<number>(exported.get('raft.commit.index'))).toEqual(ids.map((id) => ({ attributes: node(id), value: lastIndex })));
    expect(points<number>(exported.get('raft.applied.index'))).toEqual(ids.map((id) => ({ attributes: node(id), value: lastIndex })));

    // Commit latency: one observation per command, on the leader only.
    const latency = exported.get('raft.commit.latency');
    expect(latency?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(points<Histogram>(latency).map((p) => p.attributes)).toEqual([node(leader.id)]);
    const leaderLatency = histogramPoint(latency, node(leader.id));
    expect(leaderLatency?.count).toBe(COMMANDS);
    expect(leaderLatency?.min).toBeGreaterThanOrEqual(0);
    expect(leaderLatency?.buckets.counts.reduce((a, b) => a + b, 0)).toBe(COMMANDS);
    // Every node wrote its log durably at least once.
    for (const id of ids) expect(histogramPoint(exported.get('raft.log.append.duration'), node(id))?.count ?? 0, id).toBeGreaterThan(0);

    // The election is a span that the leader won.
    const won = spans.getFinishedSpans().filter((s) => s.name === 'raft.election' && s.attributes['raft.outcome'] === 'won');
    expect(won.map((s) => s.attributes['raft.node.id'])).toEqual([leader.id]);
    expect(won[0]?.attributes['raft.election.term']).toBe(term);
    expect(spans.getFinishedSpans().filter((s) => s.name === 'raft.leaderElected').length).toBeGreaterThanOrEqual(ids.length);

    // The log lines parse and tell the same story.
    const elected = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l['event'] === 'leaderElected');
    expect(new Set(elected.map((l) => l['leaderId']))).toEqual(new Set([leader.id]));
    expect(new Set(elected.map((l) => l['node']))).toEqual(new Set(ids));

    expect(metricSink.failures).toBe(0);
    expect(eventSink.failures).toBe(0);
    expect(logSink.failures).toBe(0);
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  });
});
