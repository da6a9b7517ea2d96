/**
 * `@raft/core`: the Raft protocol as a pure, deterministic state machine.
 * `RaftNodeState.process(input)` returns the effects the host must carry out, in order,
 * and the events that happened; no I/O, no clock, no randomness of its own.
 *
 * Election with pre-vote and check-quorum, pipelined replication with flow control and
 * fast log backtracking, commit by quorum (joint-aware), read index, leadership transfer, and
 * a durability barrier that holds back every message promising state not yet durable.
 *
 * @example
 * ```ts
 * import { RaftNodeState } from '@raft/core';
 * import { NodeId } from '@raft/abstractions';
 *
 * const ids = [NodeId('n1'), NodeId('n2'), NodeId('n3')];
 * const node = new RaftNodeState({ id: ids[0]!, seed: 1 }, { configuration: { voters: ids, learners: [] } });
 * for (let i = 0; i < 20; i++) {
 *   const { effects } = node.process({ type: 'tick' });
 *   for (const effect of effects) {
 *     // persistMeta → write, then process({ type: 'metaPersisted', meta })
 *     // send        → deliver effect.message to its recipient's process({ type: 'message', … })
 *   }
 * }
 * ```
 *
 * @packageDocumentation
 */

export { RaftNodeState } from './raft-node-state.js';
export type { RaftBootState, BootSnapshot } from './boot-state.js';
export { DEFAULT_RAFT_OPTIONS, resolveRaftOptions } from './options.js';
export type { RaftNodeOptions, ResolvedRaftOptions } from './options.js';
export { majorityValue, majorityVoteResult } from './quorum/majority.js';
export type { VoteResult } from './quorum/majority.js';
export { quorumValue, quorumVoteResult, quorumActive } from './quorum/joint.js';
