/**
 * `@raft/harness/compliance`: one vitest suite per storage contract of `@raft/abstractions`, and
 * one for the `Transport` contract.
 * Every implementation in this repository runs them from its `test/compliance.test.ts`; a store
 * you write yourself should too.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts
 * import { describeLogStoreCompliance } from '@raft/harness/compliance';
 * import { myStorage } from '../src/index.js';
 *
 * const open = new WeakMap();
 * describeLogStoreCompliance('my-storage', {
 *   create: async () => { const s = await myStorage({ dir: await tempDir() }).open(); open.set(s.log, s); return s.log; },
 *   reopen: async (log) => { ... open the same directory again and return its log ... },
 * });
 * ```
 *
 * @packageDocumentation
 */

// Suites
export { describeLogStoreCompliance } from './log-store.js';
export { describeMetaStoreCompliance } from './meta-store.js';
export { describeSnapshotStoreCompliance } from './snapshot-store.js';
export { describeTransportCompliance } from './transport.js';

// What the suites take
export type { ComplianceSubject } from './subject.js';
export type { TransportComplianceSubject } from './transport.js';

// Building blocks for an implementation's own tests
export { LogModel } from './log-model.js';
export { sampleEntries, sampleEntry } from './entries.js';
export { seededRandom } from './subject.js';
