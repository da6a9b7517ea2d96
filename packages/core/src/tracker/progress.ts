import type { ClusterConfiguration, LogIndex, NodeId, ProgressState, Term } from '@raft/abstractions';
import { Inflights } from './inflights.js';

/**
 * The leader's view of one follower (etcd `tracker.Progress`). Progress state transitions
 * happen only here:
 * - `probe`: the leader does not know where the follower's log matches; it sends one
 *   AppendEntries at a time (then pauses until a response or the next heartbeat).
 * - `replicate`: the match point is known; entries are streamed optimistically, bounded by
 *   the {@link Inflights} window.
 * - `snapshot`: the entries the follower needs are compacted; it must receive a snapshot.
 *
 * Invariant: `matchIndex < nextIndex`; `matchIndex` never decreases within a term (a stale or
 * reordered response never moves it back, reliability.md B7).
 */
export class Progress {
  readonly nodeId: NodeId;
  state: ProgressState = 'probe';
  matchIndex: LogIndex = 0 as LogIndex;
  nextIndex: LogIndex;
  /** In `probe`: an AppendEntries is out and unanswered; wait for a response or heartbeat. */
  probeSent = false;
  /** Heard from within the current check-quorum window (dissertation §6.2). */
  recentlyActive = false;
  /** Highest AppendEntries `seq` the follower answered in this term (read index, §6.4). */
  ackedSeq = 0;
  /** In `snapshot`: the snapshot index the follower is being sent. */
  pendingSnapshot: LogIndex = 0 as LogIndex;
  /** In `snapshot`: the snapshot being sent (it may be older than the newest one). */
  snapshotBeingSent: { readonly index: LogIndex; readonly term: Term; readonly configuration: ClusterConfiguration } | undefined;
  /** In `snapshot`: the byte offset the follower asked for next (one chunk in flight). */
  snapshotOffset = 0;
  /** In `snapshot`: ticks since the follower last answered a chunk (retry after a timeout). */
  snapshotIdleTicks = 0;
  readonly inflights: Inflights;
  learner: boolean;

  constructor(nodeId: NodeId, nextIndex: LogIndex, learner: boolean, maxInflightMessages: number, maxInflightBytes: number) {
    this.nodeId = nodeId;
    this.nextIndex = nextIndex;
    this.learner = learner;
    this.inflights = new Inflights(maxInflightMessages, maxInflightBytes);
  }

  /** `true` when the leader should not send entries now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // Resume after the snapshot the follower now has (etcd BecomeProbe).
      this.nextIndex = (Math.max(this.matchIndex, this.pendingSnapshot) + 1) as LogIndex;
      this.pendingSnapshot = 0 as LogIndex;
    } else {
      this.nextIndex = (this.matchIndex + 1) as LogIndex;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.nextIndex = (this.matchIndex + 1) as LogIndex;
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.state = 'snapshot';
    this.pendingSnapshot = snapshotIndex;
    this.snapshotOffset = 0;
    this.snapshotIdleTicks = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  /**
   * Records that the follower's log matches up to `index`. Returns `true` when this moved the
   * match index forward (a stale acknowledgement changes nothing).
   */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (index > this.matchIndex) {
      this.matchIndex = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.nextIndex < index + 1) this.nextIndex = (index + 1) as LogIndex;
    return updated;
  }

  /** Records that an AppendEntries carrying entries up to `lastIndex` was sent. */
  sentEntries(lastIndex: LogIndex, bytes: number): void {
    if (this.state === 'replicate') {
      this.nextIndex = (lastIndex + 1) as LogIndex;
      this.inflights.add(lastIndex, bytes);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * Handles a rejection of the AppendEntries whose `prevLogIndex` was `rejected`, moving
   * `nextIndex` back to `hint` (clamped to `(matchIndex, rejected]`). Returns `false` when
   * the rejection is stale (etcd `MaybeDecrTo`).
   */
  maybeDecreaseTo(rejected: LogIndex, hint: LogIndex): boolean {
    if (this.state === 'snapshot') return false;
    if (this.state === 'replicate') {
      // The rejection must be about an index above the match point; older ones are stale.
      if (rejected <= this.matchIndex) return false;
      this.becomeProbe();
      this.nextIndex = Math.max(this.matchIndex + 1, Math.min(rejected, hint)) as LogIndex;
      return true;
    }
    // In probe only a rejection of the last probe counts.
    if (this.nextIndex - 1 !== rejected) return false;
    this.nextIndex = Math.max(this.matchIndex + 1, Math.min(rejected, hint)) as LogIndex;
    this.probeSent = false;
    return true;
  }
}
