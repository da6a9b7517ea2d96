import { InvalidArgumentError } from './errors.js';

declare const brand: unique symbol;

/**
 * A nominal ("branded") type: structurally a `T`, but not assignable from a plain `T`
 * without going through the matching constructor function.
 */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** The stable identity of a server in the cluster (for example `"n1"`). Never empty. */
export type NodeId = Brand<string, 'NodeId'>;

/**
 * A Raft term (§5.1): a logical clock that only grows. Terms start at 0 on a fresh node;
 * the first election makes term 1. Safe up to `Number.MAX_SAFE_INTEGER`.
 */
export type Term = Brand<number, 'Term'>;

/**
 * A position in the replicated log (§5.3). The first entry has index 1; index 0 is the
 * empty-log sentinel (term 0). Safe up to `Number.MAX_SAFE_INTEGER`.
 */
export type LogIndex = Brand<number, 'LogIndex'>;

/**
 * Makes a {@link NodeId}, checking it is a non-empty string of at most 255 characters.
 * @throws {@link InvalidArgumentError} for anything else.
 */
export function NodeId(value: string): NodeId {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new InvalidArgumentError(`node id must be a non-empty string of at most 255 characters, got ${JSON.stringify(value)}`);
  }
  return value as NodeId;
}

/**
 * Makes a {@link Term}, checking it is a non-negative safe integer.
 * @throws {@link InvalidArgumentError} for anything else.
 */
export function Term(value: number): Term {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`term must be a non-negative safe integer, got ${value}`);
  }
  return value as Term;
}

/**
 * Makes a {@link LogIndex}, checking it is a non-negative safe integer.
 * @throws {@link InvalidArgumentError} for anything else.
 */
export function LogIndex(value: number): LogIndex {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`log index must be a non-negative safe integer, got ${value}`);
  }
  return value as LogIndex;
}

/** Identifies one request the host handed to the core; echoed in the matching result effect. */
export type RequestId = number;
