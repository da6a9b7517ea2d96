import { InvalidArgumentError } from '@raft/abstractions';

/** A point in time: virtual ticks in the simulator, a monotonic clock in real-process tests. */
export type Time = number;

/**
 * How an operation completed, as the client saw it.
 * - `ok`: it returned a result; it took effect exactly once between its call and its return.
 * - `fail`: it definitely did not take effect (the system guarantees it was not applied).
 * - `info`: the outcome is unknown (timeout, lost connection, "no leader" after a possible
 *   commit): it may take effect at any point after its call, or never.
 */
export type OperationStatus = 'ok' | 'fail' | 'info';

/**
 * One client operation of a history. Intervals are closed: `[10, 20]` and `[20, 30]` are
 * concurrent, because a monotonic clock can return the same value twice.
 */
export interface Operation<I, O> {
  /** Unique within the history; reported back in witnesses. */
  readonly id: number;
  /** The issuing client. A client is sequential: at most one outstanding operation. */
  readonly client: number;
  /** What the client asked for. */
  readonly input: I;
  /** What it got back; ignored unless `status` is `ok`. */
  readonly output?: O | undefined;
  /** Invocation time. */
  readonly call: Time;
  /** Response time; ignored (treated as `+∞`) when `status` is `info`. */
  readonly ret: Time;
  /** How it completed. */
  readonly status: OperationStatus;
}

/** What {@link normalizeHistory} removed, for reports. */
export interface NormalizationStats {
  /** `fail` operations dropped (they constrain nothing, since they did not take effect). */
  readonly droppedFailed: number;
  /** `info` read-only operations dropped (an unknown read constrains nothing). */
  readonly droppedIndeterminateReads: number;
  /** `info` operations kept with return time `+∞` (they may or may not have taken effect). */
  readonly indeterminate: number;
}

/** A history ready for checking. */
export interface NormalizedHistory<I, O> {
  /** Kept operations; `info` ones have `ret = Infinity` and `output = undefined`. */
  readonly ops: readonly Operation<I, O>[];
  /** What was dropped or widened. */
  readonly stats: NormalizationStats;
}

/**
 * Validates a raw history and applies the checker's semantics for incomplete operations
 * (reliability notes §9.2, lesson 2 of §1, etcd robustness / Knossos):
 * - rejects, with {@link InvalidArgumentError}, duplicate ids, non-finite call times, a return
 *   before its call, a completed (`ok`/`fail`) operation without a finite return, a client
 *   with overlapping operations, and a client that issues an operation after an `info` one
 *   (a client whose outcome is unknown is retired; later operations need a new client id);
 * - drops `fail` operations and `info` read-only operations (`isReadOnly`);
 * - keeps `info` writes with `ret = +∞` and no output.
 *
 * A client's next call may equal its previous return (same tick), but not precede it.
 */
export function normalizeHistory<I, O>(
  ops: readonly Operation<I, O>[],
  isReadOnly: (input: I) => boolean,
): NormalizedHistory<I, O> {
  const ids = new Set<number>();
  const byClient = new Map<number, Operation<I, O>[]>();
  for (const op of ops) {
    if (ids.has(op.id)) throw new InvalidArgumentError(`history: duplicate operation id ${op.id}`);
    ids.add(op.id);
    if (!Number.isFinite(op.call)) throw new InvalidArgumentError(`history: operation ${op.id} has a non-finite call time`);
    if (op.status !== 'info') {
      if (!Number.isFinite(op.ret)) throw new InvalidArgumentError(`history: completed operation ${op.id} has no finite return time`);
      if (op.ret < op.call) throw new InvalidArgumentError(`history: operation ${op.id} returns (${op.ret}) before its call (${op.call})`);
    }
    let list = byClient.get(op.client);
    if (list === undefined) {
      list = [];
      byClient.set(op.client, list);
    }
    list.push(op);
  }
  for (const [client, list] of byClient) {
    const sorted = [...list].sort((a, b) => a.call - b.call);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const next = sorted[i]!;
      if (prev.status === 'info') {
        throw new InvalidArgumentError(
          `history: client ${client} issued operation ${next.id} after indeterminate operation ${prev.id}; a client with an unknown outcome is retired, use a new client id`,
        );
      }
      if (next.call < prev.ret) {
        throw new InvalidArgumentError(`history: client ${client} has overlapping operations ${prev.id} and ${next.id}`);
      }
    }
  }
  let droppedFailed = 0;
  let droppedIndeterminateReads = 0;
  let indeterminate = 0;
  const kept: Operation<I, O>[] = [];
  for (const op of ops) {
    if (op.status === 'fail') {
      droppedFailed++;
    } else if (op.status === 'info') {
      if (isReadOnly(op.input)) {
        droppedIndeterminateReads++;
      } else {
        indeterminate++;
        kept.push({ id: op.id, client: op.client, input: op.input, output: undefined, call: op.call, ret: Number.POSITIVE_INFINITY, status: 'info' });
      }
    } else {
      kept.push(op);
    }
  }
  return { ops: kept, stats: { droppedFailed, droppedIndeterminateReads, indeterminate } };
}
