import {
  ConfigurationError,
  type EventSink,
  type MetricSink,
  NodeId,
  type PeerDirectory,
  type RaftMessage,
  type StateMachine,
  type StorageProvider,
  type Transport,
  isRaftError,
} from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { noopEventSink, noopMetricSink } from '@raft/telemetry-noop';
import { type NodeOptions, resolveNodeOptions } from './options.js';
import { RaftNode } from './raft-node.js';

/** A voter of the bootstrap configuration: its id, and optionally where clients reach it. */
export type PeerSpec = NodeId | string | { readonly id: NodeId | string; readonly endpoint?: string };

/**
 * Assembles a {@link RaftNode}. Everything the node needs is passed in (DESIGN.md: hosting
 * never imports a concrete adapter); the only defaults are the ones that need no install —
 * volatile `memoryStorage()` and the no-op telemetry sinks. `build()` validates everything
 * and throws a `ConfigurationError` naming the wrong option.
 *
 * @example
 * ```ts
 * const node = new RaftNodeBuilder()
 *   .withNodeId('n1')
 *   .withPeers(['n1', 'n2', 'n3'])
 *   .withStorage(walStorage({ dir: '/var/lib/app/raft' }))
 *   .withTransport(transport)
 *   .withStateMachine(new KeyValueStore())
 *   .withOptions({ tickMs: 10, electionTicks: 10 })
 *   .build();
 * await node.start();
 * ```
 */
export class RaftNodeBuilder<Result = unknown> {
  #id: unknown;
  #peers: readonly PeerSpec[] | undefined;
  #joining = false;
  #storage: StorageProvider | undefined;
  #transport: Transport | undefined;
  #stateMachine: StateMachine<Result> | undefined;
  #options: NodeOptions = {};
  #eventSink: EventSink = noopEventSink;
  #metricSink: MetricSink = noopMetricSink;
  #directory: PeerDirectory | undefined;

  /** This node's id (required). */
  withNodeId(id: NodeId | string): this {
    this.#id = id;
    return this;
  }

  /**
   * The voters of the cluster's bootstrap configuration (required; `[]` for a single-node
   * cluster). This node is added if missing. Used only when neither the log nor a snapshot
   * holds a configuration (a fresh node). Entries with an `endpoint` feed the default peer
   * directory used for redirects.
   */
  withPeers(peers: readonly PeerSpec[]): this {
    this.#peers = peers;
    return this;
  }

  /**
   * This node joins a cluster that is already running: it starts with an empty bootstrap
   * configuration, never campaigns on its own, and learns its membership from the leader —
   * by log entries or by a snapshot — once the leader adds it (`leader.addLearner(id)` or
   * `leader.addVoter(id)`). Use it instead of `withPeers` (the two cannot be combined: a
   * joining node must not invent a configuration of its own). After a restart the node's log
   * or snapshot holds its membership, so building it with `joining()` again is right.
   * A transport is required, and the others' transports must be able to reach this node
   * (the in-memory network does; for TCP add this node's address to every member's peers).
   * Pass endpoints for redirects with `withPeerDirectory`.
   */
  joining(): this {
    this.#joining = true;
    return this;
  }

  /** Where the node keeps its log, term, vote and snapshots. @default `memoryStorage()` (volatile) */
  withStorage(storage: StorageProvider): this {
    this.#storage = storage;
    return this;
  }

  /** How the node reaches its peers (required unless the cluster is this node alone). */
  withTransport(transport: Transport): this {
    this.#transport = transport;
    return this;
  }

  /** The application's replicated state machine (required). */
  withStateMachine<R>(stateMachine: StateMachine<R>): RaftNodeBuilder<R> {
    const self = this as unknown as RaftNodeBuilder<R>;
    self.#stateMachine = stateMachine;
    return self;
  }

  /** Runtime and protocol options (see `docs/configuration.md`); later calls merge over earlier ones. */
  withOptions(options: NodeOptions): this {
    if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
    this.#options = { ...this.#options, ...options };
    return this;
  }

  /** Receives every protocol event. @default `noopEventSink` */
  withEventSink(sink: EventSink): this {
    this.#eventSink = sink;
    return this;
  }

  /** Receives the standard metrics (`RAFT_METRICS`). @default `noopMetricSink` */
  withMetricSink(sink: MetricSink): this {
    this.#metricSink = sink;
    return this;
  }

  /** Resolves node ids to endpoints for redirects. @default the endpoints given to `withPeers` */
  withPeerDirectory(directory: PeerDirectory): this {
    this.#directory = directory;
    return this;
  }

