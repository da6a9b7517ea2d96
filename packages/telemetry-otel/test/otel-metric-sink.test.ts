import { type Meter, type ObservableResult, metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { type MetricAttributes, type MetricKind, type MetricName, RAFT_METRICS } from '@raft/abstractions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COUNT_BUCKETS, DURATION_BUCKETS_MS, SIZE_BUCKETS_BYTES, defaultBucketBoundaries, otelMetricSink } from '../src/index.js';
import { histogramPoint, meteredProvider, points } from './metric-reader.js';

const providers: MeterProvider[] = [];
function setup(): ReturnType<typeof meteredProvider> {
  const setupResult = meteredProvider();
  providers.push(setupResult.meterProvider);
  return setupResult;
}
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.shutdown();
  vi.restoreAllMocks();
});

const NAMES = Object.keys(RAFT_METRICS) as MetricName[];
const DATA_POINT_TYPE: Record<MetricKind, DataPointType> = {
  counter: DataPointType.SUM,
  gauge: DataPointType.GAUGE,
  histogram: DataPointType.HISTOGRAM,
};

/** The catalogue attributes of `name` with example values, plus `node`. */
function exampleAttributes(name: MetricName): MetricAttributes {
  const attributes: Record<string, string | boolean> = { node: 'n1' };
  for (const key of RAFT_METRICS[name].attributes) attributes[key] = key === 'pre_vote' ? true : `${key}-value`;
  return attributes;
}

