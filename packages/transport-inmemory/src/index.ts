/**
 * `@raft/transport-inmemory`: In-process transport with fault injection, for tests and demos.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
