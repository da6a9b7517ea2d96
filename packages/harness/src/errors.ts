import { IllegalStateError, type NodeId } from '@raft/abstractions';

/**
 * The global invariants the simulator checks (ids from the reliability notes, §4).
 * - `INV-1` Election Safety: at most one leader per term.
 * - `INV-2` Leader Append-Only: a leader never overwrites or deletes entries in its term.
 * - `INV-3` Log Matching: same index and term ⇒ identical entries and prefixes.
 * - `INV-4` Leader Completeness: a leader holds every entry committed in earlier terms;
 *   committed entries never change.
 * - `INV-5` State Machine Safety: no two nodes apply different entries at one index; each node
 *   applies in order, without gaps, only committed entries; every node's state machine is the
 *   same after the same index, including a state restored from a snapshot.
 * - `INV-6` Monotonicity: term, durable term, commit index (per process), the durable snapshot
 *   index and the log's compaction point (across restarts too) never decrease; a node restarts
 *   from its newest durable snapshot and its state machine never moves back within a process.
 * - `INV-7` One vote per (node, term), across restarts.
 * - `INV-8` Durability: every acknowledged proposal is applied on every live node after heal.
 * - `INV-10` Convergence: after heal and quiesce, every node at the same applied index has the
 *   same state-machine state (the committed prefix), and its log agrees with it.
 * - `INV-11` Configuration safety: at most one uncommitted configuration entry in a leader's
 *   log; every node acts on the latest configuration in its log; a leader's election and
 *   every commit it makes are backed by a majority of each half of that configuration (both
 *   C_old and C_new while joint); a snapshot carries the configuration in force at its index.
 * - `INV-12` No message promises state that is not durable (votes, append acks), and a leader
 *   commits only entries durable on a quorum.
 * - `INV-13` Bounded resources (in-flight appends, uncommitted bytes, and no
 *   message storm: the events of one tick stay under `maxEventsPerTick`).
 * - `HOST` the core broke the host contract (for example a non-contiguous append) or its own
 *   `checkInvariants()` failed.
 */
export type InvariantId =
  | 'INV-1'
  | 'INV-2'
  | 'INV-3'
  | 'INV-4'
  | 'INV-5'
  | 'INV-6'
  | 'INV-7'
  | 'INV-8'
  | 'INV-10'
  | 'INV-11'
  | 'INV-12'
  | 'INV-13'
  | 'HOST'
  | 'LIVENESS';

/** Everything needed to replay a violation. */
export interface ViolationContext {
  /** The run's seed. */
  readonly seed: number;
  /** Simulated tick at which it was found. */
  readonly tick: number;
  /** The node involved, if one is. */
  readonly node: NodeId | undefined;
  /** The most recent trace lines, oldest first. */
  readonly trace: readonly string[];
}

/**
 * Thrown when a simulation breaks a safety or liveness property. Code `ILLEGAL_STATE`. The
 * message names the invariant, the seed and the tick; {@link InvariantViolationError.trace}
 * holds the recent event trace (the message repeats its tail) so the failure can be replayed
 * with the same seed and scenario.
 */
export class InvariantViolationError extends IllegalStateError {
  /** Which invariant failed. */
  readonly invariant: InvariantId;
  /** The run's seed. */
  readonly seed: number;
  /** Simulated tick of the failure. */
  readonly tick: number;
  /** The node involved, if one is. */
  readonly node: NodeId | undefined;
  /** Recent trace lines, oldest first. */
  readonly trace: readonly string[];

  constructor(invariant: InvariantId, detail: string, context: ViolationContext, options: { cause?: unknown } = {}) {
    const tail = context.trace.slice(-40).join('\n  ');
    super(
      `${invariant} violated: ${detail} (seed ${context.seed}, tick ${context.tick}${context.node === undefined ? '' : `, node ${context.node}`})\nrecent trace:\n  ${tail}`,
      options,
    );
    this.name = 'InvariantViolationError';
    this.invariant = invariant;
    this.seed = context.seed;
    this.tick = context.tick;
    this.node = context.node;
    this.trace = context.trace;
  }
}
