import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RAFT_EVENT_TYPES, type RaftEvent, type RaftEventType } from '@raft/abstractions';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_EVENT_LEVELS, pinoEventSink } from '../src/index.js';
import { EVENT_FIELDS } from '../src/internal/event-fields.js';
import { SAMPLE_EVENTS, n1, n2, record } from './fixtures.js';

/** A destination that keeps every line written. */
function lines(): { write(line: string): void; parsed(): Record<string, unknown>[] } {
  const written: string[] = [];
  return {
    write: (chunk: string) => {
      written.push(chunk);
    },
    parsed: () =>
      written.map((chunk) => {
        expect(chunk.endsWith('\n')).toBe(true);
        expect(chunk.slice(0, -1)).not.toContain('\n'); // one line per event
        return JSON.parse(chunk) as Record<string, unknown>;
      }),
  };
}

const LEVEL_NUMBERS = pino.levels.values;

describe('pinoEventSink: one JSON line per event with stable field names', () => {
  it('writes node, term, role and event, then the event fields in catalogue order, then msg', () => {
    const out = lines();
    const sink = pinoEventSink({ destination: out, level: 'trace' });
    sink.publish(record({ type: 'appendRejected', leaderId: n2, prevLogIndex: 7 as never, prevLogTerm: 1 as never, conflictIndex: 5 as never }, { node: n1, term: 3, role: 'follower' }));
    const [line] = out.parsed();
    expect(Object.keys(line ?? {})).toEqual([
      'level',
      'time',
      'pid',
      'hostname',
      'node',
      'term',
      'role',
      'event',
      'leaderId',
      'prevLogIndex',
      'prevLogTerm',
      'conflictIndex',
      'msg',
    ]);
    expect(line).toMatchObject({
      level: LEVEL_NUMBERS.debug,
      node: 'n1',
      term: 3,
      role: 'follower',
      event: 'appendRejected',
      leaderId: 'n2',
      prevLogIndex: 7,
      prevLogTerm: 1,
      conflictIndex: 5,
      msg: 'append from n2 rejected at 7 (term 1), conflict at 5',
    });
  });

  it('every event type gives one parseable line with all its fields; an event field named term becomes eventTerm', () => {
    const out = lines();
    const sink = pinoEventSink({ destination: out, level: 'trace' });
    for (const type of RAFT_EVENT_TYPES) sink.publish(record(SAMPLE_EVENTS[type], { term: 7, role: 'leader' }));
    const parsed = out.parsed();
    expect(parsed.map((l) => l['event'])).toEqual([...RAFT_EVENT_TYPES]);
    for (const line of parsed) {
      const type = line['event'] as RaftEventType;
      const event = SAMPLE_EVENTS[type] as unknown as Record<string, unknown>;
      expect(line['term'], type).toBe(7); // the node's term, never overwritten by the event's
      expect(line['level'], type).toBe(LEVEL_NUMBERS[DEFAULT_EVENT_LEVELS[type]]);
      expect(typeof line['msg'], type).toBe('string');
      for (const field of Object.keys(EVENT_FIELDS[type])) {
        const key = field === 'term' ? 'eventTerm' : field;
        expect(line[key], `${type}.${field}`).toEqual(event[field]);
      }
    }
    const snapshotSaved = parsed.find((l) => l['event'] === 'snapshotSaved');
    expect(snapshotSaved).toMatchObject({ term: 7, eventTerm: 1, index: 100, size: 4096 });
    expect(parsed.find((l) => l['event'] === 'configurationChangeStarted')?.['configuration']).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
  });

  it('leaves out an undefined field, and never writes the bytes of a Uint8Array', () => {
    const out = lines();
    const sink = pinoEventSink({ destination: out, level: 'trace' });
    sink.publish(record({ type: 'messageDropped', from: undefined, messageType: 'unknown', reason: 'malformed' }));
    const forged = { type: 'somethingNew', payload: new Uint8Array(2048).fill(7), nested: { data: new Uint8Array(3) } } as unknown as RaftEvent;
    sink.publish(record(forged));
    const [dropped, newer] = out.parsed();
    expect(dropped).not.toHaveProperty('from');
    expect(dropped?.['msg']).toBe('unknown from unknown sender dropped: malformed');
    expect(newer).toMatchObject({ event: 'somethingNew', payloadBytes: 2048, nested: { data: { bytes: 3 } }, level: LEVEL_NUMBERS.info });
    expect(JSON.stringify(newer)).not.toContain('7,7');
  });
});

