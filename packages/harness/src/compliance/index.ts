/**
 * `@raft/harness/compliance`: one compliance suite per storage contract, run by every
 * implementation (including ones users write). Not yet implemented.
 *
 * @packageDocumentation
 */
export {};
