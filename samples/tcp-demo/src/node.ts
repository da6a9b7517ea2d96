/**
 * One Raft node of the demo, in its own OS process: a key-value state machine, the write-ahead log
 * in its own data directory, TCP to the other nodes. The coordinator (main.ts) drives it over IPC.
 */
import { join } from 'node:path';
import { type CommittedCommand, NodeId, type StateMachine } from '@raft/abstractions';
import { RaftNodeBuilder } from '@raft/hosting';
import { walStorage } from '@raft/storage-wal';
import { type PeerAddress, tcpTransport } from '@raft/transport-tcp';
import type { NodeConfig, Reply, Request } from './protocol.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `key=value` commands; applying one returns the previous value. */
class KeyValueStore implements StateMachine<string | undefined> {
  readonly data = new Map<string, string>();
  apply(command: CommittedCommand): string | undefined {
    const text = decoder.decode(command.payload);
    const split = text.indexOf('=');
    const key = text.slice(0, split);
    const previous = this.data.get(key);
    this.data.set(key, text.slice(split + 1));
    return previous;
  }
  async *exportSnapshot(): AsyncIterable<Uint8Array> {
    yield encoder.encode(JSON.stringify([...this.data]));
  }
  async importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    this.data.clear();
    for (const [k, v] of JSON.parse(decoder.decode(Buffer.concat(parts))) as [string, string][]) this.data.set(k, v);
  }
}

const config = JSON.parse(process.env.RAFT_DEMO_NODE ?? 'null') as NodeConfig | null;
if (config === null || process.send === undefined) {
  console.error('node.ts is started by main.ts (pnpm start), not on its own');
  process.exit(2);
}
const reply = (message: Reply): void => {
  process.send?.(message);
};

const id = NodeId(config.id);
// Filled in by the coordinator once every node listens; the transport reads it on each connection.
const peers: Record<string, PeerAddress> = {};
const transport = tcpTransport({
  nodeId: id,
  clusterId: config.clusterId,
  listen: { host: config.host, port: config.port },
  peers,
  logger: { warn: (message) => console.error(`  [${id}] ${message}`) },
});
const stateMachine = new KeyValueStore();
const node = new RaftNodeBuilder()
  .withNodeId(id)
  .withPeers(config.ids)
  .withStorage(walStorage({ dir: join(config.dataDir, config.id) }))
  .withTransport(transport)
  .withPeerDirectory(transport)
  .withStateMachine(stateMachine)
  .withOptions({ tickMs: 10, electionTicks: 20, heartbeatTicks: 2 })
  .build();

process.on('message', (request: Request) => {
  void handle(request);
});
process.on('disconnect', () => {
  // The coordinator went away: stop cleanly rather than linger.
  void node.stop().finally(() => process.exit(0));
});

await node.start();
reply({ type: 'listening', port: transport.address()?.port ?? config.port, recovered: node.logInfo(0).lastIndex });

async function handle(request: Request): Promise<void> {
  switch (request.type) {
    case 'peers':
      Object.assign(peers, request.peers);
      return;
    case 'status':
      reply({
        type: 'status',
        seq: request.seq,
        report: { role: node.role, leaderId: node.leaderId, appliedIndex: node.appliedIndex, data: Object.fromEntries(stateMachine.data) },
      });
      return;
    case 'submit': {
      const result = await node.submit(encoder.encode(`${request.key}=${request.value}`), { timeoutMs: 3000 });
      reply({
        type: 'submitted',
        seq: request.seq,
        status: result.status,
        ...(result.status === 'committed' ? { index: result.index } : {}),
        ...(result.status === 'redirected' ? { leaderId: result.leaderId } : {}),
      });
      return;
    }
    case 'stop':
      await node.stop();
      reply({ type: 'stopped', seq: request.seq });
      process.exit(0);
  }
}
