import { isRaftError } from '@raft/abstractions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type KvInput,
  type KvOutput,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  checkLinearizability,
  kvModel,
  minimizeHistory,
  normalizeHistory,
  registerModel,
} from '../src/linearizability/index.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;
type KvOp = Operation<KvInput, KvOutput>;

let nextId = 0;
function w(client: number, value: number, call: number, ret: number, status: 'ok' | 'fail' | 'info' = 'ok'): RegOp {
  return { id: nextId++, client, input: { kind: 'write', value }, call, ret, status };
}
function r(client: number, value: number, call: number, ret: number, status: 'ok' | 'info' = 'ok'): RegOp {
  return { id: nextId++, client, input: { kind: 'read' }, output: { value }, call, ret, status };
}
const reg = registerModel(0);

describe('linearizability: register vectors', () => {
  it("Porcupine README (i): a read nested in another, both inside a put, seeing old and new — linearizable", () => {
    const h = [w(0, 100, 0, 100), r(1, 100, 25, 75), r(2, 0, 30, 60)];
    expect(checkLinearizability(reg, h).ok).toBe(true);
  });

  it("Porcupine README (ii): a later, non-overlapping read sees the old value after another saw the new — not linearizable", () => {
    const h = [w(0, 200, 0, 100), r(1, 200, 10, 30), r(2, 0, 40, 90)];
    const res = checkLinearizability(reg, h);
    expect(res.ok).toBe(false);
    if (res.ok !== false) return;
    expect(res.witness.blocking.id).toBe(h[2]!.id);
    expect(res.witness.explanation).toContain('read() -> 0');
  });

  it('a stale read after a completed write is rejected, a concurrent one accepted', () => {
    expect(checkLinearizability(reg, [w(0, 1, 0, 10), r(1, 0, 20, 30)]).ok).toBe(false);
    expect(checkLinearizability(reg, [w(0, 1, 0, 10), r(1, 0, 5, 30)]).ok).toBe(true);
    // closed intervals: a read whose call equals the write's return is concurrent with it
    expect(checkLinearizability(reg, [w(0, 1, 0, 10), r(1, 0, 10, 30)]).ok).toBe(true);
  });

  it('concurrent writes: reads during them may see either order, but not both orders', () => {
    expect(checkLinearizability(reg, [w(0, 1, 0, 100), w(1, 2, 0, 100), r(2, 1, 10, 20), r(2, 2, 30, 40)]).ok).toBe(true);
    expect(checkLinearizability(reg, [w(0, 1, 0, 100), w(1, 2, 0, 100), r(2, 2, 10, 20), r(2, 1, 30, 40)]).ok).toBe(true);
    const flip = checkLinearizability(reg, [w(0, 1, 0, 100), w(1, 2, 0, 100), r(2, 1, 10, 20), r(2, 2, 30, 40), r(2, 1, 50, 60)]);
    expect(flip.ok).toBe(false);
    // after both writes completed, two readers disagree on the final value
    expect(checkLinearizability(reg, [w(0, 1, 0, 50), w(1, 2, 0, 50), r(2, 1, 60, 70), r(3, 2, 80, 90)]).ok).toBe(false);
  });

  it('a read of a value never written is rejected; the witness names the read and the deepest prefix', () => {
    const h = [w(0, 1, 0, 10), r(1, 7, 0, 30)];
    const res = checkLinearizability(reg, h);
    expect(res.ok).toBe(false);
    if (res.ok !== false) return;
    expect(res.witness.blocking.id).toBe(h[1]!.id);
    expect(res.witness.prefix).toEqual([h[0]!.id]);
    expect(res.witness.stateAfterPrefix).toBe('1');
    const alone = checkLinearizability(reg, [r(2, 7, 0, 30)]);
    expect(alone.ok === false && alone.witness.prefix.length === 0 && alone.witness.stateAfterPrefix === '0').toBe(true);
  });

  it('indeterminate writes may take effect at any time after their call, or never — but only once', () => {
    // never observed
    expect(checkLinearizability(reg, [w(0, 5, 10, 20, 'info'), r(1, 0, 30, 40)]).ok).toBe(true);
    // observed long after the client gave up
    expect(checkLinearizability(reg, [w(0, 5, 10, 20, 'info'), r(1, 0, 30, 40), r(1, 5, 1000, 1010)]).ok).toBe(true);
    // cannot take effect before its call
    expect(checkLinearizability(reg, [r(1, 5, 0, 5), w(0, 5, 10, 20, 'info')]).ok).toBe(false);
    // once seen, it cannot be undone
    expect(checkLinearizability(reg, [w(0, 5, 10, 20, 'info'), r(1, 5, 30, 40), r(1, 0, 50, 60)]).ok).toBe(false);
  });

  it('failed writes are dropped (they did not happen); indeterminate reads are dropped (they constrain nothing)', () => {
    expect(checkLinearizability(reg, [w(0, 9, 0, 10, 'fail'), r(1, 9, 20, 30)]).ok).toBe(false);
    expect(checkLinearizability(reg, [w(0, 9, 0, 10, 'fail'), r(1, 0, 20, 30)]).ok).toBe(true);
    const res = checkLinearizability(reg, [w(0, 1, 0, 10), r(1, 42, 20, 30, 'info'), w(2, 3, 0, 5, 'fail')]);
    expect(res.ok).toBe(true);
    expect(res.stats).toEqual({ droppedFailed: 1, droppedIndeterminateReads: 1, indeterminate: 0 });
  });

  it('returns unknown when the step budget is exhausted', () => {
    const h: RegOp[] = [];
    for (let c = 0; c < 8; c++) h.push(w(c, c + 1, 0, 100));
    h.push(r(9, 99, 200, 210)); // unsatisfiable: the search must try every order of the 8 writes
    const res = checkLinearizability(reg, h, { maxSteps: 50 });
    expect(res).toMatchObject({ ok: 'unknown', reason: 'budget' });
    expect(checkLinearizability(reg, h).ok).toBe(false);
  });

  it('rejects malformed histories with INVALID_ARGUMENT', () => {
    const bad: RegOp[][] = [
      [w(0, 1, 0, 10), w(0, 2, 5, 20)], // overlapping ops of one client
      [w(0, 1, 0, 10, 'info'), w(0, 2, 20, 30)], // retired client reused
      [{ ...w(0, 1, 0, 10), ret: -1 }],
      [{ ...w(0, 1, 0, 10), id: 1 }, { ...r(1, 1, 20, 30), id: 1 }],
      [{ ...r(0, 1, 0, 10), ret: Number.POSITIVE_INFINITY }],
    ];
    for (const h of bad) {
      let caught: unknown;
      try {
        checkLinearizability(reg, h);
      } catch (e) {
        caught = e;
      }
      expect(isRaftError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
    // a client may start its next op on the tick its previous one returned
    expect(normalizeHistory([w(0, 1, 0, 10), w(0, 2, 10, 20)], () => false).ops).toHaveLength(2);
  });
});

describe('linearizability: KV model (per key)', () => {
  let id = 0;
  const op = (client: number, input: KvInput, call: number, ret: number, output?: KvOutput, status: 'ok' | 'info' = 'ok'): KvOp =>
    output === undefined ? { id: id++, client, input, call, ret, status } : { id: id++, client, input, output, call, ret, status };

  it('checks keys independently and names the failing key', () => {
    const h = [
      op(0, { kind: 'put', key: 'x', value: 'a' }, 0, 10),
      op(1, { kind: 'put', key: 'y', value: 'b' }, 0, 10),
      op(2, { kind: 'get', key: 'x' }, 20, 30, { value: 'a' }),
      op(3, { kind: 'get', key: 'y' }, 20, 30, { value: undefined }), // stale: y was written
    ];
    const res = checkLinearizability(kvModel, h);
    expect(res.ok).toBe(false);
    if (res.ok !== false) return;
    expect(res.witness.key).toBe('y');
    expect(res.witness.partitionOps).toHaveLength(2);
    expect(checkLinearizability(kvModel, h.slice(0, 3))).toMatchObject({ ok: true, partitions: 2 });
  });

  it('cas must report whether it applied; an indeterminate cas is decided by the state', () => {
    const put = op(0, { kind: 'put', key: 'k', value: '1' }, 0, 10);
    const cas = op(1, { kind: 'cas', key: 'k', expect: '1', value: '2' }, 20, 30, { ok: false });
    expect(checkLinearizability(kvModel, [put, cas]).ok).toBe(false);
    const casInfo = op(2, { kind: 'cas', key: 'k', expect: '1', value: '2' }, 20, 30, undefined, 'info');
    expect(checkLinearizability(kvModel, [put, casInfo, op(3, { kind: 'get', key: 'k' }, 40, 50, { value: '2' })]).ok).toBe(true);
    expect(checkLinearizability(kvModel, [put, casInfo, op(3, { kind: 'get', key: 'k' }, 40, 50, { value: '1' })]).ok).toBe(true);
  });

  it('a duplicated append (retry applied twice) is rejected', () => {
    const h = [
      op(0, { kind: 'append', key: 'l', value: 'a' }, 0, 10),
      op(0, { kind: 'append', key: 'l', value: 'b' }, 20, 30),
      op(1, { kind: 'get', key: 'l' }, 40, 50, { value: 'abb' }),
    ];
    expect(checkLinearizability(kvModel, h).ok).toBe(false);
    expect(checkLinearizability(kvModel, [h[0]!, h[1]!, op(1, { kind: 'get', key: 'l' }, 40, 50, { value: 'ab' })]).ok).toBe(true);
  });

  it('minimizeHistory keeps only what is needed to stay non-linearizable', () => {
    const noise = Array.from({ length: 6 }, (_, i) => op(10 + i, { kind: 'put', key: `n${i}`, value: 'v' }, 0, 10));
    const h = [...noise, op(0, { kind: 'put', key: 'x', value: 'a' }, 0, 10), op(1, { kind: 'get', key: 'x' }, 20, 30, { value: 'zzz' })];
    const min = minimizeHistory(kvModel, h);
    expect(min).toHaveLength(1);
    expect(min[0]!.input.kind).toBe('get');
    expect(checkLinearizability(kvModel, min).ok).toBe(false);
  });
});

// ---- Property: histories produced by a sequential execution are accepted; a read mutated to
// a value never written is rejected.

interface GenStep {
  readonly client: number;
  readonly input: KvInput;
  readonly before: number; // how far the call precedes the linearization point
  readonly after: number; // how far the return follows it
  readonly outcome: 'ok' | 'fail' | 'info-applied' | 'info-lost';
}

const keys = ['a', 'b', 'c'];
const stepArb: fc.Arbitrary<GenStep> = fc.record({
  client: fc.integer({ min: 0, max: 3 }),
  input: fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom(...keys) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys), value: fc.constantFrom('1', '2', '3') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), key: fc.constantFrom(...keys), value: fc.constantFrom('x', 'y') }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('cas' as const), key: fc.constantFrom(...keys), expect: fc.constantFrom('1', '2', undefined), value: fc.constantFrom('1', '2', '3') }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys) }) },
  ),
  before: fc.integer({ min: 0, max: 40 }),
  after: fc.integer({ min: 0, max: 40 }),
  outcome: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'fail', 'info-applied', 'info-lost'),
});

