import {
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableGauge,
  type ObservableResult,
  metrics,
} from '@opentelemetry/api';
import { ConfigurationError, type MetricAttributes, type MetricKind, type MetricName, type MetricSink, RAFT_METRICS } from '@raft/abstractions';
import { defaultBucketBoundaries } from './buckets.js';
import { FailureCounter } from './internal/failures.js';

/** The instrumentation scope name of the meter and tracer this package creates. */
export const INSTRUMENTATION_SCOPE = '@raft/telemetry-otel';

/** Options of {@link otelMetricSink}. */
export interface OtelMetricSinkOptions {
  /** The meter to create the instruments on. Takes precedence over `meterProvider`. @default `meterProvider.getMeter('@raft/telemetry-otel')` */
  readonly meter?: Meter;
  /**
   * The provider to get the meter from. The global one exports nothing until an SDK is
   * registered (`@opentelemetry/api` hands out no-op instruments until then).
   * @default the global provider, `metrics.getMeterProvider()`
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Attributes added to every measurement, for example `{ node: 'n1' }` when one sink serves
   * one node and the host does not add `node` itself. A measurement's own attributes win.
   * @default {}
   */
  readonly attributes?: MetricAttributes;
  /**
   * Bucket boundaries per histogram, replacing the defaults (see `defaultBucketBoundaries`).
   * They are passed as `advice`, so a View configured in the SDK still takes precedence.
   * @default {}
   */
  readonly bucketBoundaries?: Partial<Record<MetricName, readonly number[]>>;
  /** Called with every failure the sink swallowed (a throwing instrument, an invalid measurement). @default none */
  readonly onError?: (error: unknown) => void;
}

/** A {@link MetricSink} that records into OpenTelemetry instruments. */
export interface OtelMetricSink extends MetricSink {
  /**
   * Measurements the sink dropped or could not record: instrument calls that threw, unknown
   * metric names, a name used with the wrong method, non-finite values, negative increments.
   */
  readonly failures: number;
}

interface GaugePoint {
  value: number;
  /** What is observed: the configured attributes merged with the measurement's (a copy). */
  readonly attributes: MetricAttributes;
  /** A copy of the measurement's own attributes and their count, for the fast path in `gauge`. */
  readonly own: MetricAttributes;
  readonly ownCount: number;
}

/** Gauge state: the last value per attribute set, by canonical key and by attributes object. */
interface GaugePoints {
  readonly byKey: Map<string, GaugePoint>;
  /**
   * Hosts pass the same attributes object again and again (`{ node }`): finding its point by
   * identity skips building the key. Checked against the point's copy, so an object changed
   * after use still lands in the right series.
   */
  readonly byObject: WeakMap<object, GaugePoint>;
}

type Instrument =
  | { readonly kind: 'counter'; readonly counter: Counter }
  | { readonly kind: 'histogram'; readonly histogram: Histogram }
  | { readonly kind: 'gauge'; readonly gauge: ObservableGauge; readonly points: GaugePoints };

/**
 * A {@link MetricSink} built on `@opentelemetry/api`: one instrument per metric of the
 * catalogue (`RAFT_METRICS`, `docs/metrics.md`), with its name, unit and description —
 * counters as `Counter`, histograms as `Histogram` with explicit bucket boundaries (advice),
 * gauges as `ObservableGauge` that report, at each collection, the last value the node pushed
 * for each attribute set.
 *
 * The user's SDK does the exporting; without one registered (and no `meter`/`meterProvider`
 * given) every call is a cheap no-op. The sink never throws: failures are counted in
 * `failures` and passed to `onError`.
 *
 * @throws ConfigurationError for bucket boundaries of an unknown histogram or not strictly
 *   increasing finite numbers, or attributes that are not strings, numbers or booleans.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] });
 * const metricSink = otelMetricSink({ meterProvider, attributes: { node: 'n1' } });
 * metricSink.increment('raft.leader.changes');
 * ```
 */
export function otelMetricSink(options: OtelMetricSinkOptions = {}): OtelMetricSink {
  return new OtelMetricSinkImpl(options);
}

class OtelMetricSinkImpl implements OtelMetricSink {
  readonly #failures: FailureCounter;
  readonly #instruments = new Map<string, Instrument>();
  readonly #constant: MetricAttributes;
  readonly #constantEmpty: boolean;

  constructor(options: OtelMetricSinkOptions) {
    validate(options);
    this.#failures = new FailureCounter(options.onError);
    this.#constant = Object.freeze({ ...(options.attributes ?? {}) });
    this.#constantEmpty = isEmpty(this.#constant);
    let meter: Meter;
    try {
      meter = options.meter ?? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
    } catch (error) {
      // No meter: every measurement is dropped (and counted) instead of failing the node.
      this.#failures.fail(error);
      return;
    }
    for (const name of Object.keys(RAFT_METRICS) as MetricName[]) {
      try {
        this.#instruments.set(name, this.#create(meter, name, options.bucketBoundaries?.[name]));
      } catch (error) {
        this.#failures.fail(error);
      }
    }
  }

  get failures(): number {
    return this.#failures.count;
  }

