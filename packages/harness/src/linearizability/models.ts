/**
 * A sequential specification for the checker. Every function must be pure: states are
 * immutable values and `step` never mutates its argument.
 */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * Whether `input` with the observed `output` is a legal step from `state`, and the state
   * after it. `output` is `undefined` for an indeterminate (`info`) operation: the step must
   * then be legal whenever the operation could have been applied.
   */
  step(state: S, input: I, output: O | undefined): { readonly ok: boolean; readonly next: S };
  /** State equality. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash that agrees with {@link Model.equal}. */
  hash(state: S): number;
  /** `true` for operations that never change the state (an `info` one is dropped). */
  isReadOnly(input: I): boolean;
  /**
   * Optional P-compositionality: operations with different keys touch independent state, so
   * each key's sub-history is checked on its own (a sum instead of a product of searches).
   */
  partitionKey?(input: I): string;
  /** Human-readable operation, for reports. */
  describeOp?(input: I, output: O | undefined): string;
  /** Human-readable state, for reports. */
  describeState?(state: S): string;
}

/** FNV-1a over the UTF-16 code units of `s`, as an unsigned 32-bit integer. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Input of a single read/write register. */
export type RegisterInput = { readonly kind: 'read' } | { readonly kind: 'write'; readonly value: number };
/** Output of a register operation: the value a read returned (absent for writes). */
export interface RegisterOutput {
  readonly value?: number;
}

/**
 * A single integer register (Porcupine's README model), initially `initial` (default 0). A
 * read is legal only if it returns the current value; a write always is.
 */
export function registerModel(initial = 0): Model<number, RegisterInput, RegisterOutput> {
  return {
    init: () => initial,
    step(state, input, output) {
      if (input.kind === 'write') return { ok: true, next: input.value };
      return { ok: output === undefined || output.value === state, next: state };
    },
    equal: (a, b) => a === b,
    hash: (s) => Math.imul(s | 0, 0x9e3779b1) >>> 0,
    isReadOnly: (input) => input.kind === 'read',
    describeOp: (input, output) =>
      input.kind === 'write' ? `write(${input.value})` : `read() -> ${output?.value === undefined ? '?' : String(output.value)}`,
    describeState: (s) => String(s),
  };
}

/** Input of a key-value operation; every operation names exactly one key. */
export type KvInput =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'append'; readonly key: string; readonly value: string }
  | { readonly kind: 'cas'; readonly key: string; readonly expect: string | undefined; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string };

/** Output of a key-value operation: `value` for `get` (absent = key missing), `ok` for `cas`. */
export interface KvOutput {
  readonly value?: string | undefined;
  readonly ok?: boolean;
}

/**
 * A key-value map checked per key (each key is an independent register holding a string or
 * nothing). `get` must return the current value (`undefined` for a missing key); `cas` must
 * report whether the current value equalled `expect`, and its effect is determined by the
 * state, so an indeterminate `cas` stays deterministic (applied → the state decides).
 */
export const kvModel: Model<string | undefined, KvInput, KvOutput> = {
  init: () => undefined,
  step(state, input, output) {
    switch (input.kind) {
      case 'get':
        return { ok: output === undefined || output.value === state, next: state };
      case 'put':
        return { ok: true, next: input.value };
      case 'append':
        return { ok: true, next: (state ?? '') + input.value };
      case 'delete':
        return { ok: true, next: undefined };
      case 'cas': {
        const applies = state === input.expect;
        if (output !== undefined && output.ok !== applies) return { ok: false, next: state };
        return { ok: true, next: applies ? input.value : state };
      }
    }
  },
  equal: (a, b) => a === b,
  // Invariant: hash agrees with equal; undefined and '' differ in state but may collide, which is fine.
  hash: (s) => (s === undefined ? 0 : fnv1a32(s)),
  isReadOnly: (input) => input.kind === 'get',
  partitionKey: (input) => input.key,
  describeOp(input, output) {
    const show = (v: string | undefined): string => (v === undefined ? 'nil' : JSON.stringify(v));
    switch (input.kind) {
      case 'get':
        return `get(${input.key}) -> ${output === undefined ? '?' : show(output.value)}`;
      case 'put':
        return `put(${input.key}, ${show(input.value)})`;
      case 'append':
        return `append(${input.key}, ${show(input.value)})`;
      case 'delete':
        return `delete(${input.key})`;
      case 'cas':
        return `cas(${input.key}, ${show(input.expect)} -> ${show(input.value)}) -> ${output?.ok === undefined ? '?' : String(output.ok)}`;
    }
  },
  describeState: (s) => (s === undefined ? 'nil' : JSON.stringify(s)),
};
