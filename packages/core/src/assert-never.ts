import { IllegalStateError } from '@raft/abstractions';

/** Exhaustiveness check at the end of every switch over a discriminated union. */
export function assertNever(value: never, what: string): never {
  throw new IllegalStateError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
