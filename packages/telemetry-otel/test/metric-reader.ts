import type { Attributes } from '@opentelemetry/api';
import { type DataPoint, type Histogram, type MetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader that collects on demand (what a pull exporter such as Prometheus does). */
export class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  /** Collects now and returns every metric by name. */
  async metrics(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collection failed');
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    }
    return byName;
  }
}

/** A MeterProvider with an on-demand reader. */
export function meteredProvider(): { meterProvider: MeterProvider; reader: OnDemandReader } {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { meterProvider, reader };
}

/** The data points of a metric as `{ attributes, value }`, sorted by attributes. */
export function points<T>(metric: MetricData | undefined): { attributes: Attributes; value: T }[] {
  if (metric === undefined) return [];
  const all = (metric.dataPoints as DataPoint<T>[]).map((p) => ({ attributes: p.attributes, value: p.value }));
  return all.sort((a, b) => canonical(a.attributes).localeCompare(canonical(b.attributes)));
}

/** JSON of the attributes with sorted keys: equal for equal sets, whatever the key order. */
export function canonical(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));
}

/** The single histogram point of a metric with the given attributes. */
export function histogramPoint(metric: MetricData | undefined, attributes: Attributes): Histogram | undefined {
  return points<Histogram>(metric).find((p) => canonical(p.attributes) === canonical(attributes))?.value;
}
