import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CommandTooLargeError,
  ConfigurationError,
  LogIndex,
  MailboxFullError,
  NodeId,
  RAFT_ERROR_CODES,
  RaftError,
  StorageError,
  Term,
  isRaftError,
} from '../src/index.js';

describe('RaftError', () => {
  it('carries a stable code, a name and the retryable flag', () => {
    const error = new MailboxFullError(8);
    expect(error).toBeInstanceOf(RaftError);
    expect(error.code).toBe('MAILBOX_FULL');
    expect(error.name).toBe('MailboxFullError');
    expect(error.retryable).toBe(true);
    expect(new CommandTooLargeError(10, 5).retryable).toBe(false);
  });

  it('keeps the ES2022 cause', () => {
    const cause = new Error('EIO');
    expect(new StorageError('STORAGE_IO_FAILED', 'fsync failed', { cause }).cause).toBe(cause);
  });

  it('names the wrong option in a ConfigurationError', () => {
    const error = new ConfigurationError('heartbeatTicks', 'must be below electionTicks');
    expect(error.option).toBe('heartbeatTicks');
    expect(error.message).toContain('heartbeatTicks');
  });

  it('is recognised by code, not by class, so duplicated package copies agree', () => {
    const foreign = Object.assign(new Error('x'), { code: 'MAILBOX_FULL' });
    expect(isRaftError(foreign)).toBe(true);
    expect(isRaftError(foreign, 'MAILBOX_FULL')).toBe(true);
    expect(isRaftError(foreign, 'NODE_STOPPED')).toBe(false);
    expect(isRaftError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isRaftError('MAILBOX_FULL')).toBe(false);
  });

  it('documents every code in docs/reference/errors.md and documents no unknown code', () => {
    const doc = readFileSync(new URL('../../../docs/reference/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...RAFT_ERROR_CODES].sort());
  });
});

describe('branded constructors', () => {
  it('accept valid values', () => {
    expect(NodeId('n1')).toBe('n1');
    expect(Term(0)).toBe(0);
    expect(LogIndex(2 ** 53 - 1)).toBe(2 ** 53 - 1);
  });

  it('reject invalid values with INVALID_ARGUMENT', () => {
    for (const bad of [() => NodeId(''), () => Term(-1), () => Term(1.5), () => LogIndex(2 ** 53), () => LogIndex(Number.NaN)]) {
      expect(bad).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
