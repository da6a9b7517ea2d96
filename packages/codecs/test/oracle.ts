/**
 * An independent statement of what a valid RaftMessage is (from the types and doc comments in
 * @raft/abstractions), used to judge what the decoder returns. Deliberately written without
 * reference to the decoder's code.
 */
import type { RaftMessage } from '@raft/abstractions';

type Check = (value: unknown, path: string) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nat: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && !Object.is(v, -0) ? undefined : `${p}: not a non-negative safe integer: ${String(v)}`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p}: not a boolean`);
const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p}: not a string`);
const bytes: Check = (v, p) => (v instanceof Uint8Array ? undefined : `${p}: not a Uint8Array`);
const id: Check = (v, p) => (typeof v === 'string' && v.length >= 1 && v.length <= 255 ? undefined : `${p}: not a node id: ${JSON.stringify(v)}`);
const ids: Check = (v, p) => {
  if (!Array.isArray(v)) return `${p}: not an array`;
  for (let i = 0; i < v.length; i++) {
    const problem = id(v[i], `${p}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
};

function shape(v: unknown, path: string, required: Record<string, Check>, optional: Record<string, Check> = {}): string | undefined {
  if (!isObject(v)) return `${path}: not an object`;
  for (const key of Object.keys(v)) if (!(key in required) && !(key in optional)) return `${path}.${key}: unexpected property`;
  for (const [key, check] of Object.entries(required)) {
    if (!Object.hasOwn(v, key)) return `${path}.${key}: missing`;
    const problem = check(v[key], `${path}.${key}`);
    if (problem) return problem;
  }
  for (const [key, check] of Object.entries(optional)) {
    if (!Object.hasOwn(v, key)) continue;
    const problem = check(v[key], `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

const configuration: Check = (v, p) => {
  const problem = shape(v, p, { voters: ids, learners: ids }, { oldVoters: ids });
  if (problem) return problem;
  const c = v as { voters: string[]; learners: string[]; oldVoters?: string[] };
  const members = [...c.voters, ...c.learners];
  if (new Set(members).size !== members.length) return `${p}: a member appears twice across voters and learners`;
  if (c.oldVoters && new Set(c.oldVoters).size !== c.oldVoters.length) return `${p}: duplicate in oldVoters`;
  return undefined;
};

const client: Check = (v, p) => shape(v, p, { clientId: str, sequence: nat });

const entry: Check = (v, p) => {
  if (!isObject(v)) return `${p}: not an object`;
  switch (v.kind) {
    case 'command':
      return shape(v, p, { kind: str, index: nat, term: nat, payload: bytes }, { correlationId: str, client });
    case 'configuration':
      return shape(v, p, { kind: str, index: nat, term: nat, configuration });
    case 'noop':
      return shape(v, p, { kind: str, index: nat, term: nat });
    default:
      return `${p}.kind: unknown ${String(v.kind)}`;
  }
};

const base = { type: str, from: id, to: id, term: nat };

/** Every problem-free RaftMessage returns `undefined`; otherwise the first problem found. */
export function messageProblem(m: unknown): string | undefined {
  if (!isObject(m)) return 'not an object';
  switch (m.type) {
    case 'RequestVote':
      return shape(m, 'RequestVote', { ...base, lastLogIndex: nat, lastLogTerm: nat, preVote: bool, leadershipTransfer: bool });
    case 'RequestVoteResponse':
      return shape(m, 'RequestVoteResponse', { ...base, granted: bool, preVote: bool });
    case 'AppendEntries': {
      const problem = shape(m, 'AppendEntries', {
        ...base,
        prevLogIndex: nat,
        prevLogTerm: nat,
        leaderCommit: nat,
        seq: nat,
        entries: (v, p) => (Array.isArray(v) ? v.map((e, i) => entry(e, `${p}[${i}]`)).find(Boolean) : `${p}: not an array`),
      });
      if (problem) return problem;
      const { prevLogIndex, entries } = m as unknown as { prevLogIndex: number; entries: { index: number }[] };
      const gap = entries.findIndex((e, i) => e.index !== prevLogIndex + 1 + i);
      return gap === -1 ? undefined : `AppendEntries.entries[${gap}]: not contiguous from prevLogIndex + 1`;
    }
    case 'AppendEntriesResponse':
      return shape(m, 'AppendEntriesResponse', { ...base, success: bool, matchIndex: nat, lastLogIndex: nat, seq: nat }, { conflictTerm: nat, conflictIndex: nat });
    case 'InstallSnapshot': {
      const problem = shape(m, 'InstallSnapshot', {
        ...base,
        lastIncludedIndex: nat,
        lastIncludedTerm: nat,
        configuration,
        offset: nat,
        data: bytes,
        done: bool,
        size: nat,
      });
      if (problem) return problem;
      const s = m as unknown as { offset: number; size: number; data: Uint8Array };
      return s.offset + s.data.byteLength <= s.size ? undefined : 'InstallSnapshot: chunk extends past size';
    }
    case 'InstallSnapshotResponse':
      return shape(m, 'InstallSnapshotResponse', { ...base, lastIncludedIndex: nat, nextOffset: nat, installed: bool });
    case 'TimeoutNow':
      return shape(m, 'TimeoutNow', base);
    default:
      return `unknown type ${String(m.type)}`;
  }
}

/** Narrowing form of {@link messageProblem}. */
export function isValidMessage(m: unknown): m is RaftMessage {
  return messageProblem(m) === undefined;
}
