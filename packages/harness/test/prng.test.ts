import { describe, expect, it } from 'vitest';
import { SimulationRandom, deriveSeed } from '../src/prng.js';

describe('SimulationRandom (the one seeded source of randomness)', () => {
  it('replays the same stream for the same seed', () => {
    const a = new SimulationRandom(7);
    const b = new SimulationRandom(7);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    const ys = Array.from({ length: 100 }, () => b.nextUint32());
    expect(xs).toEqual(ys);
  });

  it('gives different streams for different seeds', () => {
    const a = new SimulationRandom(7);
    const b = new SimulationRandom(8);
    expect(Array.from({ length: 10 }, () => a.nextUint32())).not.toEqual(Array.from({ length: 10 }, () => b.nextUint32()));
  });

  it('int stays within its inclusive bounds and reaches both ends', () => {
    const r = new SimulationRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(3, 6);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(6);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('chance follows its probability roughly and is exact at 0 and 1', () => {
    const r = new SimulationRandom(2);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.25)) hits++;
    expect(hits).toBeGreaterThan(2200);
    expect(hits).toBeLessThan(2800);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });

  it('deriveSeed separates nodes and incarnations', () => {
    const seeds = new Set<number>();
    for (let node = 0; node < 9; node++) for (let inc = 0; inc < 5; inc++) seeds.add(deriveSeed(42, node, inc));
    expect(seeds.size).toBe(45);
    expect(deriveSeed(42, 1, 2)).toBe(deriveSeed(42, 1, 2));
  });
});
