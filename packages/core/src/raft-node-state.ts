import {
  type FollowerProgress,
  LogIndex,
  type LogEntry,
  type RaftInput,
  type RaftOutput,
  type RaftStatus,
} from '@raft/abstractions';
import type { RaftBootState } from './boot-state.js';
import { checkInvariants } from './invariants.js';
import { type RaftNodeOptions, resolveRaftOptions } from './options.js';
import { Raft } from './raft.js';
import { step } from './step.js';

/**
 * The Raft protocol for one node as a pure state machine: feed it inputs, carry out the
 * effects it returns, report completions back as inputs. No I/O, no clock, no randomness of
 * its own (the election-timeout PRNG is seeded from the options), so the same options, boot
 * state and inputs always produce the same outputs.
 *
 * @example
 * ```ts
 * const node = new RaftNodeState({ id: NodeId('n1') }, { configuration: { voters: ids, learners: [] } });
 * const { effects, events } = node.process({ type: 'tick' });
 * ```
 */
export class RaftNodeState {
  readonly #raft: Raft;

  /**
   * @param options tunables, validated here.
   * @param boot what the host recovered from durable storage (all of it durable).
   * @throws ConfigurationError naming the first invalid option.
   */
  constructor(options: RaftNodeOptions, boot: RaftBootState = {}) {
    this.#raft = new Raft(resolveRaftOptions(options), boot);
  }

  /**
   * Handles one input and returns the effects to start, in order, and the events that
   * happened. Never throws for untrusted input (messages); throws `IllegalStateError` only
   * when the embedding code breaks the host contract.
   */
  process(input: RaftInput): RaftOutput {
    step(this.#raft, input);
    return this.#raft.takeOutput();
  }

  /** A copy of the node's state, for inspection. */
  status(): RaftStatus {
    const r = this.#raft;
    const progress: FollowerProgress[] = r.peers.map((pr) => ({
      nodeId: pr.nodeId,
      state: pr.state,
      matchIndex: pr.matchIndex,
      nextIndex: pr.nextIndex,
      inflightMessages: pr.inflights.count(),
      recentlyActive: pr.recentlyActive,
      learner: pr.learner,
    }));
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      votedFor: r.votedFor,
      leaderId: r.leaderId,
      commitIndex: r.commitIndex,
      appliedIndex: r.appliedIndex,
      persistedIndex: r.durability.persistedIndex(),
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
      snapshotIndex: r.snapshot?.index ?? r.log.snapshotIndex,
      configuration: structuredCloneConfiguration(r.configuration),
      progress,
      uncommittedBytes: r.uncommittedBytes,
      transferTarget: r.transfer?.target,
      failed: r.failed,
    };
  }

  /** The log entries in `[from, to]` the node holds in memory (default: all of them). */
  entries(from: LogIndex = LogIndex(0), to: LogIndex = LogIndex(Number.MAX_SAFE_INTEGER)): LogEntry[] {
    return this.#raft.log.slice(from, to);
  }

  /** Checks the node-local invariants; throws `IllegalStateError` naming the broken one. */
  checkInvariants(): void {
    checkInvariants(this.#raft);
  }
}

function structuredCloneConfiguration(c: RaftStatus['configuration']): RaftStatus['configuration'] {
  return {
    voters: [...c.voters],
    learners: [...c.learners],
    ...(c.oldVoters === undefined ? {} : { oldVoters: [...c.oldVoters] }),
  };
}
