/**
 * Property tests (issue 3; reliability notes N1): random schedules of partitions, crashes,
 * restarts, drops, delays and duplication interleaved with proposals, for 3, 5 and 7 nodes.
 * Every delivered input runs the invariant checker; after the schedule, every fault is healed
 * and `checkLiveness` requires a leader within 10·ET_max and every acknowledged proposal
 * applied on every node. A failure shrinks to a minimal schedule; fast-check prints the
 * counterexample (seed and schedule) and its own seed and path to replay it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { SimulationCluster, describeSchedule, faultScheduleArbitrary, runSchedule } from '../src/index.js';

/**
 * Fixed seed, so the normal test command is deterministic (a failure replays exactly);
 * explore other schedules with `FC_SEED=<n> pnpm test`.
 */
const PROPERTY_SEED = Number(process.env.FC_SEED ?? 20261201);

const RUNS = 300;

describe.each([3, 5, 7])('random fault schedules, %i nodes', (n) => {
  it(`all invariants hold and the cluster recovers after heal (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), faultScheduleArbitrary(n, { maxSteps: 60, maxTicksPerStep: 50 }), (seed, steps) => {
        const cluster = SimulationCluster.create({ nodeCount: n, seed, storage: { minDelay: 0, maxDelay: 3 } });
        try {
          runSchedule(cluster, steps);
          cluster.checkLiveness({ maxTicks: 600 });
          cluster.invariants.checkAll();
        } catch (error) {
          throw new Error(`replay: SimulationCluster.create({ nodeCount: ${n}, seed: ${seed} }) with schedule [${describeSchedule(steps)}]\n${(error as Error).message}`, {
            cause: error,
          });
        }
      }),
      { numRuns: RUNS, seed: PROPERTY_SEED },
    );
  });
});
