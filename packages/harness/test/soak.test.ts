import { describe, expect, it } from 'vitest';
import { runSoak } from '../src/index.js';

describe('runSoak (the engine of `pnpm sim`)', () => {
  it('runs randomized faults with every input checked and reports what it did', () => {
    const report = runSoak({ nodes: 5, seed: 3, steps: 30_000, healEveryRounds: 10 });
    expect(report.steps).toBeGreaterThanOrEqual(30_000);
    expect(report.invariantChecks).toBe(report.steps);
    expect(report.faultsTotal).toBeGreaterThan(10);
    expect(report.livenessChecks).toBeGreaterThan(1);
    expect(report.acknowledged).toBeGreaterThan(10);
    expect(report.elections).toBeGreaterThan(1);
  });

  it('is deterministic for a seed', () => {
    const a = runSoak({ nodes: 3, seed: 11, steps: 10_000 });
    const b = runSoak({ nodes: 3, seed: 11, steps: 10_000 });
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.steps).toBe(b.steps);
  });

  it('runs with snapshotting on: saves, transfers and installs under the same faults', () => {
    // Chunks of 1 KiB: see property-snapshots.test.ts for the core issue with many-chunk transfers under duplication.
    const report = runSoak({ nodes: 5, seed: 3, steps: 30_000, healEveryRounds: 10, snapshot: { everyEntries: 10, chunkBytes: 1024 } });
    expect(report.invariantChecks).toBe(report.steps);
    expect(report.snapshotsSaved).toBeGreaterThan(5);
    expect(report.snapshotsInstalled).toBeGreaterThan(0);
    expect(report.livenessChecks).toBeGreaterThan(1);
  });

  it('rejects a bad step count', () => {
    expect(() => runSoak({ steps: 0 })).toThrow(/steps/);
  });
});
