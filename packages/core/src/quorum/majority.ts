import type { NodeId } from '@raft/abstractions';

/** Outcome of counting votes (etcd `quorum.VoteResult`). */
export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The largest value `v` such that a majority of `voters` report at least `v` (etcd
 * `MajorityConfig.CommittedIndex`). Used for the commit index (values are match indices,
 * §5.3) and for read-index confirmation (values are acknowledged heartbeat sequence numbers).
 * An empty voter set has no constraint: `+Infinity`, so a joint quorum degrades to its
 * other half.
 */
export function majorityValue(voters: readonly NodeId[], valueFor: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = valueFor(voters[i] as NodeId);
  values.sort((a, b) => b - a);
  // Invariant: values[q - 1] is held by at least q = ⌊n/2⌋ + 1 voters (a majority).
  return values[(n >> 1) as number] as number;
}

/** Vote result of a majority configuration (§5.2): won with a majority of grants. */
export function majorityVoteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const n = voters.length;
  if (n === 0) return 'won';
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = (n >> 1) + 1;
  if (granted >= quorum) return 'won';
  if (n - rejected < quorum) return 'lost';
  return 'pending';
}