describe('otelMetricSink: instruments follow the catalogue (docs/metrics.md)', () => {
  it('exports every catalogue metric with its name, unit, description, kind and attributes', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider });
    for (const name of NAMES) {
      const { kind } = RAFT_METRICS[name];
      if (kind === 'counter') sink.increment(name, 2, exampleAttributes(name));
      else if (kind === 'gauge') sink.gauge(name, 7, exampleAttributes(name));
      else sink.record(name, 3, exampleAttributes(name));
    }
    const exported = await reader.metrics();
    expect([...exported.keys()].sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      const metric = exported.get(name);
      const definition = RAFT_METRICS[name];
      expect(metric?.descriptor.unit, name).toBe(definition.unit);
      expect(metric?.descriptor.description, name).toBe(definition.description);
      expect(metric?.dataPointType, name).toBe(DATA_POINT_TYPE[definition.kind]);
      const [point, ...rest] = points<unknown>(metric);
      expect(rest, name).toEqual([]);
      expect(Object.keys(point?.attributes ?? {}).sort(), name).toEqual(['node', ...definition.attributes].sort());
    }
    expect(sink.failures).toBe(0);
  });

  it('counters are monotonic sums per attribute set', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider });
    sink.increment('raft.leader.changes', 1, { node: 'n1' });
    sink.increment('raft.leader.changes', undefined, { node: 'n1' });
    sink.increment('raft.leader.changes', 3, { node: 'n2' });
    sink.increment('raft.proposals.rejected', 1, { node: 'n1', reason: 'noLeader' });
    sink.increment('raft.proposals.rejected', 4, { node: 'n1', reason: 'uncommittedLimit' });
    const exported = await reader.metrics();
    const changes = exported.get('raft.leader.changes');
    expect(changes?.dataPointType === DataPointType.SUM && changes.isMonotonic).toBe(true);
    expect(points<number>(changes)).toEqual([
      { attributes: { node: 'n1' }, value: 2 },
      { attributes: { node: 'n2' }, value: 3 },
    ]);
    expect(points<number>(exported.get('raft.proposals.rejected'))).toEqual([
      { attributes: { node: 'n1', reason: 'noLeader' }, value: 1 },
      { attributes: { node: 'n1', reason: 'uncommittedLimit' }, value: 4 },
    ]);
  });

  it('a gauge reports the last value pushed for each attribute set, at every collection', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider });
    sink.gauge('raft.commit.index', 3, { node: 'n1' });
    sink.gauge('raft.commit.index', 9, { node: 'n1' });
    sink.gauge('raft.replication.lag', 5, { node: 'n1', follower: 'n2' });
    sink.gauge('raft.replication.lag', 1, { follower: 'n3', node: 'n1' });
    // Same attribute set, other key order: the same series.
    sink.gauge('raft.replication.lag', 0, { node: 'n1', follower: 'n3' });
    let exported = await reader.metrics();
    expect(points<number>(exported.get('raft.commit.index'))).toEqual([{ attributes: { node: 'n1' }, value: 9 }]);
    expect(points<number>(exported.get('raft.replication.lag'))).toEqual([
      { attributes: { node: 'n1', follower: 'n2' }, value: 5 },
      { attributes: { follower: 'n3', node: 'n1' }, value: 0 },
    ]);
    // Without new values the gauge still reports the last ones.
    exported = await reader.metrics();
    expect(points<number>(exported.get('raft.commit.index'))).toEqual([{ attributes: { node: 'n1' }, value: 9 }]);
  });

  it('a gauge keeps its own copy of the attributes, and follows an attributes object that changed', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider });
    const attributes: Record<string, string> = { node: 'n1', follower: 'n2' };
    sink.gauge('raft.replication.inflight', 4, attributes);
    attributes['follower'] = 'n9';
    expect(points<number>((await reader.metrics()).get('raft.replication.inflight'))).toEqual([
      { attributes: { node: 'n1', follower: 'n2' }, value: 4 },
    ]);
    // The same object, changed, is another series now.
    sink.gauge('raft.replication.inflight', 9, attributes);
    Reflect.deleteProperty(attributes, 'follower');
    sink.gauge('raft.replication.inflight', 1, attributes);
    sink.gauge('raft.replication.inflight', 5, { node: 'n1', follower: 'n2' });
    expect(points<number>((await reader.metrics()).get('raft.replication.inflight'))).toEqual([
      { attributes: { node: 'n1', follower: 'n2' }, value: 5 },
      { attributes: { node: 'n1', follower: 'n9' }, value: 9 },
      { attributes: { node: 'n1' }, value: 1 },
    ]);
  });

  it('histograms use bucket boundaries for sub-millisecond to multi-second latencies', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider });
    for (const ms of [0.03, 0.3, 0.3, 4, 1200, 60_000]) sink.record('raft.commit.latency', ms, { node: 'n1' });
    sink.record('raft.log.append.entries', 64, { node: 'n1' });
    sink.record('raft.snapshot.size', 10_000_000, { node: 'n1', origin: 'saved' });
    const exported = await reader.metrics();
    const latency = histogramPoint(exported.get('raft.commit.latency'), { node: 'n1' }) as Histogram;
    expect(latency.buckets.boundaries).toEqual([...DURATION_BUCKETS_MS]);
    expect(latency.count).toBe(6);
    expect(latency.sum).toBeCloseTo(61_204.63, 6);
    expect(latency.min).toBe(0.03);
    expect(latency.max).toBe(60_000);
    const expectedCounts = DURATION_BUCKETS_MS.map(() => 0).concat(0);
    for (const ms of [0.03, 0.3, 0.3, 4, 1200, 60_000]) {
      const bucket = DURATION_BUCKETS_MS.findIndex((upper) => ms <= upper);
      expectedCounts[bucket === -1 ? DURATION_BUCKETS_MS.length : bucket]! += 1;
    }
    expect(latency.buckets.counts).toEqual(expectedCounts);
    expect(latency.buckets.counts[0]).toBe(1); // 30 µs lands below the first boundary (50 µs)
    expect(histogramPoint(exported.get('raft.log.append.entries'), { node: 'n1' })?.buckets.boundaries).toEqual([...COUNT_BUCKETS]);
    expect(histogramPoint(exported.get('raft.snapshot.size'), { node: 'n1', origin: 'saved' })?.buckets.boundaries).toEqual([
      ...SIZE_BUCKETS_BYTES,
    ]);
  });

  it('the default boundaries are chosen by unit and are strictly increasing', () => {
    for (const name of NAMES) {
      const definition = RAFT_METRICS[name];
      const boundaries = defaultBucketBoundaries(name);
      if (definition.kind !== 'histogram') {
        expect(boundaries, name).toBeUndefined();
        continue;
      }
      const expected = definition.unit === 'ms' ? DURATION_BUCKETS_MS : definition.unit === 'By' ? SIZE_BUCKETS_BYTES : COUNT_BUCKETS;
      expect(boundaries, name).toBe(expected);
    }
    for (const list of [DURATION_BUCKETS_MS, COUNT_BUCKETS, SIZE_BUCKETS_BYTES]) {
      expect(list.every((b, k) => k === 0 || b > (list[k - 1] as number))).toBe(true);
    }
    expect(DURATION_BUCKETS_MS[0]).toBeLessThan(0.1);
    expect(DURATION_BUCKETS_MS.at(-1)).toBeGreaterThanOrEqual(5000);
  });

  it('bucketBoundaries replaces the defaults of one histogram', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider, bucketBoundaries: { 'raft.log.append.duration': [1, 10, 100] } });
    sink.record('raft.log.append.duration', 5);
    sink.record('raft.commit.latency', 5);
    const exported = await reader.metrics();
    expect(histogramPoint(exported.get('raft.log.append.duration'), {})?.buckets).toEqual({ boundaries: [1, 10, 100], counts: [0, 1, 0, 0] });
    expect(histogramPoint(exported.get('raft.commit.latency'), {})?.buckets.boundaries).toEqual([...DURATION_BUCKETS_MS]);
  });

  it('adds the configured attributes to every measurement; a measurement’s own attributes win', async () => {
    const { meterProvider, reader } = setup();
    const sink = otelMetricSink({ meterProvider, attributes: { node: 'n1', cluster: 'c1' } });
    sink.increment('raft.elections.started', 1, { pre_vote: true });
    sink.gauge('raft.term', 4);
    sink.record('raft.commit.latency', 1, { node: 'n2' });
    const exported = await reader.metrics();
    expect(points<number>(exported.get('raft.elections.started'))).toEqual([{ attributes: { node: 'n1', cluster: 'c1', pre_vote: true }, value: 1 }]);
    expect(points<number>(exported.get('raft.term'))).toEqual([{ attributes: { node: 'n1', cluster: 'c1' }, value: 4 }]);
    expect(histogramPoint(exported.get('raft.commit.latency'), { node: 'n2', cluster: 'c1' })?.count).toBe(1);
  });

  it('an end-to-end push pipeline (PeriodicExportingMetricReader + InMemoryMetricExporter) receives the values', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    providers.push(meterProvider);
    const sink = otelMetricSink({ meterProvider, attributes: { node: 'n1' } });
    sink.increment('raft.leader.changes');
    sink.gauge('raft.commit.index', 12);
    sink.record('raft.commit.latency', 0.7);
    await reader.forceFlush();
    const exported = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics));
    const byName = new Map(exported.map((m) => [m.descriptor.name, m]));
    expect(points<number>(byName.get('raft.leader.changes'))).toEqual([{ attributes: { node: 'n1' }, value: 1 }]);
    expect(points<number>(byName.get('raft.commit.index'))).toEqual([{ attributes: { node: 'n1' }, value: 12 }]);
    expect(histogramPoint(byName.get('raft.commit.latency'), { node: 'n1' })?.count).toBe(1);
  });
});

