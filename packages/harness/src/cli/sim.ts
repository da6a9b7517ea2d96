/**
 * `pnpm sim --nodes 5 --seed 7 --steps 1000000`: a long randomized soak of a simulated
 * cluster (see `runSoak`). A step is one input delivered to a core. Prints elections,
 * commits, faults injected, invariants checked and simulated ticks per second; exits with 1
 * and the replay details (seed, trace) on the first invariant violation. `--snapshot-every N`
 * turns snapshotting on (`--snapshot-chunk` sets the InstallSnapshot chunk size in bytes).
 */
import { parseArgs } from 'node:util';
import { InvariantViolationError } from '../errors.js';
import { runSoak } from '../soak.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '100000' },
    'heal-every': { type: 'string', default: '25' },
    'snapshot-every': { type: 'string', default: '0' },
    'snapshot-chunk': { type: 'string', default: '64' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: pnpm sim [--nodes 5] [--seed 1] [--steps 100000] [--heal-every 25] [--snapshot-every 0] [--snapshot-chunk 64]');
  process.exit(0);
}

const nodes = Number(values.nodes);
const seed = Number(values.seed);
const steps = Number(values.steps);
let lastPrint = 0;
try {
  const report = runSoak({
    nodes,
    seed,
    steps,
    healEveryRounds: Number(values['heal-every']),
    ...(Number(values['snapshot-every']) > 0
      ? { snapshot: { everyEntries: Number(values['snapshot-every']), chunkBytes: Number(values['snapshot-chunk']) } }
      : {}),
    onRound: (cluster) => {
      const done = cluster.stats().inputsDelivered;
      if (done - lastPrint >= 200_000) {
        lastPrint = done;
        process.stderr.write(`  ${done.toLocaleString('en-US')} steps, tick ${cluster.now.toLocaleString('en-US')}\n`);
      }
    },
  });
  const faults = Object.entries(report.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind}=${n}`)
    .join(' ');
  console.log(`soak: ${report.nodes} nodes, seed ${report.seed}`);
  console.log(`  steps (inputs delivered)  ${report.steps.toLocaleString('en-US')}`);
  console.log(`  simulated ticks           ${report.ticks.toLocaleString('en-US')} (${report.rounds} rounds)`);
  console.log(`  elections (terms led)     ${report.elections}`);
  console.log(`  commits (highest index)   ${report.highestCommitted}, acknowledged proposals ${report.acknowledged}`);
  console.log(`  faults injected           ${report.faultsTotal} (${faults})`);
  console.log(`  invariants checked        after ${report.invariantChecks.toLocaleString('en-US')} inputs, ${report.fullChecks} full checks, ${report.livenessChecks} liveness checks`);
  console.log(`  messages sent             ${report.messagesSent.toLocaleString('en-US')}`);
  console.log(`  snapshots                 ${report.snapshotsSaved} saved, ${report.snapshotsInstalled} installed`);
  console.log(`  wall time                 ${report.wallSeconds.toFixed(2)} s`);
  console.log(`  simulated ticks/s         ${Math.round(report.ticksPerSecond).toLocaleString('en-US')}`);
  console.log(`  inputs/s                  ${Math.round(report.inputsPerSecond).toLocaleString('en-US')}`);
  console.log(`  trace hash                ${report.traceHash}`);
} catch (error) {
  if (error instanceof InvariantViolationError) {
    console.error(error.message);
    console.error(`replay: pnpm sim --nodes ${nodes} --seed ${seed} --steps ${steps}`);
    process.exit(1);
  }
  throw error;
}
