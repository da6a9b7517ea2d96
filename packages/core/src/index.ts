/**
 * `@raft/core`: The pure, deterministic Raft state machine: RaftNodeState.process(input) -> { effects, events }.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
