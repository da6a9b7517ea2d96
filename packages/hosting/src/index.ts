/**
 * `@raft/hosting`: The replica runtime: RaftNode event loop, effect executor, builder and client API.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
