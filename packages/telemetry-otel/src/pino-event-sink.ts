import { ConfigurationError, type EventSink, RAFT_EVENT_TYPES, type RaftEventRecord, type RaftEventType } from '@raft/abstractions';
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';
import { describeEvent } from './internal/describe-event.js';
import { addJsonEventFields } from './internal/event-values.js';
import { FailureCounter } from './internal/failures.js';

/**
 * The level each event is logged at unless `levels` says otherwise (the table is in
 * `docs/events.md`): `error` for a failed durable write (the node stops serving); `warn` for
 * what an operator should look at (lost leadership, failed snapshots, sends or proposals,
 * dropped messages); `info` for the cluster's story (roles, terms, elections, leaders,
 * snapshots, membership, transfers); `debug` for per-message chatter (votes, append
 * rejections, commits, redirects, reads).
 */
export const DEFAULT_EVENT_LEVELS: Readonly<Record<RaftEventType, Level>> = Object.freeze({
  roleChanged: 'info',
  termChanged: 'info',
  electionStarted: 'info',
  electionWon: 'info',
  electionLost: 'info',
  voteGranted: 'debug',
  voteRejected: 'debug',
  leaderElected: 'info',
  leaderLost: 'warn',
  appendRejected: 'debug',
  commitAdvanced: 'debug',
  snapshotTriggered: 'info',
  snapshotSaved: 'info',
  snapshotSent: 'info',
  snapshotInstalled: 'info',
  snapshotFailed: 'warn',
  followerNeedsSnapshot: 'info',
  configurationChangeStarted: 'info',
  configurationChangeCommitted: 'info',
  configurationChangeFinished: 'info',
  leadershipTransferStarted: 'info',
  leadershipTransferFinished: 'info',
  clientRedirected: 'debug',
  proposalRejected: 'warn',
  readVerified: 'debug',
  sendFailed: 'warn',
  messageDropped: 'warn',
  persistenceFailed: 'error',
});

/** Options of {@link pinoEventSink}. */
export interface PinoEventSinkOptions {
  /** The logger to write to (its own level, destination and formatting apply). Takes precedence over `destination`. @default a new pino logger */
  readonly logger?: Logger;
  /**
   * Where the logger this sink creates writes: a pino `DestinationStream` (anything with
   * `write(line)`), a file path, or a file descriptor. Ignored when `logger` is given.
   * @default standard output
   */
  readonly destination?: DestinationStream | string | number;
  /**
   * The lowest level written. With `logger`, a child logger at this level is used.
   * @default 'info' (the logger's own level when `logger` is given)
   */
  readonly level?: LevelWithSilent;
  /** The level per event type, overriding {@link DEFAULT_EVENT_LEVELS}; `'silent'` leaves a type out. @default {} */
  readonly levels?: Partial<Record<RaftEventType, LevelWithSilent>>;
  /** Called with every failure the sink swallowed (a throwing or failing stream). @default none */
  readonly onError?: (error: unknown) => void;
}

/** An {@link EventSink} that writes one JSON line per event with pino. */
export interface PinoEventSink extends EventSink {
  /** The logger written to. */
  readonly logger: Logger;
  /** Lines lost because the logger or its stream threw or reported an error. */
  readonly failures: number;
  /** Flushes a buffered destination (`sync: false`). Never throws. */
  flush(): void;
}

const LEVELS: ReadonlySet<string> = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const EVENT_TYPES: ReadonlySet<string> = new Set(RAFT_EVENT_TYPES);

