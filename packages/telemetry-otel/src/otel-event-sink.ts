import { type Attributes, type Span, SpanStatusCode, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { ConfigurationError, type EventSink, type NodeId, RAFT_EVENT_TYPES, type RaftEventRecord, type RaftEventType } from '@raft/abstractions';
import { FailureCounter } from './internal/failures.js';
import { otelEventAttributes } from './internal/event-values.js';
import { INSTRUMENTATION_SCOPE } from './otel-metric-sink.js';

/** Options of {@link otelEventSink}. */
export interface OtelEventSinkOptions {
  /** The tracer to create spans with. Takes precedence over `tracerProvider`. @default `tracerProvider.getTracer('@raft/telemetry-otel')` */
  readonly tracer?: Tracer;
  /**
   * The provider to get the tracer from. The global one records nothing until an SDK is
   * registered (`@opentelemetry/api` hands out non-recording spans until then).
   * @default the global provider, `trace.getTracerProvider()`
   */
  readonly tracerProvider?: TracerProvider;
  /** Attributes added to every span and span event (for example `{ 'service.instance.id': … }`). @default {} */
  readonly attributes?: Attributes;
  /**
   * Event types not recorded (neither as span events nor as spans of their own). They still
   * open and close election and snapshot spans. The default leaves out the two events that
   * happen on every commit and read, which the `raft.commit.index` metric already shows.
   * @default ['commitAdvanced', 'readVerified']
   */
  readonly exclude?: readonly RaftEventType[];
  /** Called with every failure the sink swallowed. @default none */
  readonly onError?: (error: unknown) => void;
}

/** An {@link EventSink} that records into OpenTelemetry spans. */
export interface OtelEventSink extends EventSink {
  /** Records the sink could not (completely) turn into spans, because a tracer or span call threw. */
  readonly failures: number;
  /** Election and snapshot spans started and not yet ended. */
  readonly openSpans: number;
  /** Ends every open span (outcome `closed`); call it before shutting the SDK down. Never throws. */
  close(): void;
}

/** How a span of an election or snapshot transfer ended, as the `raft.outcome` attribute. */
export type SpanOutcome = 'won' | 'lost' | 'timedOut' | 'saved' | 'sent' | 'failed' | 'superseded' | 'abandoned' | 'closed';

/** Default of {@link OtelEventSinkOptions.exclude}. */
export const DEFAULT_OTEL_EXCLUDED_EVENTS: readonly RaftEventType[] = Object.freeze(['commitAdvanced', 'readVerified']);

interface ElectionSpan {
  readonly span: Span;
  readonly preVote: boolean;
  readonly term: number;
}

/** Open spans of one node. Invariant: at most one election, one save, and one send per follower. */
interface NodeSpans {
  election: ElectionSpan | undefined;
  /** The snapshot being taken, and the index it will cover. */
  save: { readonly span: Span; readonly index: number } | undefined;
  readonly sends: Map<NodeId, Span>;
}

/** Events whose standalone span gets status ERROR. */
const ERROR_EVENTS: ReadonlySet<string> = new Set(['persistenceFailed', 'snapshotFailed']);

/**
 * An {@link EventSink} built on `@opentelemetry/api`.
 *
 * - An election is a span: `raft.pre_vote` or `raft.election`, from `electionStarted` to
 *   `electionWon` / `electionLost` (or the next campaign, or a role change), with
 *   `raft.outcome`. Every event the node publishes meanwhile is a span event on it.
 * - Taking a snapshot is a span `raft.snapshot.save`, from `snapshotTriggered` to
 *   `snapshotSaved` / `snapshotFailed`; sending one to a follower is a span
 *   `raft.snapshot.send`, from `followerNeedsSnapshot` to `snapshotSent` to that follower (or
 *   the leader stepping down).
 * - Any other event is a span of zero length named `raft.<type>` carrying the event as its
 *   one span event.
 *
 * Spans and span events carry `raft.node.id`, `raft.node.term`, `raft.node.role`,
 * `raft.event.type` and the event's fields as `raft.event.<field_in_snake_case>` (see
 * `docs/events.md`). Without an SDK registered nothing is recorded. Never throws once built.
 *
 * @throws ConfigurationError when `exclude` names an unknown event type.
 *
 * @example
 * ```ts
 * import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
 * const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * const eventSink = otelEventSink({ tracerProvider });
 * ```
 */
export function otelEventSink(options: OtelEventSinkOptions = {}): OtelEventSink {
  return new OtelEventSinkImpl(options);
}

class OtelEventSinkImpl implements OtelEventSink {
  readonly #failures: FailureCounter;
  readonly #tracer: Tracer | undefined;
  readonly #base: Attributes | undefined;
  readonly #excluded: ReadonlySet<string>;
  readonly #nodes = new Map<NodeId, NodeSpans>();

  constructor(options: OtelEventSinkOptions) {
    if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
    for (const type of options.exclude ?? []) {
      if (!(RAFT_EVENT_TYPES as readonly string[]).includes(type)) throw new ConfigurationError('exclude', `"${String(type)}" is not an event type (see docs/events.md)`);
    }
    this.#failures = new FailureCounter(options.onError);
    this.#base = options.attributes === undefined ? undefined : { ...options.attributes };
    this.#excluded = new Set(options.exclude ?? DEFAULT_OTEL_EXCLUDED_EVENTS);
    let tracer: Tracer | undefined;
    try {
      tracer = options.tracer ?? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
    } catch (error) {
      this.#failures.fail(error);
    }
    this.#tracer = tracer;
  }

  get failures(): number {
    return this.#failures.count;
  }

  get openSpans(): number {
    let open = 0;
    for (const node of this.#nodes.values()) open += (node.election ? 1 : 0) + (node.save ? 1 : 0) + node.sends.size;
    return open;
  }

  publish(record: RaftEventRecord): void {
    try {
      this.#publish(record);
    } catch (error) {
      this.#failures.fail(error);
    }
  }

  close(): void {
    for (const node of this.#nodes.values()) {
      if (node.election) this.#end(node.election.span, 'closed');
      if (node.save) this.#end(node.save.span, 'closed');
      for (const span of node.sends.values()) this.#end(span, 'closed');
      node.election = undefined;
      node.save = undefined;
      node.sends.clear();
    }
  }

  #publish(record: RaftEventRecord): void {
    const tracer = this.#tracer;
    if (tracer === undefined) return;
    const event = record.event;
    const node = this.#node(record.nodeId);
    const recorded = !this.#excluded.has(event.type);

    switch (event.type) {
      case 'electionStarted': {
        const previous = node.election;
        if (previous !== undefined) {
          // A pre-vote that reached a quorum is followed by the real election for the same term.
          const passed = previous.preVote && !event.preVote && previous.term === event.term;
          this.#end(previous.span, passed ? 'won' : 'timedOut');
        }
        const span = tracer.startSpan(event.preVote ? 'raft.pre_vote' : 'raft.election', {
          attributes: { ...this.#base, 'raft.node.id': record.nodeId, 'raft.election.term': event.term, 'raft.election.pre_vote': event.preVote },
        });
        node.election = { span, preVote: event.preVote, term: event.term };
        if (recorded) this.#addEvent(span, record);
        return;
      }
      case 'electionWon':
      case 'electionLost': {
        const election = node.election;
        if (election === undefined) break;
        if (recorded) this.#addEvent(election.span, record);
        if (event.type === 'electionWon') election.span.setAttribute('raft.election.votes', event.votes);
        else election.span.setAttribute('raft.election.reason', event.reason);
        node.election = undefined;
        this.#end(election.span, event.type === 'electionWon' ? 'won' : 'lost');
        return;
      }
      case 'snapshotTriggered': {
        if (node.save !== undefined) this.#end(node.save.span, 'superseded');
        const span = tracer.startSpan('raft.snapshot.save', {
          attributes: { ...this.#base, 'raft.node.id': record.nodeId, 'raft.snapshot.index': event.index },
        });
        node.save = { span, index: event.index };
        if (recorded) this.#addEvent(span, record);
        return;
      }
      case 'snapshotSaved':
      case 'snapshotFailed': {
        // Only the outcome of the snapshot being taken ends its span; a failure to read a
        // snapshot for sending (another index) stands alone.
        if (node.save === undefined || node.save.index !== event.index) break;
        const save = node.save.span;
        if (recorded) this.#addEvent(save, record);
        node.save = undefined;
        if (event.type === 'snapshotSaved') {
          save.setAttributes({ 'raft.snapshot.index': event.index, 'raft.snapshot.term': event.term, 'raft.snapshot.size': event.size });
          this.#end(save, 'saved');
        } else {
          save.setStatus({ code: SpanStatusCode.ERROR, message: event.reason });
          this.#end(save, 'failed');
        }
        return;
      }
      case 'followerNeedsSnapshot': {
        let send = node.sends.get(event.follower);
        if (send === undefined) {
          send = tracer.startSpan('raft.snapshot.send', {
            attributes: { ...this.#base, 'raft.node.id': record.nodeId, 'raft.snapshot.follower': event.follower },
          });
          node.sends.set(event.follower, send);
        }
        if (recorded) this.#addEvent(send, record);
        return;
      }
      case 'snapshotSent': {
        const send = node.sends.get(event.to);
        if (send === undefined) break;
        if (recorded) this.#addEvent(send, record);
        node.sends.delete(event.to);
        send.setAttributes({ 'raft.snapshot.index': event.index, 'raft.snapshot.size': event.size });
        this.#end(send, 'sent');
        return;
      }
      case 'leaderLost':
        this.#abandonSends(node);
        break;
      case 'roleChanged': {
        if (event.from === 'leader') this.#abandonSends(node);
        const election = node.election;
        // A campaign that ends without electionWon/electionLost (the core reports those first
        // in every path it knows; this keeps a span from staying open if it ever does not).
        if (election !== undefined && (event.to === 'follower' || event.to === 'leader')) {
          if (recorded) this.#addEvent(election.span, record);
          node.election = undefined;
          this.#end(election.span, event.to === 'leader' ? 'won' : 'lost');
          return;
        }
        break;
      }
      default:
        break;
    }

    if (!recorded) return;
    // Events during an election belong to its story; everything else stands alone.
    if (node.election !== undefined) {
      this.#addEvent(node.election.span, record);
      return;
    }
    // The node and type are enough for a sampler; the rest is built only for a recording span
    // (with no SDK registered, the API's spans record nothing and this costs next to nothing).
    const span = tracer.startSpan(`raft.${event.type}`, { attributes: { 'raft.node.id': record.nodeId, 'raft.event.type': event.type } });
    if (!span.isRecording()) {
      span.end();
      return;
    }
    const all = otelEventAttributes(record, this.#base);
    span.setAttributes(all);
    span.addEvent(event.type, all);
    if (ERROR_EVENTS.has(event.type)) {
      const reason = (event as { readonly reason?: unknown }).reason;
      span.setStatus({ code: SpanStatusCode.ERROR, message: typeof reason === 'string' ? reason : event.type });
    }
    span.end();
  }

  /** Records the event as a span event on `span`, when the span records at all. */
  #addEvent(span: Span, record: RaftEventRecord): void {
    if (span.isRecording()) span.addEvent(record.event.type, otelEventAttributes(record, this.#base));
  }

  #node(id: NodeId): NodeSpans {
    let node = this.#nodes.get(id);
    if (node === undefined) {
      node = { election: undefined, save: undefined, sends: new Map() };
      this.#nodes.set(id, node);
    }
    return node;
  }

  #abandonSends(node: NodeSpans): void {
    for (const span of node.sends.values()) this.#end(span, 'abandoned');
    node.sends.clear();
  }

  /** Ends a span with its outcome; a throwing span counts as one failure and is forgotten anyway. */
  #end(span: Span, outcome: SpanOutcome): void {
    try {
      span.setAttribute('raft.outcome', outcome);
      span.end();
    } catch (error) {
      this.#failures.fail(error);
    }
  }
}