describe('otelMetricSink: nothing is exported unless an SDK is configured', () => {
  afterEach(() => metrics.disable());

  it('the default sink uses the global provider, which records nothing until one is registered', async () => {
    const { meterProvider, reader } = setup();
    const before = otelMetricSink();
    before.increment('raft.leader.changes');
    before.gauge('raft.term', 3);
    before.record('raft.commit.latency', 1);
    expect(before.failures).toBe(0);
    expect((await reader.metrics()).size).toBe(0);

    metrics.setGlobalMeterProvider(meterProvider);
    const after = otelMetricSink();
    after.increment('raft.leader.changes');
    const exported = await reader.metrics();
    expect(points<number>(exported.get('raft.leader.changes'))).toEqual([{ attributes: {}, value: 1 }]);
  });
});

describe('otelMetricSink options', () => {
  it('refuses bad options up front with a ConfigurationError naming the option', () => {
    const failure = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return [(error as { code?: unknown }).code, (error as { option?: unknown }).option];
      }
      return 'no error';
    };
    expect(failure(() => otelMetricSink({ bucketBoundaries: { 'raft.term': [1, 2] } }))).toEqual(['INVALID_CONFIGURATION', 'bucketBoundaries.raft.term']);
    expect(failure(() => otelMetricSink({ bucketBoundaries: { 'raft.commit.latency': [2, 1] } }))).toEqual([
      'INVALID_CONFIGURATION',
      'bucketBoundaries.raft.commit.latency',
    ]);
    expect(failure(() => otelMetricSink({ bucketBoundaries: { 'raft.commit.latency': [1, Number.NaN] } }))).toEqual([
      'INVALID_CONFIGURATION',
      'bucketBoundaries.raft.commit.latency',
    ]);
    expect(failure(() => otelMetricSink({ attributes: { node: {} as never } }))).toEqual(['INVALID_CONFIGURATION', 'attributes.node']);
    expect(failure(() => otelMetricSink({ bucketBoundaries: { 'raft.commit.latency': [0.5, 1] } }))).toBe('no error');
  });
});

