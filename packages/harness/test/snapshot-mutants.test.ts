/**
 * The snapshot checks catch broken snapshot handling (reliability notes N3, "Brown M&Ms"): a
 * core wrapped so that it breaks one rule of the §7 contract must make a snapshot scenario
 * fail with the right invariant, while the unbroken core passes the same scenario.
 */
import type { NodeId, RaftInput, RaftMessage, RaftOutput } from '@raft/abstractions';
import { RaftNodeState } from '@raft/core';
import { describe, expect, it } from 'vitest';
import { type CoreFactory, type InvariantId, InvariantViolationError, SimulationCluster } from '../src/index.js';

/** A follower is down while the others compact, then rejoins through a snapshot. */
function rejoinThroughSnapshot(createCore?: CoreFactory): InvariantId | undefined {
  const cluster = SimulationCluster.create({
    nodeCount: 3,
    seed: 91,
    snapshot: { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 32, installLatency: { minDelay: 2, maxDelay: 2 } },
    ...(createCore === undefined ? {} : { createCore }),
  });
  try {
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 200 });
    const victim = cluster.nodeIds.find((id) => id !== leader) as NodeId;
    cluster.crash(victim);
    for (let i = 0; i < 20; i++) cluster.client.submit();
    cluster.tick(60);
    cluster.restart(victim);
    cluster.checkLiveness({ maxTicks: 600 });
    expect(cluster.node(victim).snapshotCounters().installsCompleted).toBeGreaterThan(0);
    return undefined;
  } catch (error) {
    if (error instanceof InvariantViolationError) return error.invariant;
    throw error;
  }
}

/** Wraps the real core and rewrites each output. */
function mutant(rewrite: (input: RaftInput, output: RaftOutput) => RaftOutput): CoreFactory {
  return (options, boot) => {
    const core = new RaftNodeState(options, boot);
    return {
      process: (input) => rewrite(input, core.process(input)),
      status: () => core.status(),
      entries: () => core.entries(),
      checkInvariants: () => core.checkInvariants(),
    };
  };
}

describe('snapshot mutants are caught', () => {
  it('the unbroken core passes the scenario', () => {
    expect(rejoinThroughSnapshot()).toBeUndefined();
  });

  it('INV-12: a follower that acknowledges the install as soon as the last chunk arrives (before it is durable)', () => {
    const early = mutant((_, output) => {
      const effects = [...output.effects];
      for (const effect of output.effects) {
        if (effect.type !== 'installSnapshotChunk' || !effect.chunk.done) continue;
        const c = effect.chunk;
        const ack: RaftMessage = { type: 'InstallSnapshotResponse', from: c.to, to: c.from, term: c.term, lastIncludedIndex: c.lastIncludedIndex, nextOffset: c.size, installed: true };
        effects.push({ type: 'send', message: ack });
      }
      return { ...output, effects };
    });
    expect(rejoinThroughSnapshot(early)).toBe('INV-12');
  });

  it('INV-5: a follower that writes a chunk with one byte changed (the installed state is not the committed prefix)', () => {
    const corrupt = mutant((_, output) => ({
      ...output,
      effects: output.effects.map((effect) => {
        if (effect.type !== 'installSnapshotChunk' || !effect.chunk.done || effect.chunk.data.byteLength === 0) return effect;
        const data = effect.chunk.data.slice();
        data[data.byteLength - 1] = (data[data.byteLength - 1] as number) ^ 1;
        return { ...effect, chunk: { ...effect.chunk, data } };
      }),
    }));
    expect(rejoinThroughSnapshot(corrupt)).toBe('INV-5');
  });

  it('HOST: a follower that skips a chunk (writes out of order)', () => {
    let skipped = false;
    const skipping = mutant((_, output) => ({
      ...output,
      effects: output.effects.filter((effect) => {
        if (skipped || effect.type !== 'installSnapshotChunk' || effect.chunk.offset === 0) return true;
        skipped = true;
        return false;
      }),
    }));
    expect(rejoinThroughSnapshot(skipping)).toBe('HOST');
  });

  it('INV-4: a leader that compacts its log five entries past the snapshot it saved (beyond what is committed)', () => {
    const eager = mutant((input, output) => ({
      ...output,
      effects: output.effects.map((effect) =>
        effect.type === 'compactLog' && input.type === 'snapshotSaved' ? { ...effect, upTo: (effect.upTo + 5) as typeof effect.upTo } : effect,
      ),
    }));
    expect(rejoinThroughSnapshot(eager)).toBe('INV-4');
  });
});