/** Checks the options up front, so a typo is an error at startup rather than silently lost lines. */
function validate(options: PinoEventSinkOptions): void {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
  if (options.level !== undefined && !LEVELS.has(options.level)) {
    throw new ConfigurationError('level', `must be one of ${[...LEVELS].join(', ')}, got ${String(options.level)}`);
  }
  for (const [type, level] of Object.entries(options.levels ?? {})) {
    if (!EVENT_TYPES.has(type)) throw new ConfigurationError(`levels.${type}`, 'is not an event type (see docs/events.md)');
    if (typeof level !== 'string' || !LEVELS.has(level)) {
      throw new ConfigurationError(`levels.${type}`, `must be one of ${[...LEVELS].join(', ')}, got ${String(level)}`);
    }
  }
  const destination = options.destination;
  if (destination !== undefined && typeof destination !== 'string' && typeof destination !== 'number' && typeof destination?.write !== 'function') {
    throw new ConfigurationError('destination', 'must be a file path, a file descriptor or a stream with write()');
  }
  if (options.logger !== undefined && typeof options.logger?.isLevelEnabled !== 'function') {
    throw new ConfigurationError('logger', 'must be a pino logger');
  }
}

/** Keys of the line itself; an event field of the same name is written as `event<Name>`. */
const RESERVED: ReadonlySet<string> = new Set(['node', 'term', 'role', 'event', 'level', 'time', 'msg', 'pid', 'hostname', 'name', 'err']);

/**
 * An {@link EventSink} that writes each event as one JSON line with pino:
 *
 * ```json
 * {"level":30,"time":1730000000000,"pid":1,"hostname":"h","node":"n1","term":2,"role":"leader","event":"leaderElected","leaderId":"n1","eventTerm":2,"msg":"n1 is leader of term 2"}
 * ```
 *
 * `node`, `term` and `role` are the publishing node's id, current term and role; `event` is
 * the event type; the event's own fields follow in catalogue order (`docs/events.md`). A field
 * named like a key of the line is prefixed (`term` → `eventTerm`); a `Uint8Array` field `x`
 * is written as `xBytes: <length>`, never its content. Each type has a level
 * ({@link DEFAULT_EVENT_LEVELS}, overridable with `levels`); lines below the logger's level
 * cost one check. Never throws once built, even when the stream fails: failures are counted.
 *
 * @throws ConfigurationError for an unknown level or event type in the options.
 *
 * @example
 * ```ts
 * const eventSink = pinoEventSink({ level: 'debug', levels: { commitAdvanced: 'silent' } });
 * ```
 */
export function pinoEventSink(options: PinoEventSinkOptions = {}): PinoEventSink {
  return new PinoEventSinkImpl(options);
}

class PinoEventSinkImpl implements PinoEventSink {
  readonly logger: Logger;
  readonly #failures: FailureCounter;
  readonly #levels: Readonly<Record<string, LevelWithSilent>>;

  constructor(options: PinoEventSinkOptions) {
    validate(options);
    const failures = new FailureCounter(options.onError);
    this.#failures = failures;
    this.#levels = { ...DEFAULT_EVENT_LEVELS, ...options.levels };
    if (options.logger !== undefined) {
      this.logger = options.level === undefined ? options.logger : options.logger.child({}, { level: options.level });
      return;
    }
    const level = options.level ?? 'info';
    const destination = options.destination;
    const stream = typeof destination === 'string' || typeof destination === 'number' ? pino.destination(destination) : destination;
    // An 'error' event without a listener would crash the process: count it instead.
    if (stream !== undefined && typeof (stream as { on?: unknown }).on === 'function') {
      (stream as unknown as NodeJS.EventEmitter).on('error', (error: unknown) => failures.fail(error));
    }
    this.logger = stream === undefined ? pino({ level }) : pino({ level }, stream);
  }

  get failures(): number {
    return this.#failures.count;
  }

  publish(record: RaftEventRecord): void {
    try {
      const type = record.event.type;
      const level = this.#levels[type] ?? 'info';
      if (level === 'silent' || !this.logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = { node: record.nodeId, term: record.term, role: record.role, event: type };
      addJsonEventFields(line, record, RESERVED);
      this.logger[level](line, describeEvent(record.event));
    } catch (error) {
      this.#failures.fail(error);
    }
  }

  flush(): void {
    try {
      this.logger.flush();
    } catch (error) {
      this.#failures.fail(error);
    }
  }
}
