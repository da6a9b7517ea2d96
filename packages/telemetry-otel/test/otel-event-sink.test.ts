import { SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { RAFT_EVENT_TYPES, type RaftEvent } from '@raft/abstractions';
import { afterEach, describe, expect, it } from 'vitest';
import { otelEventSink } from '../src/index.js';
import { EVENT_FIELDS } from '../src/internal/event-fields.js';
import { snakeCase } from '../src/internal/event-values.js';
import { SAMPLE_EVENTS, n1, n2, n3, record, t } from './fixtures.js';

const providers: BasicTracerProvider[] = [];
function setup(): { exporter: InMemorySpanExporter; tracerProvider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  providers.push(tracerProvider);
  return { exporter, tracerProvider };
}
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.shutdown();
  trace.disable();
});

const names = (spans: readonly ReadableSpan[]): string[] => spans.map((s) => s.name);
const eventNames = (span: ReadableSpan | undefined): string[] => (span?.events ?? []).map((e) => e.name);

describe('otelEventSink: elections are spans', () => {
  it('a pre-vote that passes, then an election that is won: two spans, every event of the campaign on them', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    const steps: [RaftEvent, 'follower' | 'preCandidate' | 'candidate' | 'leader', number][] = [
      [{ type: 'roleChanged', from: 'follower', to: 'preCandidate', term: t(1) }, 'preCandidate', 1],
      [{ type: 'electionStarted', term: t(2), preVote: true }, 'preCandidate', 1],
      [{ type: 'roleChanged', from: 'preCandidate', to: 'candidate', term: t(2) }, 'candidate', 2],
      [{ type: 'termChanged', from: t(1), to: t(2) }, 'candidate', 2],
      [{ type: 'electionStarted', term: t(2), preVote: false }, 'candidate', 2],
      [{ type: 'electionWon', term: t(2), votes: 2 }, 'candidate', 2],
      [{ type: 'roleChanged', from: 'candidate', to: 'leader', term: t(2) }, 'leader', 2],
      [{ type: 'leaderElected', leaderId: n1, term: t(2) }, 'leader', 2],
    ];
    for (const [event, role, term] of steps) sink.publish(record(event, { role, term }));
    const spans = exporter.getFinishedSpans();
    expect(names(spans)).toEqual(['raft.roleChanged', 'raft.pre_vote', 'raft.election', 'raft.roleChanged', 'raft.leaderElected']);
    const [, preVote, election] = spans;
    expect(preVote?.attributes).toMatchObject({ 'raft.node.id': 'n1', 'raft.election.term': 2, 'raft.election.pre_vote': true, 'raft.outcome': 'won' });
    expect(eventNames(preVote)).toEqual(['electionStarted', 'roleChanged', 'termChanged']);
    expect(election?.attributes).toMatchObject({ 'raft.election.pre_vote': false, 'raft.election.votes': 2, 'raft.outcome': 'won' });
    expect(eventNames(election)).toEqual(['electionStarted', 'electionWon']);
    expect(election?.events[1]?.attributes).toEqual({
      'raft.node.id': 'n1',
      'raft.node.term': 2,
      'raft.node.role': 'candidate',
      'raft.event.type': 'electionWon',
      'raft.event.term': 2,
      'raft.event.votes': 2,
    });
    expect(election?.status.code).toBe(SpanStatusCode.UNSET);
    expect(sink.openSpans).toBe(0);
    expect(sink.failures).toBe(0);
  });

  it('a lost election ends its span with outcome lost and the reason; a new campaign supersedes a timed-out one', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    sink.publish(record({ type: 'electionStarted', term: t(3), preVote: false }, { role: 'candidate', term: 3 }));
    sink.publish(record({ type: 'electionStarted', term: t(4), preVote: false }, { role: 'candidate', term: 4 }));
    sink.publish(record({ type: 'electionLost', term: t(4), preVote: false, reason: 'higherTerm' }, { role: 'candidate', term: 4 }));
    const [first, second] = exporter.getFinishedSpans();
    expect(first?.attributes).toMatchObject({ 'raft.election.term': 3, 'raft.outcome': 'timedOut' });
    expect(second?.attributes).toMatchObject({ 'raft.election.term': 4, 'raft.outcome': 'lost', 'raft.election.reason': 'higherTerm' });
  });

  it('elections of different nodes are separate spans', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    sink.publish(record({ type: 'electionStarted', term: t(2), preVote: false }, { node: n1, role: 'candidate' }));
    sink.publish(record({ type: 'electionStarted', term: t(2), preVote: false }, { node: n2, role: 'candidate' }));
    expect(sink.openSpans).toBe(2);
    sink.publish(record({ type: 'electionWon', term: t(2), votes: 2 }, { node: n2, role: 'candidate' }));
    const [won] = exporter.getFinishedSpans();
    expect(won?.attributes['raft.node.id']).toBe('n2');
    expect(sink.openSpans).toBe(1);
    sink.close();
    expect(exporter.getFinishedSpans()[1]?.attributes).toMatchObject({ 'raft.node.id': 'n1', 'raft.outcome': 'closed' });
    expect(sink.openSpans).toBe(0);
  });
});

