import type { NodeId, PeerDirectory, Transport } from '@raft/abstractions';
import { describeTransportCompliance } from '@raft/harness/compliance';
import { type TcpTransport, tcpTransport } from '../src/index.js';

describeTransportCompliance('tcp (loopback)', {
  create: async (ids) => {
    const transports = new Map<NodeId, TcpTransport>();
    // Ports are picked at start (port 0); the directory is read on every connection attempt.
    const directory: PeerDirectory = {
      endpointOf(id) {
        const address = transports.get(id)?.address();
        return address === undefined ? undefined : `127.0.0.1:${address.port}`;
      },
    };
    for (const id of ids) {
      transports.set(id, tcpTransport({ nodeId: id, clusterId: 'compliance', listen: { host: '127.0.0.1', port: 0 }, peers: directory }));
    }
    return transports as ReadonlyMap<NodeId, Transport>;
  },
});
