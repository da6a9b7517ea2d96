/**
 * `@raft/harness`: Deterministic simulation of Raft clusters with fault injection, invariants, shrinking, and interface compliance suites.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
