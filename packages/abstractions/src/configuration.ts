import type { NodeId } from './ids.js';

/**
 * The membership of the cluster (dissertation ch. 4).
 *
 * A simple configuration has only {@link ClusterConfiguration.voters}. During a joint
 * change C_old,new (§4.3) {@link ClusterConfiguration.oldVoters} holds C_old and `voters`
 * holds C_new; every decision (commit, election) then needs a majority of **both**.
 * Learners receive the log but never vote and never count toward a quorum.
 *
 * Invariant: a node id appears at most once across `voters` and `learners`; `oldVoters` may
 * overlap `voters` (servers in both C_old and C_new) and may hold a learner being demoted.
 */
export interface ClusterConfiguration {
  /** Voters of the (incoming) configuration C_new; the only voters when not joint. */
  readonly voters: readonly NodeId[];
  /** Voters of the outgoing configuration C_old while joint; absent otherwise. */
  readonly oldVoters?: readonly NodeId[];
  /** Non-voting members that replicate the log. */
  readonly learners: readonly NodeId[];
}

/**
 * A membership change requested of the leader (dissertation ch. 4). Single-server helpers
 * and an arbitrary change ({@link SetMembersChange}) that goes through joint consensus.
 */
export type ConfigurationChange =
  | { readonly type: 'addLearner'; readonly nodeId: NodeId }
  | { readonly type: 'addVoter'; readonly nodeId: NodeId }
  | { readonly type: 'promoteLearner'; readonly nodeId: NodeId }
  | { readonly type: 'removeNode'; readonly nodeId: NodeId }
  | SetMembersChange;

/** Replace the whole membership with the given voters and learners (joint consensus). */
export interface SetMembersChange {
  readonly type: 'setMembers';
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** `true` when the configuration is the joint form C_old,new. */
export function isJointConfiguration(configuration: ClusterConfiguration): boolean {
  return configuration.oldVoters !== undefined;
}

/** Every node id that is a voter in either half of the configuration, sorted, without duplicates. */
export function allVoters(configuration: ClusterConfiguration): NodeId[] {
  const ids = new Set<NodeId>(configuration.voters);
  for (const id of configuration.oldVoters ?? []) ids.add(id);
  return [...ids].sort();
}

/** Every member (voters of both halves and learners), sorted, without duplicates. */
export function allMembers(configuration: ClusterConfiguration): NodeId[] {
  const ids = new Set<NodeId>(allVoters(configuration));
  for (const id of configuration.learners) ids.add(id);
  return [...ids].sort();
}
