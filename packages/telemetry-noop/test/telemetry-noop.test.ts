import { type EventSink, type MetricSink, NodeId, RAFT_METRICS, type RaftEventRecord, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { CapturingEventSink, CapturingMetricSink, noopEventSink, noopMetricSink } from '../src/index.js';

const n1 = NodeId('n1');
const n2 = NodeId('n2');

function record(nodeId: NodeId, event: RaftEventRecord['event']): RaftEventRecord {
  return { nodeId, term: Term(3), role: 'follower', event };
}

describe('no-op sinks', () => {
  it('accept every call of the interfaces and return nothing', () => {
    const events: EventSink = noopEventSink;
    const metrics: MetricSink = noopMetricSink;
    expect(events.publish(record(n1, { type: 'leaderElected', leaderId: n1, term: Term(3) }))).toBeUndefined();
    expect(metrics.increment('raft.leader.changes')).toBeUndefined();
    expect(metrics.gauge('raft.term', 3, { node: 'n1' })).toBeUndefined();
    expect(metrics.record('raft.commit.latency', 1.5)).toBeUndefined();
  });

  it('are frozen, so no caller can swap their methods for everyone', () => {
    expect(Object.isFrozen(noopEventSink)).toBe(true);
    expect(Object.isFrozen(noopMetricSink)).toBe(true);
  });
});

describe('CapturingEventSink', () => {
  it('keeps every record in publication order', () => {
    const sink = new CapturingEventSink();
    const a = record(n1, { type: 'electionStarted', term: Term(3), preVote: false });
    const b = record(n2, { type: 'leaderElected', leaderId: n1, term: Term(3) });
    sink.publish(a);
    sink.publish(b);
    expect(sink.records).toEqual([a, b]);
    expect(sink.events()).toEqual([a.event, b.event]);
  });

  it('filters by event type and by node', () => {
    const sink = new CapturingEventSink();
    sink.publish(record(n1, { type: 'electionStarted', term: Term(3), preVote: true }));
    sink.publish(record(n2, { type: 'leaderElected', leaderId: n1, term: Term(3) }));
    sink.publish(record(n1, { type: 'leaderElected', leaderId: n1, term: Term(4) }));
    expect(sink.ofType('leaderElected').map((e) => e.term)).toEqual([3, 4]);
    expect(sink.ofType('commitAdvanced')).toEqual([]);
    expect(sink.fromNode('n1').map((r) => r.event.type)).toEqual(['electionStarted', 'leaderElected']);
  });

  it('clear forgets everything', () => {
    const sink = new CapturingEventSink();
    sink.publish(record(n1, { type: 'electionStarted', term: Term(3), preVote: true }));
    sink.clear();
    expect(sink.records).toEqual([]);
  });
});

describe('CapturingMetricSink', () => {
  it('sums counter increments (default 1), filtered by attribute subset', () => {
    const sink = new CapturingMetricSink();
    sink.increment('raft.elections.started', undefined, { pre_vote: true });
    sink.increment('raft.elections.started', 2, { pre_vote: false, node: 'n1' });
    sink.increment('raft.elections.started', 1, { pre_vote: false, node: 'n2' });
    expect(sink.counter('raft.elections.started')).toBe(4);
    expect(sink.counter('raft.elections.started', { pre_vote: false })).toBe(3);
    expect(sink.counter('raft.elections.started', { pre_vote: false, node: 'n2' })).toBe(1);
    expect(sink.counter('raft.elections.started', { pre_vote: 'false' })).toBe(0);
    expect(sink.counter('raft.leader.changes')).toBe(0);
  });

  it('reports the last gauge value and the gauge history', () => {
    const sink = new CapturingMetricSink();
    expect(sink.lastGauge('raft.term')).toBeUndefined();
    sink.gauge('raft.term', 1);
    sink.gauge('raft.term', 2);
    sink.gauge('raft.replication.lag', 5, { follower: 'n2' });
    sink.gauge('raft.replication.lag', 7, { follower: 'n3' });
    expect(sink.lastGauge('raft.term')).toBe(2);
    expect(sink.gaugeHistory('raft.term')).toEqual([1, 2]);
    expect(sink.lastGauge('raft.replication.lag', { follower: 'n2' })).toBe(5);
    expect(sink.lastGauge('raft.replication.lag')).toBe(7);
  });

  it('keeps histogram observations in order and tells instruments apart', () => {
    const sink = new CapturingMetricSink();
    sink.record('raft.commit.latency', 0.5);
    sink.record('raft.commit.latency', 1.25);
    sink.gauge('raft.term', 9);
    expect(sink.histogram('raft.commit.latency')).toEqual([0.5, 1.25]);
    // A gauge is not a counter: the query for the other instrument sees nothing.
    expect(sink.counter('raft.term')).toBe(0);
    expect(sink.names()).toEqual(['raft.commit.latency', 'raft.term']);
    expect(sink.observations[0]).toEqual({ kind: 'histogram', name: 'raft.commit.latency', value: 0.5, attributes: {} });
  });

  it('accepts every catalogue metric measured with its own instrument and attributes without a violation', () => {
    const sink = new CapturingMetricSink();
    for (const [name, definition] of Object.entries(RAFT_METRICS) as [keyof typeof RAFT_METRICS, (typeof RAFT_METRICS)[keyof typeof RAFT_METRICS]][]) {
      const attributes = Object.fromEntries(definition.attributes.map((key) => [key, 'x']));
      if (definition.kind === 'counter') sink.increment(name, 1, attributes);
      else if (definition.kind === 'gauge') sink.gauge(name, 1, attributes);
      else sink.record(name, 1, attributes);
    }
    expect(sink.observations).toHaveLength(Object.keys(RAFT_METRICS).length);
    expect(sink.violations).toEqual([]);
  });

  it('lists measurements that break the catalogue as violations, without throwing', () => {
    const sink = new CapturingMetricSink();
    sink.gauge('raft.leader.changes', 1); // a counter used as a gauge
    sink.increment('raft.leader.changes', -1); // negative increment
    sink.record('raft.commit.latency', Number.NaN); // non-finite
    sink.gauge('raft.replication.lag', 3); // lacks the "follower" attribute
    sink.increment('raft.no.such.metric' as 'raft.term'); // unknown name
    expect(sink.violations.map((v) => v.problem)).toEqual([
      '"raft.leader.changes" is a counter, measured as a gauge',
      'counter "raft.leader.changes" incremented by a negative value -1',
      '"raft.commit.latency" got a non-finite value NaN',
      '"raft.replication.lag" lacks attribute(s) follower',
      'unknown metric "raft.no.such.metric"',
    ]);
    expect(sink.observations).toHaveLength(5);
  });

  it('clear forgets observations and violations', () => {
    const sink = new CapturingMetricSink();
    sink.gauge('raft.leader.changes', 1);
    sink.clear();
    expect(sink.observations).toEqual([]);
    expect(sink.violations).toEqual([]);
    expect(sink.names()).toEqual([]);
  });
});
