import type { ClusterConfiguration, ConfigurationChange, NodeId } from '@raft/abstractions';

/** The configuration a change leads to, and whether it must pass through joint consensus. */
export type ChangePlan =
  | {
      readonly ok: true;
      /** The configuration to append now (C_old,new when `joint`, else C_new). */
      readonly next: ClusterConfiguration;
      readonly joint: boolean;
    }
  | { readonly ok: false; readonly reason: string };

const sorted = (ids: Iterable<NodeId>): NodeId[] => [...new Set(ids)].sort();

function differByAtMostOne(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  const inA = new Set(a);
  const inB = new Set(b);
  const added = b.filter((id) => !inA.has(id)).length;
  const removed = a.filter((id) => !inB.has(id)).length;
  return added + removed <= 1;
}

/**
 * Plans a membership change from the (non-joint) configuration in force (dissertation ch. 4).
 * Single-server changes (`addVoter`, `promoteLearner`, `removeNode` of a voter) and any
 * change whose voter sets differ by at most one server go directly to C_new, which is safe
 * because any two majorities of configurations that differ by one server overlap (§4.1);
 * anything else goes through the joint configuration C_old,new (§4.3). Learner-only changes
 * never affect a quorum.
 */
export function planChange(current: ClusterConfiguration, change: ConfigurationChange): ChangePlan {
  const voters = new Set(current.voters);
  const learners = new Set(current.learners);
  const isMember = (id: NodeId): boolean => voters.has(id) || learners.has(id);
  const fail = (reason: string): ChangePlan => ({ ok: false, reason });
  let nextVoters: NodeId[];
  let nextLearners: NodeId[];
  switch (change.type) {
    case 'addLearner':
      if (isMember(change.nodeId)) return fail(`${change.nodeId} is already a member`);
      nextVoters = sorted(voters);
      nextLearners = sorted([...learners, change.nodeId]);
      break;
    case 'addVoter':
      if (voters.has(change.nodeId)) return fail(`${change.nodeId} is already a voter`);
      nextVoters = sorted([...voters, change.nodeId]);
      nextLearners = sorted([...learners].filter((id) => id !== change.nodeId));
      break;
    case 'promoteLearner':
      if (!learners.has(change.nodeId)) return fail(`${change.nodeId} is not a learner`);
      nextVoters = sorted([...voters, change.nodeId]);
      nextLearners = sorted([...learners].filter((id) => id !== change.nodeId));
      break;
    case 'removeNode':
      if (!isMember(change.nodeId)) return fail(`${change.nodeId} is not a member`);
      nextVoters = sorted([...voters].filter((id) => id !== change.nodeId));
      nextLearners = sorted([...learners].filter((id) => id !== change.nodeId));
      break;
    case 'setMembers': {
      const all = [...change.voters, ...change.learners];
      if (all.some((id) => typeof id !== 'string' || id.length === 0)) return fail('node ids must be non-empty strings');
      if (new Set(all).size !== all.length) return fail('a node may appear only once across voters and learners');
      nextVoters = sorted(change.voters);
      nextLearners = sorted(change.learners);
      break;
    }
  }
  if (nextVoters.length === 0) return fail('a configuration needs at least one voter');
  const same =
    nextVoters.join() === sorted(current.voters).join() && nextLearners.join() === sorted(current.learners).join();
  if (same) return fail('the change leaves the configuration as it is');
  if (differByAtMostOne(current.voters, nextVoters)) {
    return { ok: true, joint: false, next: { voters: nextVoters, learners: nextLearners } };
  }
  // C_old,new: C_new's voters and learners, with C_old's voters kept as oldVoters.
  return { ok: true, joint: true, next: { voters: nextVoters, oldVoters: sorted(current.voters), learners: nextLearners } };
}

/** The configuration that leaves the joint configuration C_old,new: C_new alone (§4.3). */
export function leaveJoint(joint: ClusterConfiguration): ClusterConfiguration {
  return { voters: [...joint.voters], learners: [...joint.learners] };
}