describe('pinoEventSink: levels', () => {
  it('the default table gives error for persistence failures, warn for what needs a look, info for the story, debug for chatter', () => {
    expect(DEFAULT_EVENT_LEVELS.persistenceFailed).toBe('error');
    for (const type of ['leaderLost', 'snapshotFailed', 'sendFailed', 'messageDropped'] as const) expect(DEFAULT_EVENT_LEVELS[type]).toBe('warn');
    for (const type of ['leaderElected', 'roleChanged', 'termChanged'] as const) expect(DEFAULT_EVENT_LEVELS[type]).toBe('info');
    for (const type of ['commitAdvanced', 'voteGranted'] as const) expect(DEFAULT_EVENT_LEVELS[type]).toBe('debug');
    expect(Object.keys(DEFAULT_EVENT_LEVELS).sort()).toEqual([...RAFT_EVENT_TYPES].sort());
  });

  it('writes only events at or above the level (info by default)', () => {
    const out = lines();
    const sink = pinoEventSink({ destination: out });
    for (const type of RAFT_EVENT_TYPES) sink.publish(record(SAMPLE_EVENTS[type]));
    const expected = RAFT_EVENT_TYPES.filter((type) => LEVEL_NUMBERS[DEFAULT_EVENT_LEVELS[type]] >= LEVEL_NUMBERS.info);
    expect(out.parsed().map((l) => l['event'])).toEqual(expected);
    expect(expected).not.toContain('commitAdvanced');
  });

  it('levels overrides the table per event type; silent leaves a type out', () => {
    const out = lines();
    const sink = pinoEventSink({ destination: out, level: 'debug', levels: { commitAdvanced: 'info', leaderElected: 'silent', sendFailed: 'error' } });
    sink.publish(record(SAMPLE_EVENTS.commitAdvanced));
    sink.publish(record(SAMPLE_EVENTS.leaderElected));
    sink.publish(record(SAMPLE_EVENTS.sendFailed));
    expect(out.parsed().map((l) => [l['event'], l['level']])).toEqual([
      ['commitAdvanced', LEVEL_NUMBERS.info],
      ['sendFailed', LEVEL_NUMBERS.error],
    ]);
  });

  it('writes to a given logger (its bindings kept), at a child level when level is given', () => {
    const out = lines();
    const logger = pino({ level: 'warn', base: { service: 'kv' } }, out);
    pinoEventSink({ logger }).publish(record(SAMPLE_EVENTS.leaderElected)); // info < warn: dropped
    const sink = pinoEventSink({ logger, level: 'debug' });
    expect(sink.logger).not.toBe(logger);
    sink.publish(record(SAMPLE_EVENTS.voteGranted));
    const parsed = out.parsed();
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ service: 'kv', event: 'voteGranted', node: 'n1', level: LEVEL_NUMBERS.debug });
  });

  it('writes to a file path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-pino-'));
    try {
      const file = join(dir, 'events.log');
      const sink = pinoEventSink({ destination: pino.destination({ dest: file, sync: true }) });
      sink.publish(record(SAMPLE_EVENTS.leaderElected));
      sink.flush();
      const [line] = readFileSync(file, 'utf8').trim().split('\n');
      expect(JSON.parse(line ?? '')).toMatchObject({ event: 'leaderElected', leaderId: 'n1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pinoEventSink never throws into the node', () => {
  it('survives a destination whose write throws, and counts the lost lines', () => {
    const errors: unknown[] = [];
    const sink = pinoEventSink({
      destination: {
        write: () => {
          throw new Error('disk full');
        },
      },
      onError: (error) => errors.push(error),
    });
    expect(() => {
      for (const type of RAFT_EVENT_TYPES) sink.publish(record(SAMPLE_EVENTS[type]));
      sink.flush();
    }).not.toThrow();
    const written = RAFT_EVENT_TYPES.filter((type) => LEVEL_NUMBERS[DEFAULT_EVENT_LEVELS[type]] >= LEVEL_NUMBERS.info).length;
    expect(sink.failures).toBe(written);
    expect(errors).toHaveLength(written);
  });

  it('survives a stream that reports an error asynchronously (which would otherwise crash the process)', async () => {
    const stream = new Writable({
      write: (_chunk, _encoding, callback) => callback(new Error('EPIPE-like failure')),
    });
    const sink = pinoEventSink({ destination: stream });
    sink.publish(record(SAMPLE_EVENTS.leaderElected));
    sink.publish(record(SAMPLE_EVENTS.leaderLost));
    await vi.waitFor(() => expect(sink.failures).toBeGreaterThan(0));
    expect(() => sink.publish(record(SAMPLE_EVENTS.leaderElected))).not.toThrow();
  });

  it('survives a file destination that cannot be opened', async () => {
    const errors: unknown[] = [];
    const sink = pinoEventSink({ destination: join(tmpdir(), 'no-such-dir-raft', 'x', 'events.log'), onError: (e) => errors.push(e) });
    expect(() => sink.publish(record(SAMPLE_EVENTS.leaderElected))).not.toThrow();
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    expect(String(errors[0])).toContain('ENOENT');
    expect(() => sink.publish(record(SAMPLE_EVENTS.leaderElected))).not.toThrow();
  });

  it('refuses bad options up front with a ConfigurationError naming the option', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return [(error as { code?: unknown }).code, (error as { option?: unknown }).option];
      }
      return 'no error';
    };
    expect(code(() => pinoEventSink({ levels: { leaderLost: 'loud' as never } }))).toEqual(['INVALID_CONFIGURATION', 'levels.leaderLost']);
    expect(code(() => pinoEventSink({ levels: { leaderFound: 'info' } as never }))).toEqual(['INVALID_CONFIGURATION', 'levels.leaderFound']);
    expect(code(() => pinoEventSink({ level: 'verbose' as never }))).toEqual(['INVALID_CONFIGURATION', 'level']);
    expect(code(() => pinoEventSink({ destination: {} as never }))).toEqual(['INVALID_CONFIGURATION', 'destination']);
    expect(code(() => pinoEventSink({ logger: {} as never }))).toEqual(['INVALID_CONFIGURATION', 'logger']);
  });

  it('survives a logger that throws', () => {
    const throwing = new Proxy(pino({ level: 'info' }, lines()), {
      get: (target, key) => (key === 'info' ? () => { throw new Error('logger failed'); } : Reflect.get(target, key)),
    });
    const sink = pinoEventSink({ logger: throwing, levels: { leaderLost: 'info' } });
    expect(() => {
      sink.publish(record(SAMPLE_EVENTS.leaderElected));
      sink.publish(record(SAMPLE_EVENTS.leaderLost));
    }).not.toThrow();
    expect(sink.failures).toBe(2);
  });
});
