/**
 * `@raft/hosting`: the replica runtime. A {@link RaftNode} drives the `@raft/core` state
 * machine with one event loop — a bounded mailbox, a tick timer, a serial persistence queue
 * with group commit, per-peer send coalescing and in-order applying — against the storage,
 * transport and state machine you hand to the {@link RaftNodeBuilder}.
 *
 * @example
 * ```ts
 * import { NodeId } from '@raft/abstractions';
 * import { RaftNodeBuilder } from '@raft/hosting';
 * import { InMemoryNetwork } from '@raft/transport-inmemory';
 *
 * const network = new InMemoryNetwork();
 * const ids = ['n1', 'n2', 'n3'].map(NodeId);
 * const nodes = ids.map((id) =>
 *   new RaftNodeBuilder()
 *     .withNodeId(id)
 *     .withPeers(ids)
 *     .withTransport(network.transport(id))
 *     .withStateMachine(new Counter())
 *     .build(),
 * );
 * await Promise.all(nodes.map((node) => node.start()));
 * const result = await nodes[0]!.submit(new Uint8Array([1]));
 * if (result.status === 'committed') console.log(result.index, result.result);
 * else if (result.status === 'redirected') console.log('ask', result.leaderId);
 * await Promise.all(nodes.map((node) => node.stop()));
 * ```
 *
 * @packageDocumentation
 */

// Building a node
export { RaftNodeBuilder } from './builder.js';
export type { PeerSpec } from './builder.js';
export { DEFAULT_HOSTING_OPTIONS, DEFAULT_RAFT_OPTIONS, resolveNodeOptions } from './options.js';
export type { NodeOptions, ResolvedHostingOptions } from './options.js';

// The node
export { RaftNode } from './raft-node.js';
export type { Lifecycle, NodeStatus, LogInfo, EntryInfo, RaftNodeParts } from './raft-node.js';
export type { StreamOptions } from './internal/event-hub.js';

// Results and events
export type {
  CommandResult,
  CommandOutcome,
  CommittedResult,
  RedirectedResult,
  RejectedResult,
  CommandRejectionReason,
  TimedOutResult,
  CancelledResult,
  SubmitOptions,
  RequestOptions,
  RequestFailure,
  RequestRejectionReason,
  ReadResult,
  TransferResult,
  MembershipResult,
  MembershipCommitted,
  MembershipRejectionReason,
  MembershipOptions,
  PromoteOptions,
  MembershipUpdate,
  MembershipSource,
  MembershipChangeEvent,
  NodeEventMap,
  NodeEventType,
} from './results.js';
