/**
 * A durable cluster over TCP: 3 @raft/hosting nodes in one process, each with @raft/storage-wal
 * in its own temporary directory (every acknowledged write is fdatasync'ed) and
 * @raft/transport-tcp on 127.0.0.1 (plaintext, CRC-32C frames). `submit` → `committed` on the
 * leader with 100-byte commands at client concurrency 1, 16 and 256 (closed-loop clients).
 * References measured in the same run, on the same disk and loopback: the 4 KiB write +
 * fdatasync latency, and the raw node:net ping-pong round trip.
 * Targets (issue 6): >= 20,000 commits/s at concurrency 256; p50 at concurrency 1 no more than
 * 2 × (fdatasync p50 + loopback round trip p50).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeId, type PeerDirectory } from '@raft/abstractions';
import { type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { walStorage } from '@raft/storage-wal';
import { type TcpTransport, tcpTransport } from '@raft/transport-tcp';
import { type Row, percentile, writeReport } from './report.js';
import { measure, waitForLeader } from './clients.js';
import { CountingStateMachine } from './state-machines.js';

const COMMAND_BYTES = 100;
const RUNS: readonly { concurrency: number; commands: number }[] = [
  { concurrency: 1, commands: 2_000 },
  { concurrency: 16, commands: 20_000 },
  { concurrency: 256, commands: 60_000 },
];

async function cluster(root: string): Promise<RaftNode<number>[]> {
  const ids = ['n1', 'n2', 'n3'].map(NodeId);
  const transports = new Map<NodeId, TcpTransport>();
  // Ports are chosen at start (port 0); the directory is read on every connection attempt.
  const directory: PeerDirectory = {
    endpointOf(id) {
      const address = transports.get(id)?.address();
      return address === undefined ? undefined : `127.0.0.1:${address.port}`;
    },
  };
  for (const id of ids) transports.set(id, tcpTransport({ nodeId: id, clusterId: 'bench', listen: { host: '127.0.0.1', port: 0 }, peers: directory }));
  const nodes = ids.map((id) =>
    new RaftNodeBuilder()
      .withNodeId(id)
      .withPeers(ids)
      .withStorage(walStorage({ dir: join(root, id) }))
      .withTransport(transports.get(id) as TcpTransport)
      .withPeerDirectory(directory)
      .withStateMachine(new CountingStateMachine())
      .withOptions({ tickMs: 10, mailboxCapacity: 1 << 16 })
      .build(),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
}

/** 4 KiB write + fdatasync on a growing file in `dir` (what one durable log write costs). */
function fdatasyncLatencies(dir: string, samples: number): number[] {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  const block = new Uint8Array(4096).fill(1);
  const out: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      writeSync(fd, block);
      fdatasyncSync(fd);
      out.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Raw node:net ping-pong of 100 bytes over 127.0.0.1. */
async function loopbackRoundTrips(samples: number): Promise<number[]> {
  const server = createServer((socket) => socket.on('data', (data) => socket.write(data)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket = createConnection({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const ping = new Uint8Array(100);
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      const onData = (data: Buffer): void => {
        got += data.byteLength;
        if (got >= ping.byteLength) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(ping);
    });
    out.push(performance.now() - t);
  }
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'raft-tcp-bench-'));
try {
  const fsync = fdatasyncLatencies(root, 2_000);
  const rtt = await loopbackRoundTrips(5_000);
  const nodes = await cluster(root);
  const leader = await waitForLeader(nodes);
  await measure(leader, 16, 5_000, COMMAND_BYTES); // warm-up
  const rows: Row[] = [];
  const results = new Map<number, { rate: number; p50: number }>();
  for (const run of RUNS) {
    const r = await measure(leader, run.concurrency, run.commands, COMMAND_BYTES);
    const p50 = percentile(r.latencies, 50);
    results.set(run.concurrency, { rate: r.rate, p50 });
    rows.push({
      concurrency: run.concurrency,
      commands: run.commands,
      'not committed': r.failed,
      'commits/s': Math.round(r.rate),
      'p50 ms': p50,
      'p99 ms': percentile(r.latencies, 99),
      'max ms': percentile(r.latencies, 100),
    });
  }
  await Promise.all(nodes.map((n) => n.stop()));
  const fsyncP50 = percentile(fsync, 50);
  const rttP50 = percentile(rtt, 50);
  const bound = 2 * (fsyncP50 + rttP50);
  const c1 = results.get(1) as { p50: number };
  const c256 = results.get(256) as { rate: number };
  writeReport({
    name: 'tcp-cluster',
    description: `3-node @raft/hosting cluster in one process over @raft/transport-tcp (127.0.0.1, CRC-32C frames) with @raft/storage-wal (fdatasync per group commit) in ${tmpdir()}: submit -> committed on the leader, ${COMMAND_BYTES}-byte commands, closed-loop clients, 10 ms ticks.`,
    rows,
    reference: {
      '4 KiB write + fdatasync p50 ms': fsyncP50,
      '4 KiB write + fdatasync p99 ms': percentile(fsync, 99),
      'raw loopback ping-pong p50 ms': rttP50,
      'raw loopback ping-pong p99 ms': percentile(rtt, 99),
      '2 × (fdatasync p50 + RTT p50) ms': bound,
      'etcd 3.4, 3 members, 100 B puts (machine.md, other run)': '1 client ~290/s p50 2.9 ms · 256 clients ~3 k/s',
    },
    targets: [
      { what: 'commits/s at concurrency 256', target: '>= 20,000', actual: Math.round(c256.rate).toLocaleString('en-US'), met: c256.rate >= 20_000 },
      {
        what: 'p50 at concurrency 1 vs 2 × (fdatasync p50 + loopback RTT p50)',
        target: `<= ${bound.toFixed(3)} ms`,
        actual: `${c1.p50.toFixed(3)} ms`,
        met: c1.p50 <= bound,
      },
    ],
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}
