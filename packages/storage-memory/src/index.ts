/**
 * `@raft/storage-memory`: Volatile log, meta and snapshot stores for tests and simulation.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
