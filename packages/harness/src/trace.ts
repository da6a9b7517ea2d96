import { type NodeId, RAFT_MESSAGE_TYPES, type RaftInput, type RaftMessageType } from '@raft/abstractions';
import { RunningHash } from './hash.js';

/** What a trace line records. */
export type TraceKind =
  | 'input'
  | 'crash'
  | 'restart'
  | 'fault'
  | 'propose'
  | 'acknowledged'
  | 'leader'
  | 'snapshot'
  | 'membership'
  | 'note';

const KIND_CODE: Record<TraceKind, number> = {
  input: 1,
  crash: 2,
  restart: 3,
  fault: 4,
  propose: 5,
  acknowledged: 6,
  leader: 7,
  note: 8,
  snapshot: 9,
  membership: 10,
};

const INPUT_CODE: Record<RaftInput['type'], number> = {
  tick: 1,
  message: 2,
  propose: 3,
  read: 4,
  changeConfiguration: 5,
  transferLeadership: 6,
  metaPersisted: 7,
  logPersisted: 8,
  applied: 9,
  snapshotSaved: 10,
  snapshotInstalled: 11,
  persistenceFailed: 12,
};

/** A message type's code in the trace hash: its position in `RAFT_MESSAGE_TYPES`, from 1. */
const MESSAGE_CODE = Object.fromEntries(RAFT_MESSAGE_TYPES.map((type, i) => [type, i + 1])) as Record<RaftMessageType, number>;

interface Slot {
  time: number;
  node: NodeId | undefined;
  kind: TraceKind;
  input: RaftInput | undefined;
  effects: number;
  detail: string;
}

/**
 * The run's event trace: a running hash over every recorded step (two runs with the same
 * seed and scenario must end with the same hash) and a ring buffer of the most recent steps,
 * formatted only when a failure needs them.
 */
export class TraceRecorder {
  private readonly hash = new RunningHash();
  private readonly ring: Slot[];
  private next = 0;
  private count = 0;

  constructor(capacity = 200) {
    this.ring = Array.from({ length: Math.max(1, capacity) }, () => ({
      time: 0,
      node: undefined,
      kind: 'note' as TraceKind,
      input: undefined,
      effects: 0,
      detail: '',
    }));
  }

  /** Steps recorded so far. */
  get length(): number {
    return this.count;
  }

  /**
   * Records one input delivered to a node and the number of effects it produced.
   * `nodeIndex` keeps the hash cheap (no string hashing on the hot path).
   */
  input(time: number, node: NodeId, nodeIndex: number, input: RaftInput, effects: number, effectCode: number): void {
    const h = this.hash.int(time).int(KIND_CODE.input).int(nodeIndex).int(INPUT_CODE[input.type]).int(effects).int(effectCode);
    if (input.type === 'message') {
      const m = input.message;
      h.int(MESSAGE_CODE[m.type]).int(m.term);
      if (m.type === 'AppendEntries') h.int(m.prevLogIndex).int(m.entries.length).int(m.leaderCommit);
      else if (m.type === 'AppendEntriesResponse') h.int(m.matchIndex).int(m.success ? 1 : 0);
      else if (m.type === 'RequestVoteResponse') h.int(m.granted ? 1 : 0);
    }
    else if (input.type === 'logPersisted') h.int(input.upTo);
    else if (input.type === 'applied') h.int(input.upTo);
    else if (input.type === 'snapshotSaved' || input.type === 'snapshotInstalled') h.int(input.lastIncludedIndex).int(input.lastIncludedTerm);
    this.store(time, node, 'input', input, effects, '');
  }

  /** Records a harness-level event (fault, crash, restart, proposal…) with a description. */
  event(time: number, node: NodeId | undefined, kind: TraceKind, detail: string): void {
    this.hash.int(time).int(KIND_CODE[kind]).string(node ?? '').string(detail);
    this.store(time, node, kind, undefined, 0, detail);
  }

  /** The trace hash so far, as 16 hex digits. */
  digest(): string {
    return this.hash.hex();
  }

  /** The most recent `limit` steps, oldest first, one line each. */
  recent(limit: number = this.ring.length): string[] {
    const n = Math.min(limit, this.count, this.ring.length);
    const lines: string[] = [];
    for (let i = n; i > 0; i--) {
      const slot = this.ring[(this.next - i + this.ring.length * 2) % this.ring.length] as Slot;
      lines.push(formatSlot(slot));
    }
    return lines;
  }

  private store(time: number, node: NodeId | undefined, kind: TraceKind, input: RaftInput | undefined, effects: number, detail: string): void {
    const slot = this.ring[this.next] as Slot;
    slot.time = time;
    slot.node = node;
    slot.kind = kind;
    slot.input = input;
    slot.effects = effects;
    slot.detail = detail;
    this.next = (this.next + 1) % this.ring.length;
    this.count++;
  }
}

function formatSlot(slot: Slot): string {
  const head = `t=${slot.time} ${slot.node ?? '-'} ${slot.kind}`;
  if (slot.input === undefined) return `${head} ${slot.detail}`;
  return `${head} ${describeInput(slot.input)} -> ${slot.effects} effects`;
}

/** A one-line description of an input, for traces and error messages. */
export function describeInput(input: RaftInput): string {
  switch (input.type) {
    case 'message': {
      const m = input.message;
      switch (m.type) {
        case 'AppendEntries':
          return `${m.type} ${m.from}->${m.to} term=${m.term} prev=${m.prevLogIndex}/${m.prevLogTerm} entries=${m.entries.length} commit=${m.leaderCommit}`;
        case 'AppendEntriesResponse':
          return `${m.type} ${m.from}->${m.to} term=${m.term} success=${m.success} match=${m.matchIndex} last=${m.lastLogIndex}`;
        case 'RequestVote':
          return `${m.type} ${m.from}->${m.to} term=${m.term} pre=${m.preVote} last=${m.lastLogIndex}/${m.lastLogTerm}`;
        case 'RequestVoteResponse':
          return `${m.type} ${m.from}->${m.to} term=${m.term} pre=${m.preVote} granted=${m.granted}`;
        case 'InstallSnapshot':
          return `${m.type} ${m.from}->${m.to} term=${m.term} at=${m.lastIncludedIndex}/${m.lastIncludedTerm} offset=${m.offset} done=${m.done}`;
        case 'InstallSnapshotResponse':
          return `${m.type} ${m.from}->${m.to} term=${m.term} at=${m.lastIncludedIndex} installed=${m.installed}`;
        case 'TimeoutNow':
          return `${m.type} ${m.from}->${m.to} term=${m.term}`;
      }
      return 'message';
    }
    case 'metaPersisted':
      return `metaPersisted term=${input.meta.currentTerm} vote=${input.meta.votedFor ?? '-'}`;
    case 'logPersisted':
      return `logPersisted upTo=${input.upTo} term=${input.term}`;
    case 'applied':
      return `applied upTo=${input.upTo}`;
    case 'propose':
      return `propose #${input.requestId} ${input.payload.byteLength}B`;
    case 'snapshotSaved':
    case 'snapshotInstalled':
      return `${input.type} ${input.lastIncludedIndex}/${input.lastIncludedTerm}`;
    case 'changeConfiguration': {
      const c = input.change;
      return `changeConfiguration #${input.requestId} ${c.type === 'setMembers' ? `setMembers voters=${c.voters.join(',')} learners=${c.learners.join(',')}` : `${c.type} ${c.nodeId}`}`;
    }
    case 'transferLeadership':
      return `transferLeadership #${input.requestId} to ${input.target ?? 'most up-to-date voter'}`;
    default:
      return input.type;
  }
}
