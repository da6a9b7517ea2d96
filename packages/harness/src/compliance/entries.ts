import { type LogEntry, LogIndex, NodeId, Term } from '@raft/abstractions';

/**
 * A log entry for compliance tests, of a kind chosen from `index` so that every kind and every
 * optional field is exercised: commands (with and without correlation id and client identity,
 * empty and non-empty payloads), configuration entries (simple and joint) and no-ops.
 */
export function sampleEntry(index: number, term: number, payloadBytes = 16): LogEntry {
  const base = { index: LogIndex(index), term: Term(term) };
  switch (index % 7) {
    case 3:
      return { ...base, kind: 'noop' };
    case 5:
      return {
        ...base,
        kind: 'configuration',
        configuration: { voters: [NodeId('n1'), NodeId('n2'), NodeId(`n${index}`)], learners: [NodeId('l1')] },
      };
    case 6:
      return {
        ...base,
        kind: 'configuration',
        configuration: { voters: [NodeId('n1'), NodeId('n4')], oldVoters: [NodeId('n1'), NodeId('n2'), NodeId('n3')], learners: [] },
      };
    default: {
      const payload = new Uint8Array(index % 4 === 0 ? 0 : payloadBytes);
      for (let i = 0; i < payload.length; i++) payload[i] = (index * 31 + i * 7) & 0xff;
      if (index % 7 === 1) return { ...base, kind: 'command', payload, correlationId: `c-${index}`, client: { clientId: `client-${term}`, sequence: index * 3 } };
      if (index % 7 === 2) return { ...base, kind: 'command', payload, correlationId: `é-${index}-ü` };
      return { ...base, kind: 'command', payload };
    }
  }
}

/** Entries `from..to` (inclusive), all with `term`. */
export function sampleEntries(from: number, to: number, term: number, payloadBytes = 16): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let i = from; i <= to; i++) entries.push(sampleEntry(i, term, payloadBytes));
  return entries;
}
