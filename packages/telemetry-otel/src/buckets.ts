import { type MetricName, RAFT_METRICS } from '@raft/abstractions';

/**
 * Histogram bucket boundaries for durations in milliseconds: 50 µs to 10 s in 1-2.5-5 steps,
 * wide enough for an in-memory commit (tens of µs) and a slow fsync or snapshot (seconds).
 */
export const DURATION_BUCKETS_MS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
]);

/** Histogram bucket boundaries for counts (entries per write): powers of two from 1 to 4096. */
export const COUNT_BUCKETS: readonly number[] = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);

/** Histogram bucket boundaries for sizes in bytes: powers of four from 1 KiB to 4 GiB. */
export const SIZE_BUCKETS_BYTES: readonly number[] = Object.freeze([
  1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296,
]);

/**
 * The default bucket boundaries of histogram `name`, chosen by its unit: `ms` →
 * {@link DURATION_BUCKETS_MS}, `By` → {@link SIZE_BUCKETS_BYTES}, anything else →
 * {@link COUNT_BUCKETS}. `undefined` for a name that is not a histogram of the catalogue.
 */
export function defaultBucketBoundaries(name: MetricName): readonly number[] | undefined {
  const definition = Object.hasOwn(RAFT_METRICS, name) ? RAFT_METRICS[name] : undefined;
  if (definition?.kind !== 'histogram') return undefined;
  if (definition.unit === 'ms') return DURATION_BUCKETS_MS;
  if (definition.unit === 'By') return SIZE_BUCKETS_BYTES;
  return COUNT_BUCKETS;
}