describe('otelMetricSink never throws into the node', () => {
  it('drops and counts measurements that break the catalogue', async () => {
    const { meterProvider, reader } = setup();
    const errors: unknown[] = [];
    const sink = otelMetricSink({ meterProvider, onError: (error) => errors.push(error) });
    expect(() => sink.increment('raft.not.a.metric' as MetricName)).not.toThrow();
    sink.increment('raft.term'); // a gauge
    sink.gauge('raft.leader.changes', 1); // a counter
    sink.record('raft.term', 1); // a gauge
    sink.increment('raft.leader.changes', -1);
    sink.gauge('raft.term', Number.NaN);
    sink.record('raft.commit.latency', Number.POSITIVE_INFINITY);
    expect(sink.failures).toBe(7);
    expect(errors).toHaveLength(7);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect((await reader.metrics()).size).toBe(0);
  });

  it('survives a meter whose instruments throw, and an onError that throws', () => {
    const boom = (): never => {
      throw new Error('instrument failed');
    };
    const failing = {
      createCounter: () => ({ add: boom }),
      createHistogram: () => ({ record: boom }),
      createObservableGauge: () => ({ addCallback: () => {}, removeCallback: () => {} }),
    } as unknown as Meter;
    const sink = otelMetricSink({
      meter: failing,
      onError: () => {
        throw new Error('onError failed too');
      },
    });
    expect(() => {
      sink.increment('raft.leader.changes');
      sink.record('raft.commit.latency', 1);
      sink.gauge('raft.term', 1);
    }).not.toThrow();
    expect(sink.failures).toBe(2);
  });

  it('survives a meter that cannot create instruments, and a provider that cannot give a meter', () => {
    const noInstruments = new Proxy({}, { get: () => () => { throw new Error('no instruments'); } }) as Meter;
    const sink = otelMetricSink({ meter: noInstruments });
    expect(sink.failures).toBe(NAMES.length);
    expect(() => sink.increment('raft.leader.changes')).not.toThrow();
    expect(sink.failures).toBe(NAMES.length + 1);

    const noMeter = otelMetricSink({ meterProvider: { getMeter: () => { throw new Error('no meter'); } } });
    expect(() => {
      noMeter.increment('raft.leader.changes');
      noMeter.gauge('raft.term', 1);
      noMeter.record('raft.commit.latency', 1);
    }).not.toThrow();
    expect(noMeter.failures).toBe(4);
  });

  it('keeps recording while the exporter fails or throws', async () => {
    let calls = 0;
    const exporter: PushMetricExporter = {
      export: (_metrics, resultCallback) => {
        calls++;
        if (calls % 2 === 0) throw new Error('exporter threw');
        resultCallback({ code: 1, error: new Error('export failed') });
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    providers.push(meterProvider);
    const sink = otelMetricSink({ meterProvider });
    for (let round = 0; round < 3; round++) {
      expect(() => {
        sink.increment('raft.leader.changes');
        sink.gauge('raft.term', round);
        sink.record('raft.commit.latency', round);
      }).not.toThrow();
      await reader.forceFlush().catch(() => {});
    }
    expect(calls).toBe(3);
    expect(sink.failures).toBe(0);
  });

  it('a gauge callback that fails during collection is counted, not thrown', () => {
    const callbacks: ((result: ObservableResult) => void)[] = [];
    const meter = {
      createCounter: () => ({ add: () => {} }),
      createHistogram: () => ({ record: () => {} }),
      createObservableGauge: () => ({ addCallback: (callback: (result: ObservableResult) => void) => callbacks.push(callback) }),
    } as unknown as Meter;
    const sink = otelMetricSink({ meter });
    sink.gauge('raft.term', 1);
    const failingResult: ObservableResult = {
      observe: () => {
        throw new Error('observe failed');
      },
    };
    expect(() => {
      for (const callback of callbacks) callback(failingResult);
    }).not.toThrow();
    // Only raft.term has a value to observe.
    expect(sink.failures).toBe(1);
  });
});