/**
 * Executes the steps one at a time against the KV model at linearization points 10, 20, 30…,
 * then widens each op's interval around its point by jitter, clipped so each client stays
 * sequential (its next call is never before its previous return). An `info` op retires its
 * client (later ops of that logical client get a fresh id).
 */
function sequentialHistory(steps: readonly GenStep[]): KvOp[] {
  const state = new Map<string, string | undefined>();
  const point = (i: number): number => 10 * (i + 1);
  const nextPointOfClient = new Array<number>(steps.length).fill(Number.POSITIVE_INFINITY);
  const seen = new Map<number, number>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const c = steps[i]!.client;
    const later = seen.get(c);
    if (later !== undefined) nextPointOfClient[i] = point(later);
    seen.set(c, i);
  }
  const lastRet = new Map<number, number>();
  const clientId = new Map<number, number>();
  let freshClient = 100;
  const ops: KvOp[] = [];
  steps.forEach((s, i) => {
    const p = point(i);
    const reading = s.input.kind === 'get';
    const outcome = reading && s.outcome !== 'ok' && s.outcome !== 'info-lost' ? 'ok' : s.outcome;
    const applied = outcome === 'ok' || outcome === 'info-applied';
    const current = state.get(s.input.key);
    let output: KvOutput | undefined;
    if (applied) {
      const res = kvModel.step(current, s.input, undefined);
      if (s.input.kind === 'get') output = { value: current };
      if (s.input.kind === 'cas') output = { ok: current === s.input.expect };
      state.set(s.input.key, res.next);
    }
    const call = Math.max(p - s.before, lastRet.get(s.client) ?? 0);
    const ret = Math.min(p + s.after, nextPointOfClient[i]!);
    const client = clientId.get(s.client) ?? s.client;
    const status = outcome === 'ok' ? 'ok' : outcome === 'fail' ? 'fail' : 'info';
    ops.push(output === undefined ? { id: i, client, input: s.input, call, ret, status } : { id: i, client, input: s.input, output, call, ret, status });
    lastRet.set(s.client, ret);
    if (status === 'info') clientId.set(s.client, freshClient++);
  });
  return ops;
}

