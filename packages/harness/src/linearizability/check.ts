import { InvalidArgumentError } from '@raft/abstractions';
import { type NormalizationStats, type Operation, normalizeHistory } from './history.js';
import type { Model } from './models.js';

/** Limits of one check. Exceeding either gives `{ ok: 'unknown', reason: 'budget' }`. */
export interface CheckOptions {
  /** Search steps over all partitions (default 1,000,000). */
  readonly maxSteps?: number;
  /** Memoized configurations over all partitions (default 1,000,000). */
  readonly maxCacheEntries?: number;
}

/** An operation concurrent with the blocking one, and what it would do from the prefix state. */
export interface Candidate<I, O> {
  /** The operation. */
  readonly op: Operation<I, O>;
  /** The state after applying it to the prefix state, or `undefined` if that step is illegal. */
  readonly next: string | undefined;
}

/** Why a history is not linearizable: the deepest dead end of the search in one partition. */
export interface Witness<I, O> {
  /** The partition key (`undefined` when the model is not partitioned). */
  readonly key: string | undefined;
  /** Operation ids of the longest linearizable prefix found, in linearization order. */
  readonly prefix: readonly number[];
  /** The model state after that prefix (described). */
  readonly stateAfterPrefix: string;
  /** The operation whose return was reached before it could be linearized, at the deepest point. */
  readonly blocking: Operation<I, O>;
  /** Not-yet-linearized operations concurrent with the blocking one. */
  readonly concurrent: readonly Candidate<I, O>[];
  /** Every operation of the partition (the sub-history to replay). */
  readonly partitionOps: readonly Operation<I, O>[];
  /** One-paragraph human explanation. */
  readonly explanation: string;
}

/** The verdict of {@link checkLinearizability}. */
export type CheckResult<I, O> =
  | { readonly ok: true; readonly steps: number; readonly partitions: number; readonly stats: NormalizationStats }
  | { readonly ok: false; readonly steps: number; readonly witness: Witness<I, O>; readonly stats: NormalizationStats }
  | { readonly ok: 'unknown'; readonly reason: 'budget'; readonly steps: number; readonly stats: NormalizationStats };

interface Entry {
  readonly isCall: boolean;
  readonly index: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface CacheItem<S> {
  readonly bits: Uint32Array;
  readonly state: S;
}

type PartitionResult =
  | { readonly kind: 'ok'; readonly steps: number; readonly cacheEntries: number }
  | { readonly kind: 'budget'; readonly steps: number }
  | { readonly kind: 'illegal'; readonly steps: number; readonly prefix: readonly number[]; readonly blocking: number };

/** A per-operation random 32-bit key (splitmix-style mix of the index), for XOR set hashing. */
function opKey(index: number): number {
  let z = (index + 1) * 0x9e3779b9;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareTime(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Wing & Gong search with Lowe's memo of (linearized set, state), iterative (no recursion).
 * Entries are sorted by time, CALL before RETURN on ties (closed intervals); `+∞` returns sort
 * last so an indeterminate operation can always be linearized after everything, which is
 * equivalent to "never took effect".
 */
function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  maxSteps: number,
  maxCacheEntries: number,
): PartitionResult {
  const n = ops.length;
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const call: Entry = { isCall: true, index: i, match: null, prev: null, next: null };
    const ret: Entry = { isCall: false, index: i, match: null, prev: null, next: null };
    call.match = ret;
    entries.push(call, ret);
  }
  entries.sort((a, b) => {
    const oa = ops[a.index]!;
    const ob = ops[b.index]!;
    const byTime = compareTime(a.isCall ? oa.call : oa.ret, b.isCall ? ob.call : ob.ret);
    if (byTime !== 0) return byTime;
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
    return a.index - b.index;
  });
  const head: Entry = { isCall: false, index: -1, match: null, prev: null, next: null };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const lift = (e: Entry): void => {
    e.prev!.next = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next !== null) m.next.prev = m.prev;
  };
  // Invariant: unlift happens in exact reverse order of lift (stack discipline), so the
  // prev/next pointers kept in the lifted nodes are still the right neighbours.
  const unlift = (e: Entry): void => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next !== null) m.next.prev = m;
    e.prev!.next = e;
    if (e.next !== null) e.next.prev = e;
  };

  const bits = new Uint32Array(Math.ceil(n / 32));
  let bitsHash = 0;
  const toggle = (i: number): void => {
    bits[i >>> 5]! ^= 1 << (i & 31);
    bitsHash = (bitsHash ^ opKey(i)) >>> 0;
  };
  const cache = new Map<number, CacheItem<S>[]>();
  let cacheEntries = 0;
  const stack: { entry: Entry; state: S }[] = [];
  let longest: number[] = [];
  let blocking = -1;
  let state = model.init();
  let cur: Entry | null = head.next;
  let steps = 0;

  while (head.next !== null) {
    if (++steps > maxSteps || cacheEntries > maxCacheEntries) return { kind: 'budget', steps };
    // Invariant: cur is never null here: a CALL is always followed by its own RETURN.
    const e = cur!;
    const op = ops[e.index]!;
    if (e.isCall) {
      const r = model.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      if (r.ok) {
        toggle(e.index);
        const key = (bitsHash ^ Math.imul(model.hash(r.next) >>> 0, 0x9e3779b1)) >>> 0;
        let bucket = cache.get(key);
        const seen = bucket?.some((c) => sameBits(c.bits, bits) && model.equal(c.state, r.next)) ?? false;
        if (!seen) {
          if (bucket === undefined) {
            bucket = [];
            cache.set(key, bucket);
          }
          bucket.push({ bits: bits.slice(), state: r.next });
          cacheEntries++;
          stack.push({ entry: e, state });
          state = r.next;
          lift(e);
          cur = head.next;
          continue;
        }
        toggle(e.index); // this configuration was already explored
      }
      cur = e.next;
    } else {
      // A RETURN reached with its operation not linearized: dead end, backtrack.
      if (stack.length > longest.length || blocking < 0) {
        longest = stack.map((s) => s.entry.index);
        blocking = e.index;
      }
      const top = stack.pop();
      if (top === undefined) return { kind: 'illegal', steps, prefix: longest, blocking };
      state = top.state;
      toggle(top.entry.index);
      unlift(top.entry);
      cur = top.entry.next;
    }
  }
  return { kind: 'ok', steps, cacheEntries };
}