describe('otelEventSink: snapshot transfers are spans', () => {
  it('snapshotTriggered → snapshotSaved is a raft.snapshot.save span; snapshotFailed ends one with an error', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    sink.publish(record({ type: 'snapshotTriggered', index: 100 as never }, { role: 'leader' }));
    sink.publish(record({ type: 'snapshotSaved', index: 100 as never, term: t(2), size: 4096 }, { role: 'leader' }));
    sink.publish(record({ type: 'snapshotTriggered', index: 200 as never }, { role: 'leader' }));
    sink.publish(record({ type: 'snapshotFailed', index: 200 as never, reason: 'ENOSPC' }, { role: 'leader' }));
    // A failure of another snapshot (reading one to send) does not end the save in progress.
    sink.publish(record({ type: 'snapshotTriggered', index: 300 as never }, { role: 'leader' }));
    sink.publish(record({ type: 'snapshotFailed', index: 100 as never, reason: 'EIO' }, { role: 'leader' }));
    expect(sink.openSpans).toBe(1);
    const [saved, failed, readFailure] = exporter.getFinishedSpans();
    expect(readFailure?.name).toBe('raft.snapshotFailed');
    expect(saved?.name).toBe('raft.snapshot.save');
    expect(saved?.attributes).toMatchObject({ 'raft.snapshot.index': 100, 'raft.snapshot.term': 2, 'raft.snapshot.size': 4096, 'raft.outcome': 'saved' });
    expect(eventNames(saved)).toEqual(['snapshotTriggered', 'snapshotSaved']);
    expect(failed?.attributes).toMatchObject({ 'raft.snapshot.index': 200, 'raft.outcome': 'failed' });
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ENOSPC' });
  });

  it('followerNeedsSnapshot → snapshotSent to that follower is a raft.snapshot.send span, one per follower', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    sink.publish(record({ type: 'followerNeedsSnapshot', follower: n3, nextIndex: 4 as never }, { role: 'leader' }));
    sink.publish(record({ type: 'followerNeedsSnapshot', follower: n3, nextIndex: 4 as never }, { role: 'leader' }));
    sink.publish(record({ type: 'followerNeedsSnapshot', follower: n2, nextIndex: 2 as never }, { role: 'leader' }));
    expect(sink.openSpans).toBe(2);
    sink.publish(record({ type: 'snapshotSent', to: n3, index: 100 as never, size: 4096 }, { role: 'leader' }));
    const [sent] = exporter.getFinishedSpans();
    expect(sent?.name).toBe('raft.snapshot.send');
    expect(sent?.attributes).toMatchObject({ 'raft.snapshot.follower': 'n3', 'raft.snapshot.index': 100, 'raft.snapshot.size': 4096, 'raft.outcome': 'sent' });
    expect(eventNames(sent)).toEqual(['followerNeedsSnapshot', 'followerNeedsSnapshot', 'snapshotSent']);
    // The leader steps down: the transfer to n2 is abandoned.
    sink.publish(record({ type: 'leaderLost', term: t(2), reason: 'checkQuorum' }, { role: 'leader' }));
    const abandoned = exporter.getFinishedSpans().find((s) => s.attributes['raft.snapshot.follower'] === 'n2');
    expect(abandoned?.attributes['raft.outcome']).toBe('abandoned');
    expect(sink.openSpans).toBe(0);
  });
});