/** Brute force: some order of a subset (all ok ops, any subset of info ops) respects real time and the model. */
function bruteForce(h: readonly RegOp[]): boolean {
  const ops = h.filter((o) => o.status !== 'fail' && !(o.status === 'info' && o.input.kind === 'read'));
  const ret = (o: RegOp): number => (o.status === 'info' ? Number.POSITIVE_INFINITY : o.ret);
  const used = new Array<boolean>(ops.length).fill(false);
  const search = (state: number): boolean => {
    const pendingOk = ops.some((o, i) => !used[i] && o.status === 'ok');
    if (!pendingOk) return true; // leftover info ops never took effect
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      const o = ops[i]!;
      // o can go next only if no other unplaced op returned strictly before o was called
      if (ops.some((q, j) => !used[j] && j !== i && q.status === 'ok' && ret(q) < o.call)) continue;
      const st = reg.step(state, o.input, o.status === 'ok' ? o.output : undefined);
      if (!st.ok) continue;
      used[i] = true;
      const found = search(st.next);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(0);
}

const tinyRegisterHistory: fc.Arbitrary<RegOp[]> = fc
  .array(
    fc.record({
      write: fc.boolean(),
      value: fc.integer({ min: 0, max: 2 }),
      gap: fc.integer({ min: 0, max: 6 }),
      len: fc.integer({ min: 0, max: 8 }),
      status: fc.constantFrom('ok' as const, 'ok' as const, 'ok' as const, 'fail' as const, 'info' as const),
    }),
    { minLength: 1, maxLength: 7 },
  )
  .chain((specs) =>
    fc.tuple(...specs.map(() => fc.integer({ min: 0, max: 2 }))).map((clients) => {
      const free = [0, 0, 0];
      const retired = [false, false, false];
      const ops: RegOp[] = [];
      specs.forEach((s, i) => {
        let c = clients[i]!;
        if (retired[c]) c = (c + 1) % 3;
        if (retired[c]) return;
        const call = free[c]! + s.gap;
        const ret = call + s.len;
        free[c] = ret;
        if (s.status === 'info') retired[c] = true;
        ops.push(
          s.write
            ? { id: i, client: c, input: { kind: 'write', value: s.value + 1 }, call, ret, status: s.status }
            : { id: i, client: c, input: { kind: 'read' }, output: { value: s.value }, call, ret, status: s.status === 'fail' ? 'ok' : s.status },
        );
      });
      return ops;
    }),
  );

describe('linearizability: properties', () => {
  it('agrees with a brute-force checker on tiny register histories (with fail and info ops)', () => {
    let illegal = 0;
    fc.assert(
      fc.property(tinyRegisterHistory, (h) => {
        const res = checkLinearizability(reg, h);
        expect(res.ok).toBe(bruteForce(h));
        if (res.ok === false) illegal++;
      }),
      { numRuns: 1000 },
    );
    expect(illegal).toBeGreaterThan(50); // the generator reaches both verdicts
  });

  it('the sequential generator produces concurrent and indeterminate operations', () => {
    const samples = fc.sample(fc.array(stepArb, { minLength: 20, maxLength: 60 }), { numRuns: 50, seed: 1 }).map(sequentialHistory);
    const overlapping = samples.filter((h) => h.some((a) => h.some((b) => a.client !== b.client && a.id < b.id && b.call <= a.ret)));
    expect(overlapping.length).toBeGreaterThan(40);
    expect(samples.some((h) => h.some((o) => o.status === 'info'))).toBe(true);
  });

  it('every history produced by a sequential execution (with jittered times) is accepted', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const h = sequentialHistory(steps);
        const res = checkLinearizability(kvModel, h);
        expect(res.ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('mutating one ok read to a value never written is rejected', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, pick) => {
        const h = sequentialHistory(steps);
        const reads = h.filter((o) => o.status === 'ok' && o.input.kind === 'get');
        fc.pre(reads.length > 0);
        const victim = reads[pick % reads.length]!;
        const mutated = h.map((o) => (o === victim ? { ...o, output: { value: 'never-written' } } : o));
        const res = checkLinearizability(kvModel, mutated);
        expect(res.ok).toBe(false);
        if (res.ok !== false) return;
        expect(res.witness.key).toBe(victim.input.key);
        expect(res.witness.blocking.id).toBe(victim.id);
      }),
      { numRuns: 200 },
    );
  });
});
