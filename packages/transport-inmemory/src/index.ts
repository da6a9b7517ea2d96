/**
 * `@raft/transport-inmemory`: an in-process network between `RaftNode`s, for tests and demos,
 * with fault injection (partition, isolate, one-way block, drop, delay, duplicate). Messages are
 * passed by reference (zero-copy) and always delivered asynchronously, never re-entrantly.
 *
 * @example
 * ```ts
 * import { InMemoryNetwork } from '@raft/transport-inmemory';
 * import { NodeId } from '@raft/abstractions';
 *
 * const network = new InMemoryNetwork({ seed: 7 });
 * const transport = network.transport(NodeId('n1')); // hand to RaftNodeBuilder.withTransport
 * network.isolate(NodeId('n1'));                      // n1 can no longer reach anyone
 * network.heal();
 * network.setDropRate(0.05);                          // lose 5% of messages everywhere
 * network.close();                                    // cancels delayed deliveries
 * ```
 *
 * @packageDocumentation
 */

export { InMemoryNetwork } from './in-memory-network.js';
export type { InMemoryNetworkOptions, InMemoryNetworkStats, DelayRange } from './in-memory-network.js';
