import { NodeId } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RAFT_OPTIONS, RaftNodeState, resolveRaftOptions } from '../src/index.js';

const id = NodeId('n1');

describe('options', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveRaftOptions({ id });
    expect(resolved).toMatchObject(DEFAULT_RAFT_OPTIONS);
    expect(Number.isSafeInteger(resolved.seed)).toBe(true);
    expect(resolveRaftOptions({ id }).seed).toBe(resolved.seed);
  });

  it.each([
    ['electionTicks', { electionTicks: 0 }],
    ['electionTicks', { electionTicks: 2.5 }],
    ['heartbeatTicks', { heartbeatTicks: 10, electionTicks: 10 }],
    ['maxInflightMessages', { maxInflightMessages: 0 }],
    ['maxMessageBytes', { maxMessageBytes: -1 }],
    ['maxUncommittedBytes', { maxUncommittedBytes: -5 }],
    ['maxInflightBytes', { maxInflightBytes: Number.NaN }],
    ['seed', { seed: 1.5 }],
  ])('rejects a bad %s with a ConfigurationError naming it', (option, bad) => {
    expect(() => new RaftNodeState({ id, ...bad })).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option }));
  });

  it('rejects an empty id', () => {
    expect(() => resolveRaftOptions({ id: '' as NodeId })).toThrowError(expect.objectContaining({ option: 'id' }));
  });
});
