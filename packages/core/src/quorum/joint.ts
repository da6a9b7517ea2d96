import type { ClusterConfiguration, NodeId } from '@raft/abstractions';
import { type VoteResult, majorityValue, majorityVoteResult } from './majority.js';

/**
 * Quorum decisions over a configuration that may be joint (dissertation §4.3): while C_old,new
 * is in force every decision needs a majority of C_old **and** a majority of C_new. This is the
 * one place the core asks "is this a quorum?".
 */
export function quorumValue(configuration: ClusterConfiguration, valueFor: (id: NodeId) => number): number {
  const incoming = majorityValue(configuration.voters, valueFor);
  if (configuration.oldVoters === undefined) return incoming;
  return Math.min(incoming, majorityValue(configuration.oldVoters, valueFor));
}

/** Vote result over a possibly joint configuration: won only if both halves are won. */
export function quorumVoteResult(configuration: ClusterConfiguration, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const incoming = majorityVoteResult(configuration.voters, votes);
  if (configuration.oldVoters === undefined) return incoming;
  const outgoing = majorityVoteResult(configuration.oldVoters, votes);
  if (incoming === 'won' && outgoing === 'won') return 'won';
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  return 'pending';
}

/** `true` when the nodes for which `active` holds form a quorum (check-quorum, §6.2). */
export function quorumActive(configuration: ClusterConfiguration, active: (id: NodeId) => boolean): boolean {
  return quorumValue(configuration, (id) => (active(id) ? 1 : 0)) >= 1;
}
