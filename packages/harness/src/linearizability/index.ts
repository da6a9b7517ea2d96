/**
 * Linearizability checker (INV-9): WGL search with memoization over a client-visible
 * history, per key, with explicit indeterminate outcomes.
 *
 * @example
 * ```ts
 * import { checkLinearizability, registerModel } from '@raft/harness';
 *
 * const result = checkLinearizability(registerModel(0), [
 *   { id: 1, client: 0, input: { kind: 'write', value: 1 }, call: 0, ret: 10, status: 'ok' },
 *   { id: 2, client: 1, input: { kind: 'read' }, output: { value: 0 }, call: 20, ret: 30, status: 'ok' },
 * ]);
 * // result.ok === false: a stale read after a completed write
 * ```
 *
 * @packageDocumentation
 */
export { normalizeHistory } from './history.js';
export type { Time, OperationStatus, Operation, NormalizationStats, NormalizedHistory } from './history.js';
export { registerModel, kvModel, fnv1a32 } from './models.js';
export type { Model, RegisterInput, RegisterOutput, KvInput, KvOutput } from './models.js';
export { checkLinearizability, minimizeHistory } from './check.js';
export type { CheckOptions, CheckResult, Witness, Candidate } from './check.js';
