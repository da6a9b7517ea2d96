/**
 * The simulator's one source of randomness: xoshiro128** seeded through splitmix32. Every
 * fault, delay and persistence latency is drawn from it, so a run is a pure function of its
 * seed and scenario. Not for cryptography.
 */
export class SimulationRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds the generator; any safe integer works (negative and large values are folded). */
  constructor(seed: number) {
    let s = foldSeed(seed);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // Invariant: the xoshiro state is never all zero (it would then stay zero forever).
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A float in `[0, 1)`. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in `[min, max]` (both inclusive); `min` when `max <= min`. */
  int(min: number, max: number): number {
    if (max <= min) return min;
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /** `true` with probability `p` (never for `p <= 0`, always for `p >= 1`, and draws nothing then). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.nextFloat() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.nextFloat() * items.length)] as T;
  }

  /** The array in a random order (Fisher–Yates on a copy). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.nextFloat() * (i + 1));
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function foldSeed(seed: number): number {
  const lo = seed | 0;
  const hi = Math.floor(seed / 4294967296) | 0;
  return (lo ^ Math.imul(hi, 0x9e3779b1)) | 0;
}

/**
 * Derives an independent 32-bit seed from a run seed and a list of small integers (for
 * example a node's index and incarnation), so each core instance gets its own PRNG stream.
 */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let h = foldSeed(seed) ^ 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}
