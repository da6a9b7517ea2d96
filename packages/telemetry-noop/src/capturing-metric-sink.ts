import { type MetricAttributes, type MetricKind, type MetricName, type MetricSink, RAFT_METRICS } from '@raft/abstractions';

/** One measurement as received by a {@link CapturingMetricSink}. */
export interface MetricObservation {
  /** Which sink method received it: `increment` → counter, `gauge` → gauge, `record` → histogram. */
  readonly kind: MetricKind;
  readonly name: MetricName;
  readonly value: number;
  /** The attributes passed with the measurement (an empty object when none were). */
  readonly attributes: MetricAttributes;
}

/**
 * A measurement that breaks the metric catalogue ({@link RAFT_METRICS}): an unknown name, a
 * name used with the wrong instrument kind, a non-finite value, a negative counter increment,
 * or a missing attribute the catalogue requires.
 */
export interface MetricViolation {
  readonly observation: MetricObservation;
  readonly problem: string;
}

/**
 * A {@link MetricSink} for tests that keeps every measurement and answers questions about
 * them. Attribute filters match by subset: `{ follower: 'n2' }` matches measurements whose
 * attributes include `follower: 'n2'`, whatever else they carry.
 *
 * It never throws (the {@link MetricSink} contract): measurements that break the catalogue are
 * kept as usual and also listed in {@link CapturingMetricSink.violations}, so a test can assert
 * `expect(metrics.violations).toEqual([])`.
 *
 * @example
 * ```ts
 * const metrics = new CapturingMetricSink();
 * metrics.increment('raft.elections.started', 1, { pre_vote: true });
 * metrics.gauge('raft.term', 3);
 * metrics.counter('raft.elections.started'); // 1
 * metrics.lastGauge('raft.term');            // 3
 * ```
 */
export class CapturingMetricSink implements MetricSink {
  /** Every measurement received so far, oldest first. */
  readonly observations: MetricObservation[] = [];
  /** Measurements that break the metric catalogue, oldest first. */
  readonly violations: MetricViolation[] = [];

  increment(name: MetricName, value = 1, attributes: MetricAttributes = {}): void {
    this.observe({ kind: 'counter', name, value, attributes });
  }

  gauge(name: MetricName, value: number, attributes: MetricAttributes = {}): void {
    this.observe({ kind: 'gauge', name, value, attributes });
  }

  record(name: MetricName, value: number, attributes: MetricAttributes = {}): void {
    this.observe({ kind: 'histogram', name, value, attributes });
  }

  /** Sum of every increment of counter `name` whose attributes include `attributes`; 0 if none. */
  counter(name: MetricName, attributes?: MetricAttributes): number {
    let total = 0;
    for (const o of this.matching('counter', name, attributes)) total += o.value;
    return total;
  }

  /** The value gauge `name` was last set to (among measurements matching `attributes`), or `undefined`. */
  lastGauge(name: MetricName, attributes?: MetricAttributes): number | undefined {
    const values = this.matching('gauge', name, attributes);
    return values[values.length - 1]?.value;
  }

  /** Every value gauge `name` was set to, oldest first. */
  gaugeHistory(name: MetricName, attributes?: MetricAttributes): number[] {
    return this.matching('gauge', name, attributes).map((o) => o.value);
  }

  /** Every observation recorded in histogram `name`, oldest first. */
  histogram(name: MetricName, attributes?: MetricAttributes): number[] {
    return this.matching('histogram', name, attributes).map((o) => o.value);
  }

  /** Names that received at least one measurement, sorted. */
  names(): MetricName[] {
    return [...new Set(this.observations.map((o) => o.name))].sort();
  }

  /** Forgets every observation and violation. */
  clear(): void {
    this.observations.length = 0;
    this.violations.length = 0;
  }

  private observe(observation: MetricObservation): void {
    this.observations.push(observation);
    const problem = catalogueProblem(observation);
    if (problem !== undefined) this.violations.push({ observation, problem });
  }

  private matching(kind: MetricKind, name: MetricName, attributes: MetricAttributes | undefined): MetricObservation[] {
    return this.observations.filter((o) => o.kind === kind && o.name === name && includesAttributes(o.attributes, attributes));
  }
}

function includesAttributes(actual: MetricAttributes, wanted: MetricAttributes | undefined): boolean {
  if (wanted === undefined) return true;
  for (const key of Object.keys(wanted)) {
    if (!Object.hasOwn(actual, key) || actual[key] !== wanted[key]) return false;
  }
  return true;
}

/** What is wrong with an observation according to {@link RAFT_METRICS}, or `undefined`. */
function catalogueProblem(o: MetricObservation): string | undefined {
  const definition = Object.hasOwn(RAFT_METRICS, o.name) ? RAFT_METRICS[o.name] : undefined;
  if (definition === undefined) return `unknown metric "${String(o.name)}"`;
  if (definition.kind !== o.kind) return `"${o.name}" is a ${definition.kind}, measured as a ${o.kind}`;
  if (!Number.isFinite(o.value)) return `"${o.name}" got a non-finite value ${o.value}`;
  if (o.kind === 'counter' && o.value < 0) return `counter "${o.name}" incremented by a negative value ${o.value}`;
  const missing = definition.attributes.filter((key) => !Object.hasOwn(o.attributes, key));
  if (missing.length > 0) return `"${o.name}" lacks attribute(s) ${missing.join(', ')}`;
  return undefined;
}
