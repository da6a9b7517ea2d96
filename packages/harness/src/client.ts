import type { LogEntry, LogIndex, NodeId, ProposalResult, Term } from '@raft/abstractions';

/** A proposal the client model saw committed: the proposer applied its entry at (index, term). */
export interface AcknowledgedProposal {
  /** The client request (stable across retries). */
  readonly requestId: number;
  readonly payload: Uint8Array;
  /** Where it committed. */
  readonly index: LogIndex;
  readonly term: Term;
  /** The leader that appended it and applied it. */
  readonly node: NodeId;
  /** Tick at which the acknowledgement was observed. */
  readonly tick: number;
}

/** One outstanding attempt: a leader said `appended` at (index, term). */
interface Attempt {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: LogIndex;
  readonly term: Term;
  readonly since: number;
}

interface Request {
  readonly requestId: number;
  readonly payload: Uint8Array;
  attempts: Attempt[];
  retryAt: number;
  acknowledged: boolean;
}

/** What the client model needs from the cluster. */
export interface ClientHost {
  readonly now: number;
  findLeader(): NodeId | undefined;
  incarnationOf(id: NodeId): number;
  /** Proposes on a live node; the synchronous result, if the core produced one. */
  proposeOn(id: NodeId, payload: Uint8Array): ProposalResult | undefined;
  /** Records a line in the trace. */
  note(node: NodeId | undefined, kind: 'propose' | 'acknowledged', detail: string): void;
}

/** Tuning of the client model. */
export interface ClientOptions {
  /** Ticks to wait before retrying a request that was redirected or refused. @default 2 */
  readonly retryTicks: number;
  /** Ticks after which an appended but unacknowledged attempt is retried elsewhere (the old attempt still counts if it commits). @default 40 */
  readonly attemptTimeoutTicks: number;
}

/**
 * The test client (reliability notes INV-8): it submits proposals to the current leader,
 * retries them when redirected, refused, timed out or when the proposer crashed, and records
 * each acknowledged commit. Acknowledged means the proposer's node applied the entry at the
 * appended index with the appended term (the `appended` result's meaning). There are no
 * client sessions, so a retried request may be applied twice; what must never happen is an
 * acknowledged request missing from a live node's applied entries after faults heal.
 */
export class ClientModel {
  private readonly host: ClientHost;
  private readonly options: ClientOptions;
  private readonly requests: Request[] = [];
  private readonly open: Request[] = [];
  private readonly acks: AcknowledgedProposal[] = [];
  private nextId = 1;
  /** Proposals handed to a leader (every attempt counts). */
  attemptsMade = 0;

  constructor(host: ClientHost, options: Partial<ClientOptions> = {}) {
    this.host = host;
    this.options = { retryTicks: options.retryTicks ?? 2, attemptTimeoutTicks: options.attemptTimeoutTicks ?? 40 };
  }

  /** Queues a proposal (sent at once if a leader is known). Returns its request id. */
  submit(payload?: Uint8Array): number {
    const requestId = this.nextId++;
    const request: Request = {
      requestId,
      payload: payload ?? new TextEncoder().encode(`cmd-${requestId}`),
      attempts: [],
      retryAt: this.host.now,
      acknowledged: false,
    };
    this.requests.push(request);
    this.open.push(request);
    this.tryRequest(request);
    return requestId;
  }

  /** Every acknowledged proposal, in acknowledgement order. */
  acknowledged(): readonly AcknowledgedProposal[] {
    return this.acks;
  }

  /** Requests not yet acknowledged. */
  pendingCount(): number {
    return this.open.length;
  }

  /** Requests submitted so far. */
  submittedCount(): number {
    return this.requests.length;
  }

  /** Called once per tick: retries whatever is due. */
  step(): void {
    if (this.open.length === 0) return;
    for (const request of [...this.open]) {
      if (request.acknowledged) continue;
      const now = this.host.now;
      const live = request.attempts.filter((a) => now - a.since < this.options.attemptTimeoutTicks);
      if (live.length === 0 && now >= request.retryAt) this.tryRequest(request);
    }
  }

  /** Called for every entry a node applies: resolves attempts waiting on (node, index). */
  onApplied(node: NodeId, entry: LogEntry): void {
    if (this.open.length === 0) return;
    for (let i = 0; i < this.open.length; i++) {
      const request = this.open[i] as Request;
      for (const attempt of request.attempts) {
        if (attempt.node !== node || attempt.index !== entry.index) continue;
        if (attempt.incarnation !== this.host.incarnationOf(node)) continue;
        if (entry.term === attempt.term) {
          request.acknowledged = true;
          this.acks.push({
            requestId: request.requestId,
            payload: request.payload,
            index: attempt.index,
            term: attempt.term,
            node,
            tick: this.host.now,
          });
          this.host.note(node, 'acknowledged', `request ${request.requestId} at ${attempt.index}/${attempt.term}`);
          this.open.splice(i, 1);
          i--;
          break;
        }
        // A different entry committed there: this attempt is definitely lost.
        request.attempts = request.attempts.filter((a) => a !== attempt);
        request.retryAt = this.host.now;
        break;
      }
    }
  }

  /** The node crashed: its attempts can no longer be acknowledged by it (they may still commit). */
  onCrash(node: NodeId): void {
    for (const request of this.open) {
      const kept = request.attempts.filter((a) => a.node !== node);
      if (kept.length !== request.attempts.length) {
        request.attempts = kept;
        request.retryAt = this.host.now;
      }
    }
  }

  private tryRequest(request: Request): void {
    const leader = this.host.findLeader();
    if (leader === undefined) {
      request.retryAt = this.host.now + this.options.retryTicks;
      return;
    }
    this.attemptsMade++;
    const result = this.host.proposeOn(leader, request.payload);
    if (result?.status === 'appended') {
      request.attempts.push({
        node: leader,
        incarnation: this.host.incarnationOf(leader),
        index: result.index,
        term: result.term,
        since: this.host.now,
      });
      this.host.note(leader, 'propose', `request ${request.requestId} appended at ${result.index}/${result.term}`);
    } else {
      request.retryAt = this.host.now + this.options.retryTicks;
    }
  }
}