function explain<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], key: string | undefined, prefixIdx: readonly number[], blockingIdx: number): Witness<I, O> {
  const describeState = (s: S): string => (model.describeState ? model.describeState(s) : JSON.stringify(s));
  const describeOp = (op: Operation<I, O>): string =>
    model.describeOp ? model.describeOp(op.input, op.status === 'ok' ? op.output : undefined) : JSON.stringify(op.input);
  let state = model.init();
  for (const i of prefixIdx) state = model.step(state, ops[i]!.input, ops[i]!.status === 'ok' ? ops[i]!.output : undefined).next;
  const blocking = ops[blockingIdx]!;
  const inPrefix = new Set(prefixIdx);
  const concurrent: Candidate<I, O>[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (i === blockingIdx || inPrefix.has(i)) continue;
    if (op.call <= blocking.ret && blocking.call <= op.ret) {
      const r = model.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      concurrent.push({ op, next: r.ok ? describeState(r.next) : undefined });
    }
  }
  const blockingStep = model.step(state, blocking.input, blocking.status === 'ok' ? blocking.output : undefined);
  const time = (t: number): string => (Number.isFinite(t) ? String(t) : '+inf');
  const explanation =
    `${key === undefined ? '' : `key ${JSON.stringify(key)}: `}after the longest linearizable prefix [${prefixIdx.map((i) => ops[i]!.id).join(', ')}] ` +
    `(state ${describeState(state)}), operation ${blocking.id} (client ${blocking.client}, ${describeOp(blocking)}, [${time(blocking.call)}, ${time(blocking.ret)}]) ` +
    `cannot be linearized: ${blockingStep.ok ? 'it is legal here only in an order that later fails' : 'it is illegal in that state'}; ` +
    `concurrent operations: ${concurrent.length === 0 ? 'none' : concurrent.map((c) => `${c.op.id} ${describeOp(c.op)} -> ${c.next ?? 'illegal'}`).join('; ')}`;
  return { key, prefix: prefixIdx.map((i) => ops[i]!.id), stateAfterPrefix: describeState(state), blocking, concurrent, partitionOps: ops, explanation };
}

/**
 * Checks that a client-visible history is linearizable with respect to `model` (INV-9).
 * The history is first normalized ({@link normalizeHistory}: `fail` ops and `info` reads
 * dropped, `info` writes open-ended), then split per {@link Model.partitionKey} and each
 * partition searched on its own; it stops at the first illegal partition.
 *
 * Treat `unknown` as a failure in deterministic CI: it hides bugs (reliability notes §9.5).
 */
export function checkLinearizability<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<I, O> {
  const maxSteps = options.maxSteps ?? 1_000_000;
  const maxCacheEntries = options.maxCacheEntries ?? 1_000_000;
  if (!(maxSteps > 0) || !(maxCacheEntries > 0)) throw new InvalidArgumentError('checkLinearizability: maxSteps and maxCacheEntries must be positive');
  const { ops, stats } = normalizeHistory(history, (input) => model.isReadOnly(input));
  const groups = new Map<string | undefined, Operation<I, O>[]>();
  for (const op of ops) {
    const key = model.partitionKey ? model.partitionKey(op.input) : undefined;
    let g = groups.get(key);
    if (g === undefined) {
      g = [];
      groups.set(key, g);
    }
    g.push(op);
  }
  let steps = 0;
  let cacheUsed = 0;
  for (const [key, group] of groups) {
    const r = checkPartition(model, group, maxSteps - steps, maxCacheEntries - cacheUsed);
    steps += r.steps;
    if (r.kind === 'budget') return { ok: 'unknown', reason: 'budget', steps, stats };
    if (r.kind === 'illegal') return { ok: false, steps, witness: explain(model, group, key, r.prefix, r.blocking), stats };
    cacheUsed += r.cacheEntries;
  }
  return { ok: true, steps, partitions: groups.size, stats };
}

/**
 * Shrinks a non-linearizable history to a locally minimal one: greedily deletes operations
 * (which keeps every client sequential) while the checker still says `ok: false`. Returns
 * the input unchanged if it is not (provably) non-linearizable. Costs O(n²) checks at worst;
 * use it on the witness's partition.
 */
export function minimizeHistory<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): Operation<I, O>[] {
  let current = [...history];
  if (checkLinearizability(model, current, options).ok !== false) return current;
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = current.length - 1; i >= 0; i--) {
      const candidate = current.filter((_, j) => j !== i);
      if (checkLinearizability(model, candidate, options).ok === false) {
        current = candidate;
        changed = true;
      }
    }
  }
  return current;
}