  increment(name: MetricName, value = 1, attributes?: MetricAttributes): void {
    try {
      const instrument = this.#instrument(name, 'counter', value);
      if (instrument?.kind !== 'counter') return;
      if (value < 0) throw new RangeError(`counter "${name}" incremented by a negative value ${value}`);
      instrument.counter.add(value, this.#merge(attributes));
    } catch (error) {
      this.#failures.fail(error);
    }
  }

  gauge(name: MetricName, value: number, attributes?: MetricAttributes): void {
    try {
      const instrument = this.#instrument(name, 'gauge', value);
      if (instrument?.kind !== 'gauge') return;
      const points = instrument.points;
      if (attributes !== undefined) {
        const known = points.byObject.get(attributes);
        if (known !== undefined && sameAttributes(known, attributes)) {
          known.value = value;
          return;
        }
      }
      const own = attributes ?? EMPTY;
      const key = attributeKey(own);
      let point = points.byKey.get(key);
      if (point !== undefined) {
        point.value = value;
      } else {
        // Copies: the caller may reuse (and change) its attributes object after this call.
        const copy = Object.freeze({ ...own });
        point = { value, attributes: Object.freeze({ ...this.#constant, ...own }), own: copy, ownCount: Object.keys(copy).length };
        points.byKey.set(key, point);
      }
      if (attributes !== undefined) points.byObject.set(attributes, point);
    } catch (error) {
      this.#failures.fail(error);
    }
  }

  record(name: MetricName, value: number, attributes?: MetricAttributes): void {
    try {
      const instrument = this.#instrument(name, 'histogram', value);
      if (instrument?.kind !== 'histogram') return;
      instrument.histogram.record(value, this.#merge(attributes));
    } catch (error) {
      this.#failures.fail(error);
    }
  }

  /** The instrument for `name` if the measurement is valid for it; otherwise counts the failure. */
  #instrument(name: MetricName, kind: MetricKind, value: number): Instrument | undefined {
    const instrument = this.#instruments.get(name);
    if (instrument === undefined) {
      // Either not a catalogue name, or its instrument could not be created (already counted once).
      this.#failures.fail(new RangeError(`no instrument for metric "${String(name)}"`));
      return undefined;
    }
    if (instrument.kind !== kind) {
      this.#failures.fail(new TypeError(`"${name}" is a ${instrument.kind}, measured as a ${kind}`));
      return undefined;
    }
    if (!Number.isFinite(value)) {
      this.#failures.fail(new RangeError(`"${name}" got a non-finite value ${String(value)}`));
      return undefined;
    }
    return instrument;
  }

  #merge(attributes: MetricAttributes | undefined): MetricAttributes {
    if (attributes === undefined || isEmpty(attributes)) return this.#constant;
    if (this.#constantEmpty) return attributes;
    return { ...this.#constant, ...attributes };
  }

  #create(meter: Meter, name: MetricName, boundaries: readonly number[] | undefined): Instrument {
    const { kind, unit, description } = RAFT_METRICS[name];
    switch (kind) {
      case 'counter':
        return { kind, counter: meter.createCounter(name, { unit, description }) };
      case 'histogram': {
        const explicitBucketBoundaries = [...(boundaries ?? defaultBucketBoundaries(name) ?? [])];
        return { kind, histogram: meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries } }) };
      }
      case 'gauge': {
        const points: GaugePoints = { byKey: new Map(), byObject: new WeakMap() };
        const gauge = meter.createObservableGauge(name, { unit, description });
        gauge.addCallback((result) => this.#observe(points, result));
        return { kind, gauge, points };
      }
    }
  }

  /**
   * Collection callback: reports the last value of each attribute set. A value stays until the
   * node pushes a new one (the SDK keeps cumulative series anyway, so forgetting here would not
   * remove them).
   */
  #observe(points: GaugePoints, result: ObservableResult): void {
    try {
      for (const point of points.byKey.values()) result.observe(point.value, point.attributes);
    } catch (error) {
      this.#failures.fail(error);
    }
  }
}

function validate(options: OtelMetricSinkOptions): void {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
  for (const [name, boundaries] of Object.entries(options.bucketBoundaries ?? {})) {
    const option = `bucketBoundaries.${name}`;
    if (!Object.hasOwn(RAFT_METRICS, name) || RAFT_METRICS[name as MetricName].kind !== 'histogram') {
      throw new ConfigurationError(option, 'is not a histogram of the metric catalogue (see docs/metrics.md)');
    }
    const list: unknown = boundaries;
    if (!Array.isArray(list) || !list.every((b, k) => typeof b === 'number' && Number.isFinite(b) && (k === 0 || b > list[k - 1]))) {
      throw new ConfigurationError(option, 'must be an array of strictly increasing finite numbers');
    }
  }
  for (const [key, value] of Object.entries(options.attributes ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new ConfigurationError(`attributes.${key}`, `must be a string, number or boolean, got ${typeof value}`);
    }
  }
}

const EMPTY: MetricAttributes = Object.freeze({});

/** Whether `attributes` holds exactly the point's own attributes. */
function sameAttributes(point: GaugePoint, attributes: MetricAttributes): boolean {
  let count = 0;
  for (const key in attributes) {
    if (point.own[key] !== attributes[key]) return false;
    count++;
  }
  return count === point.ownCount;
}

function isEmpty(attributes: MetricAttributes): boolean {
  for (const _ in attributes) return false;
  return true;
}

/** A string that is equal for equal attribute sets, whatever the key order. */
function attributeKey(attributes: MetricAttributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const k of keys) {
    const v = attributes[k];
    key += `${k}\u0000${typeof v}\u0000${String(v)}\u0001`;
  }
  return key;
}