  /**
   * Validates the configuration and returns the node (not started).
   * @throws ConfigurationError whose `option` names what is wrong: `nodeId`, `peers`,
   * `transport`, `stateMachine`, `storage`, `eventSink`, `metricSink`, `peerDirectory` or an option name.
   */
  build(): RaftNode<Result> {
    const id = toNodeId('nodeId', this.#id);
    if (this.#joining && this.#peers !== undefined) {
      throw new ConfigurationError(
        'peers',
        'cannot be combined with joining(): a joining node has no bootstrap voters and learns its membership from the leader (pass endpoints with withPeerDirectory)',
      );
    }
    if (this.#peers === undefined && !this.#joining) {
      throw new ConfigurationError(
        'peers',
        'is required: pass the voters of the cluster to withPeers ([] for a single-node cluster), or call joining() for a node that joins a running cluster',
      );
    }
    if (this.#peers !== undefined && !Array.isArray(this.#peers)) throw new ConfigurationError('peers', 'must be an array');
    // Invariant: a joining node boots with no voter at all (not even itself), so it cannot
    // elect itself leader of a cluster of its own before the real leader reaches it.
    const voters: NodeId[] = this.#joining ? [] : [id];
    const endpoints = new Map<NodeId, string>();
    const seen = new Set<NodeId>();
    for (const spec of this.#peers ?? []) {
      const peerId = toNodeId('peers', typeof spec === 'object' && spec !== null ? spec.id : spec);
      if (seen.has(peerId)) throw new ConfigurationError('peers', `lists ${peerId} twice`);
      seen.add(peerId);
      if (peerId !== id) voters.push(peerId);
      if (typeof spec === 'object' && spec !== null && spec.endpoint !== undefined) {
        if (typeof spec.endpoint !== 'string' || spec.endpoint.length === 0) throw new ConfigurationError('peers', `endpoint of ${peerId} must be a non-empty string`);
        endpoints.set(peerId, spec.endpoint);
      }
    }
    voters.sort();
    const storage = this.#storage ?? memoryStorage();
    if (typeof storage.open !== 'function') throw new ConfigurationError('storage', 'must be a StorageProvider (with open())');
    let transport = this.#transport;
    if (transport === undefined) {
      if (this.#joining) throw new ConfigurationError('transport', 'is required for a node that joins a cluster');
      if (voters.length > 1) throw new ConfigurationError('transport', 'is required for a cluster of more than one node');
      transport = loneTransport();
    }
    if (typeof transport.start !== 'function' || typeof transport.send !== 'function' || typeof transport.stop !== 'function') {
      throw new ConfigurationError('transport', 'must implement Transport (start, send, stop)');
    }
    const sm = this.#stateMachine;
    if (sm === undefined) throw new ConfigurationError('stateMachine', 'is required: pass your StateMachine to withStateMachine');
    for (const method of ['apply', 'exportSnapshot', 'importSnapshot'] as const) {
      if (typeof sm[method] !== 'function') throw new ConfigurationError('stateMachine', `must implement ${method}()`);
    }
    if (typeof this.#eventSink?.publish !== 'function') throw new ConfigurationError('eventSink', 'must implement publish()');
    for (const method of ['increment', 'gauge', 'record'] as const) {
      if (typeof this.#metricSink?.[method] !== 'function') throw new ConfigurationError('metricSink', `must implement ${method}()`);
    }
    const directory = this.#directory ?? { endpointOf: (nodeId: NodeId) => endpoints.get(nodeId) };
    if (typeof directory.endpointOf !== 'function') throw new ConfigurationError('peerDirectory', 'must implement endpointOf()');
    const { hosting, core } = resolveNodeOptions(id, this.#options);
    return new RaftNode<Result>({
      id,
      voters,
      storage,
      transport,
      stateMachine: sm,
      directory,
      eventSink: this.#eventSink,
      metricSink: this.#metricSink,
      hosting,
      core,
    });
  }
}

function toNodeId(option: string, value: unknown): NodeId {
  if (value === undefined) throw new ConfigurationError(option, 'is required');
  try {
    return NodeId(value as string);
  } catch (error) {
    if (isRaftError(error)) throw new ConfigurationError(option, error.message, { cause: error });
    throw error;
  }
}

/** The transport of a single-node cluster: there is nobody to talk to. */
function loneTransport(): Transport {
  return {
    async start(): Promise<void> {},
    send(_to: NodeId, _messages: readonly RaftMessage[]): void {},
    async stop(): Promise<void> {},
  };
}
