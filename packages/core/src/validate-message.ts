import type { ClusterConfiguration, LogEntry, RaftMessage } from '@raft/abstractions';

/**
 * Structural validation of a received message (untrusted input, DESIGN.md "The core
 * contract"): returns `undefined` when the message is well-formed, else a short reason. The
 * core drops malformed messages and reports them as events; it never throws for them.
 */
export function validateMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'not an object';
  const m = message as Record<string, unknown>;
  if (!isId(m.from) || !isId(m.to)) return 'bad from/to';
  if (!isCount(m.term)) return 'bad term';
  switch (m.type) {
    case 'RequestVote':
      if (!isCount(m.lastLogIndex) || !isCount(m.lastLogTerm)) return 'bad last log position';
      if (typeof m.preVote !== 'boolean' || typeof m.leadershipTransfer !== 'boolean') return 'bad flags';
      return undefined;
    case 'RequestVoteResponse':
      if (typeof m.granted !== 'boolean' || typeof m.preVote !== 'boolean') return 'bad flags';
      return undefined;
    case 'AppendEntries':
      return validateAppendEntries(m);
    case 'AppendEntriesResponse':
      if (typeof m.success !== 'boolean' || !isCount(m.matchIndex) || !isCount(m.lastLogIndex) || !isCount(m.seq)) {
        return 'bad response fields';
      }
      if (m.conflictTerm !== undefined && !isCount(m.conflictTerm)) return 'bad conflictTerm';
      if (m.conflictIndex !== undefined && !isCount(m.conflictIndex)) return 'bad conflictIndex';
      return undefined;
    case 'InstallSnapshot':
      if (!isCount(m.lastIncludedIndex) || !isCount(m.lastIncludedTerm) || !isCount(m.offset) || !isCount(m.size)) {
        return 'bad snapshot position';
      }
      if (!(m.data instanceof Uint8Array) || typeof m.done !== 'boolean') return 'bad snapshot chunk';
      if (!isConfiguration(m.configuration)) return 'bad configuration';
      if ((m.offset as number) + m.data.byteLength > (m.size as number)) return 'chunk beyond snapshot size';
      return undefined;
    case 'InstallSnapshotResponse':
      if (!isCount(m.lastIncludedIndex) || !isCount(m.nextOffset) || typeof m.installed !== 'boolean') return 'bad fields';
      return undefined;
    case 'TimeoutNow':
      return undefined;
    default:
      return 'unknown message type';
  }
}

/** The message type when it is one we know, for events about dropped messages. */
export function knownMessageType(message: unknown): RaftMessage['type'] | 'unknown' {
  const type = (message as { type?: unknown } | null)?.type;
  switch (type) {
    case 'RequestVote':
    case 'RequestVoteResponse':
    case 'AppendEntries':
    case 'AppendEntriesResponse':
    case 'InstallSnapshot':
    case 'InstallSnapshotResponse':
    case 'TimeoutNow':
      return type;
    default:
      return 'unknown';
  }
}

function validateAppendEntries(m: Record<string, unknown>): string | undefined {
  if (!isCount(m.prevLogIndex) || !isCount(m.prevLogTerm) || !isCount(m.leaderCommit) || !isCount(m.seq)) {
    return 'bad append fields';
  }
  if (!Array.isArray(m.entries)) return 'entries not an array';
  const prevIndex = m.prevLogIndex as number;
  let lastTerm = m.prevLogTerm as number;
  const term = m.term as number;
  for (let i = 0; i < m.entries.length; i++) {
    const reason = validateEntry(m.entries[i]);
    if (reason !== undefined) return reason;
    const entry = m.entries[i] as LogEntry;
    // Entries are contiguous after prevLogIndex, with terms that never decrease and never
    // exceed the sender's term (§5.3).
    if (entry.index !== prevIndex + 1 + i) return 'entries not contiguous';
    if (entry.term < lastTerm || entry.term > term) return 'entry terms out of order';
    lastTerm = entry.term;
  }
  return undefined;
}

function validateEntry(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'entry not an object';
  const e = value as Record<string, unknown>;
  if (!isCount(e.index) || (e.index as number) < 1 || !isCount(e.term) || (e.term as number) < 1) return 'bad entry position';
  switch (e.kind) {
    case 'command':
      if (!(e.payload instanceof Uint8Array)) return 'bad payload';
      if (e.correlationId !== undefined && typeof e.correlationId !== 'string') return 'bad correlationId';
      if (e.client !== undefined) {
        const c = e.client as Record<string, unknown> | null;
        if (typeof c !== 'object' || c === null || typeof c.clientId !== 'string' || !isCount(c.sequence)) return 'bad client';
      }
      return undefined;
    case 'configuration':
      return isConfiguration(e.configuration) ? undefined : 'bad configuration';
    case 'noop':
      return undefined;
    default:
      return 'bad entry kind';
  }
}

function isConfiguration(value: unknown): value is ClusterConfiguration {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  if (!isIdList(c.voters) || !isIdList(c.learners)) return false;
  return c.oldVoters === undefined || isIdList(c.oldVoters);
}

function isIdList(value: unknown): boolean {
  return Array.isArray(value) && value.every(isId);
}

function isId(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= 255;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