describe('otelEventSink: every other event is a span of its own with the event as span event', () => {
  it('carries node id, term, role and the event fields as attributes, for every event type', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider, exclude: [] });
    const standalone = RAFT_EVENT_TYPES.filter(
      (type) => !['electionStarted', 'electionWon', 'electionLost', 'snapshotTriggered', 'followerNeedsSnapshot'].includes(type),
    );
    for (const type of standalone) {
      sink.publish(record(SAMPLE_EVENTS[type], { node: n2, term: 5, role: 'leader' }));
    }
    const spans = exporter.getFinishedSpans();
    expect(names(spans)).toEqual(standalone.map((type) => `raft.${type}`));
    for (const span of spans) {
      const type = span.name.slice('raft.'.length) as keyof typeof EVENT_FIELDS;
      expect(span.attributes).toMatchObject({ 'raft.node.id': 'n2', 'raft.node.term': 5, 'raft.node.role': 'leader', 'raft.event.type': type });
      expect(eventNames(span)).toEqual([type]);
      const event = SAMPLE_EVENTS[type] as unknown as Record<string, unknown>;
      for (const field of Object.keys(EVENT_FIELDS[type])) {
        const value = event[field];
        if (typeof value === 'object') continue; // configurations, below
        expect(span.attributes[`raft.event.${snakeCase(field)}`], `${type}.${field}`).toBe(value);
      }
      expect(span.events[0]?.attributes).toEqual(span.attributes);
    }
    const change = spans.find((s) => s.name === 'raft.configurationChangeStarted');
    expect(change?.attributes).toMatchObject({ 'raft.event.configuration.voters': ['n1', 'n2', 'n3'], 'raft.event.configuration.learners': [] });
    expect(spans.find((s) => s.name === 'raft.appendRejected')?.attributes['raft.event.prev_log_index']).toBe(7);
    expect(spans.find((s) => s.name === 'raft.persistenceFailed')?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'EIO' });
  });

  it('leaves commitAdvanced and readVerified out by default; exclude chooses', () => {
    const { exporter, tracerProvider } = setup();
    const byDefault = otelEventSink({ tracerProvider });
    byDefault.publish(record(SAMPLE_EVENTS.commitAdvanced));
    byDefault.publish(record(SAMPLE_EVENTS.readVerified));
    expect(exporter.getFinishedSpans()).toEqual([]);
    const chosen = otelEventSink({ tracerProvider, exclude: ['leaderElected'] });
    chosen.publish(record(SAMPLE_EVENTS.commitAdvanced));
    chosen.publish(record(SAMPLE_EVENTS.leaderElected));
    expect(names(exporter.getFinishedSpans())).toEqual(['raft.commitAdvanced']);
  });

  it('refuses an unknown event type in exclude with a ConfigurationError', () => {
    expect(() => otelEventSink({ exclude: ['commitAdvancd' as never] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option: 'exclude' }));
  });

  it('an excluded event still ends its election span', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider, exclude: ['electionWon', 'electionStarted'] });
    sink.publish(record({ type: 'electionStarted', term: t(2), preVote: false }, { role: 'candidate' }));
    sink.publish(record({ type: 'electionWon', term: t(2), votes: 3 }, { role: 'candidate' }));
    const [election] = exporter.getFinishedSpans();
    expect(election?.attributes).toMatchObject({ 'raft.outcome': 'won', 'raft.election.votes': 3 });
    expect(election?.events).toEqual([]);
  });

  it('writes the length of a byte array, never its content', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider });
    const forged = { type: 'sendFailed', to: n2, reason: 'x', payload: new Uint8Array(1000) } as unknown as RaftEvent;
    // An event type this version does not know keeps all its fields, flattened the same way.
    const unknown = { type: 'somethingNew', payload: new Uint8Array(3), nested: { deep: true } } as unknown as RaftEvent;
    sink.publish(record(forged));
    sink.publish(record(unknown));
    const [known, newer] = exporter.getFinishedSpans();
    // A known event writes its catalogue fields only.
    expect(Object.keys(known?.attributes ?? {}).filter((k) => k.includes('payload'))).toEqual([]);
    expect(newer?.attributes).toMatchObject({ 'raft.event.payload_bytes': 3, 'raft.event.nested.deep': true });
    expect(JSON.stringify(newer?.attributes)).not.toContain('"0":');
  });

  it('adds the configured attributes to spans and span events', () => {
    const { exporter, tracerProvider } = setup();
    const sink = otelEventSink({ tracerProvider, attributes: { 'service.instance.id': 'i-1' } });
    sink.publish(record(SAMPLE_EVENTS.leaderElected));
    sink.publish(record({ type: 'electionStarted', term: t(3), preVote: false }));
    sink.close();
    const [leader, election] = exporter.getFinishedSpans();
    expect(leader?.attributes['service.instance.id']).toBe('i-1');
    expect(leader?.events[0]?.attributes?.['service.instance.id']).toBe('i-1');
    expect(election?.attributes['service.instance.id']).toBe('i-1');
  });
});

