/**
 * Quorum math (etcd `quorum/`): pure functions checked against a naive oracle with
 * fast-check, including joint configurations (dissertation §4.3).
 */
import { type ClusterConfiguration, NodeId } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majorityValue, majorityVoteResult, quorumActive, quorumValue, quorumVoteResult } from '../src/index.js';

const pool = Array.from({ length: 9 }, (_, i) => NodeId(`n${i + 1}`));
const voterSet = fc.subarray(pool, { minLength: 0, maxLength: 9 });

/** Naive oracle: the largest v such that more than half of the voters have value >= v. */
function naiveValue(voters: readonly NodeId[], values: Map<NodeId, number>): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const candidates = voters.map((id) => values.get(id) ?? 0);
  return Math.max(...candidates.filter((v) => voters.filter((id) => (values.get(id) ?? 0) >= v).length * 2 > voters.length));
}

describe('quorum', () => {
  it('majorityValue equals the naive oracle', () => {
    fc.assert(
      fc.property(voterSet, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 9, maxLength: 9 }), (voters, raw) => {
        const values = new Map(pool.map((id, i) => [id, raw[i] as number]));
        expect(majorityValue(voters, (id) => values.get(id) ?? 0)).toBe(naiveValue(voters, values));
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it('a joint configuration needs a majority of both halves (dissertation §4.3)', () => {
    fc.assert(
      fc.property(voterSet, voterSet, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 9, maxLength: 9 }), (incoming, outgoing, raw) => {
        const values = new Map(pool.map((id, i) => [id, raw[i] as number]));
        const joint: ClusterConfiguration = { voters: incoming, oldVoters: outgoing, learners: [] };
        expect(quorumValue(joint, (id) => values.get(id) ?? 0)).toBe(Math.min(naiveValue(incoming, values), naiveValue(outgoing, values)));
      }),
      { numRuns: 500, seed: 2 },
    );
  });

  it('vote results: won with a majority, lost once a majority is impossible, else pending', () => {
    fc.assert(
      fc.property(voterSet, fc.array(fc.constantFrom(true, false, undefined), { minLength: 9, maxLength: 9 }), (voters, raw) => {
        const votes = new Map<NodeId, boolean>();
        pool.forEach((id, i) => {
          const v = raw[i];
          if (v !== undefined) votes.set(id, v);
        });
        const granted = voters.filter((id) => votes.get(id) === true).length;
        const open = voters.filter((id) => !votes.has(id)).length;
        const need = Math.floor(voters.length / 2) + 1;
        const expected = voters.length === 0 || granted >= need ? 'won' : granted + open < need ? 'lost' : 'pending';
        expect(majorityVoteResult(voters, votes)).toBe(expected);
        expect(quorumVoteResult({ voters, learners: [] }, votes)).toBe(expected);
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('joint vote results combine both halves', () => {
    const [a, b, c, d] = pool as [NodeId, NodeId, NodeId, NodeId];
    const joint: ClusterConfiguration = { voters: [a, b, c], oldVoters: [c, d], learners: [] };
    expect(quorumVoteResult(joint, new Map([[a, true], [b, true]]))).toBe('pending');
    // C_new is won, but C_old = {c, d} needs both of its two voters.
    expect(quorumVoteResult(joint, new Map([[a, true], [b, true], [c, true]]))).toBe('pending');
    expect(quorumVoteResult(joint, new Map([[a, true], [b, true], [c, true], [d, true]]))).toBe('won');
    expect(quorumVoteResult(joint, new Map([[a, true], [b, true], [d, false]]))).toBe('lost');
    expect(quorumActive(joint, (id) => id === a || id === b || id === c)).toBe(false);
    expect(quorumActive(joint, (id) => id !== b)).toBe(true);
  });
});
