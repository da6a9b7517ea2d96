import type { NodeId } from './ids.js';
import type { RaftMessage } from './messages.js';

/** What a transport calls when something arrives or a send fails. */
export interface TransportReceiver {
  /** A message for this node arrived. Called on the event loop; must not throw. */
  deliver(message: RaftMessage): void;
  /** Messages to `to` could not be sent (dropped). Optional; Raft tolerates loss. */
  sendFailed?(to: NodeId, reason: string): void;
}

/**
 * Moves protocol messages between nodes. Delivery is best-effort: messages may be lost,
 * duplicated or reordered, and Raft copes. A transport never blocks the node and never
 * lets a slow peer make memory grow without bound.
 */
export interface Transport {
  /** Start accepting messages for this node. */
  start(receiver: TransportReceiver): Promise<void>;
  /** Send messages (all addressed to `to`) together; never throws for network faults. */
  send(to: NodeId, messages: readonly RaftMessage[]): void;
  /** Stop, closing connections and listeners. */
  stop(): Promise<void>;
}

/** Where each node can be reached, for redirecting clients to the leader. */
export interface PeerDirectory {
  /** The endpoint (for example `"10.0.0.2:7001"`) of `nodeId`, if known. */
  endpointOf(nodeId: NodeId): string | undefined;
}
