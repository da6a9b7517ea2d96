/**
 * @raft/harness throughput: inputs delivered per second by a simulated 5-node cluster under
 * faults (crashes, restarts, partitions, one-way links, loss, duplication, reordering, delay,
 * client load, periodic heal + liveness checks), with the global invariant checker running
 * after every input. Reference in the same run: the same simulation with the checker off
 * (the simulator's own cost) — the difference is what the invariants cost.
 * Target (issue 3): >= 200,000 delivered inputs per second on one core.
 */
import { runSoak } from '@raft/harness';
import { type Row, writeReport } from './report.js';

const STEPS = 1_000_000;
const SEEDS = [7, 8, 9];

function measure(checkInvariants: boolean): { rate: number; ticksPerSecond: number; faults: number; rows: Row[] } {
  const rows: Row[] = [];
  let inputs = 0;
  let seconds = 0;
  let ticks = 0;
  let faults = 0;
  // Warm-up run so the JIT has compiled the hot paths before timing.
  runSoak({ nodes: 5, seed: 1, steps: 100_000, checkInvariants });
  for (const seed of SEEDS) {
    const r = runSoak({ nodes: 5, seed, steps: STEPS, checkInvariants, checkAllEveryTicks: 5_000 });
    inputs += r.steps;
    seconds += r.wallSeconds;
    ticks += r.ticks;
    faults += r.faultsTotal;
    rows.push({
      checker: checkInvariants ? 'on (every input)' : 'off',
      seed,
      inputs: r.steps,
      ticks: r.ticks,
      faults: r.faultsTotal,
      elections: checkInvariants ? r.elections : 'n/a (checker off)',
      acknowledged: r.acknowledged,
      'wall s': r.wallSeconds,
      'inputs/s': Math.round(r.inputsPerSecond),
      'ticks/s': Math.round(r.ticksPerSecond),
    });
  }
  return { rate: inputs / seconds, ticksPerSecond: ticks / seconds, faults, rows };
}

const checked = measure(true);
const unchecked = measure(false);
writeReport({
  name: 'harness-throughput',
  description: `Delivered inputs per second of a 5-node @raft/harness simulation with faults (runSoak, ${STEPS.toLocaleString('en-US')} inputs per seed, seeds ${SEEDS.join(', ')}), one thread.`,
  rows: [...checked.rows, ...unchecked.rows],
  reference: {
    'inputs/s, checker off (same run)': Math.round(unchecked.rate),
    'checker overhead': `${((unchecked.rate / checked.rate - 1) * 100).toFixed(0)}%`,
  },
  targets: [
    {
      what: 'delivered inputs/s, 5 nodes with faults, invariants checked after every input',
      target: '>= 200,000',
      actual: Math.round(checked.rate).toLocaleString('en-US'),
      met: checked.rate >= 200_000,
    },
  ],
});