describe('otelEventSink: nothing is recorded unless an SDK is configured', () => {
  it('the default sink uses the global tracer provider, which records nothing until one is registered', () => {
    const { exporter, tracerProvider } = setup();
    const before = otelEventSink();
    before.publish(record(SAMPLE_EVENTS.leaderElected));
    before.publish(record({ type: 'electionStarted', term: t(3), preVote: false }));
    before.close();
    expect(before.failures).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    trace.setGlobalTracerProvider(tracerProvider);
    const after = otelEventSink();
    after.publish(record(SAMPLE_EVENTS.leaderElected));
    expect(names(exporter.getFinishedSpans())).toEqual(['raft.leaderElected']);
  });
});

describe('otelEventSink never throws into the node', () => {
  it('survives a tracer that throws, spans that throw, and an onError that throws', () => {
    const errors: unknown[] = [];
    const throwingTracer = {
      startSpan: () => {
        throw new Error('tracer failed');
      },
    } as unknown as Tracer;
    const sink = otelEventSink({ tracer: throwingTracer, onError: (e) => errors.push(e) });
    expect(() => {
      for (const type of RAFT_EVENT_TYPES) sink.publish(record(SAMPLE_EVENTS[type]));
      sink.close();
    }).not.toThrow();
    expect(sink.failures).toBeGreaterThan(0);
    expect(errors).toHaveLength(sink.failures);

    const boom = (): never => {
      throw new Error('span failed');
    };
    const brokenSpans = {
      startSpan: () => ({ addEvent: boom, end: boom, setAttribute: boom, setAttributes: boom, setStatus: boom }),
    } as unknown as Tracer;
    const other = otelEventSink({ tracer: brokenSpans, exclude: [], onError: () => boom() });
    expect(() => {
      for (const type of RAFT_EVENT_TYPES) other.publish(record(SAMPLE_EVENTS[type], { role: 'leader' }));
      other.publish(record({ type: 'electionStarted', term: t(9), preVote: false }));
      other.close();
    }).not.toThrow();
    expect(other.failures).toBeGreaterThanOrEqual(RAFT_EVENT_TYPES.length);
    expect(other.openSpans).toBe(0);

    const noTracer = otelEventSink({ tracerProvider: { getTracer: boom } });
    expect(() => noTracer.publish(record(SAMPLE_EVENTS.leaderElected))).not.toThrow();
    expect(noTracer.failures).toBe(1);
  });

  it('survives an exporter that throws or fails', () => {
    let calls = 0;
    const exporter: SpanExporter = {
      export: (_spans, resultCallback) => {
        calls++;
        if (calls % 2 === 0) throw new Error('exporter threw');
        resultCallback({ code: 1, error: new Error('export failed') });
      },
      shutdown: async () => {},
    };
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    providers.push(tracerProvider);
    const sink = otelEventSink({ tracerProvider, exclude: [] });
    expect(() => {
      for (const type of RAFT_EVENT_TYPES) sink.publish(record(SAMPLE_EVENTS[type]));
    }).not.toThrow();
    expect(calls).toBeGreaterThan(10);
  });
});
