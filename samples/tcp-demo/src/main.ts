/**
 * The TCP demo: a 3-node Raft cluster on loopback, each node a separate OS process with its own
 * write-ahead log. It writes values, stops the whole cluster, starts it again from the logs on
 * disk, and shows that every committed value is still there on every node.
 *
 *   pnpm --filter @raft/sample-tcp-demo start [--data-dir DIR] [--base-port PORT] [--values N] [--keep]
 *
 * --data-dir   where the nodes keep their logs (default: <tmp>/raft-tcp-demo; env RAFT_DEMO_DATA_DIR)
 * --base-port  node i listens on PORT + i − 1 (default 7401; 0 picks free ports; env RAFT_DEMO_BASE_PORT)
 * --values     how many values to write before the restart (default 20)
 * --keep       keep what is already in the data directory (default: start from an empty one)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PeerAddress } from '@raft/transport-tcp';
import type { NodeConfig, NodeReport, Reply, Request } from './protocol.js';

const { values: args } = parseArgs({
  // `pnpm start -- --flag` passes the `--` through; drop it.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    'data-dir': { type: 'string' },
    'base-port': { type: 'string' },
    values: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const dataDir = args['data-dir'] ?? process.env.RAFT_DEMO_DATA_DIR ?? join(tmpdir(), 'raft-tcp-demo');
const basePort = Number(args['base-port'] ?? process.env.RAFT_DEMO_BASE_PORT ?? 7401);
const valueCount = Number(args.values ?? 20);
if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_533) fail(`--base-port must be 0 or a port number, got ${args['base-port']}`);
if (!Number.isInteger(valueCount) || valueCount < 1) fail(`--values must be a positive integer, got ${args.values}`);

const HOST = '127.0.0.1';
const IDS = ['n1', 'n2', 'n3'];
const CLUSTER_ID = 'tcp-demo';
const DEADLINE_MS = 30_000;

/** A running node process and its pending requests. */
class NodeProcess {
  readonly id: string;
  readonly child: ChildProcess;
  port = 0;
  recovered = 0;
  #seq = 0;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  readonly listening: Promise<void>;
  readonly exited: Promise<number | null>;

  constructor(id: string, port: number) {
    this.id = id;
    const config: NodeConfig = { id, ids: IDS, clusterId: CLUSTER_ID, host: HOST, port, dataDir };
    this.child = fork(new URL('./node.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, RAFT_DEMO_NODE: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.listening = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`${id} exited with code ${code} before listening (is port ${port} free? try --base-port 0)`)));
      this.child.on('message', (reply: Reply) => {
        if (reply.type === 'listening') {
          this.port = reply.port;
          this.recovered = reply.recovered;
          resolve();
        } else this.#waiting.get(reply.seq)?.(reply);
      });
    });
  }

  send(request: Request): void {
    this.child.send(request);
  }

  request<T extends Reply>(build: (seq: number) => Request): Promise<T> {
    const seq = ++this.#seq;
    return new Promise<T>((resolve) => {
      this.#waiting.set(seq, (reply) => {
        this.#waiting.delete(seq);
        resolve(reply as T);
      });
      this.child.send(build(seq));
    });
  }

  async status(): Promise<NodeReport> {
    const reply = await this.request<Extract<Reply, { type: 'status' }>>((seq) => ({ type: 'status', seq }));
    return reply.report;
  }

  async stop(): Promise<void> {
    await this.request((seq) => ({ type: 'stop', seq }));
    await this.exited;
  }
}

async function launch(): Promise<NodeProcess[]> {
  const nodes = IDS.map((id, i) => new NodeProcess(id, basePort === 0 ? 0 : basePort + i));
  await Promise.all(nodes.map((n) => n.listening));
  const peers: Record<string, PeerAddress> = Object.fromEntries(nodes.map((n) => [n.id, { host: HOST, port: n.port }]));
  for (const n of nodes) n.send({ type: 'peers', peers });
  console.log(`  started ${nodes.map((n) => `${n.id} (pid ${n.child.pid}, ${HOST}:${n.port}, ${n.recovered} entries in its WAL)`).join(', ')}`);
  return nodes;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForLeader(nodes: NodeProcess[]): Promise<NodeProcess> {
  return until('a leader', async () => {
    const reports = await Promise.all(nodes.map((n) => n.status()));
    const leaders = nodes.filter((_, i) => reports[i]?.role === 'leader');
    if (leaders.length !== 1) return undefined;
    const leader = leaders[0] as NodeProcess;
    return reports.every((r) => r.leaderId === leader.id) ? leader : undefined;
  });
}

/** Writes key=value through the leader, following redirects and retrying timeouts. */
async function write(nodes: NodeProcess[], key: string, value: string): Promise<number> {
  let target = await waitForLeader(nodes);
  return until(`${key} to commit`, async () => {
    const reply = await target.request<Extract<Reply, { type: 'submitted' }>>((seq) => ({ type: 'submit', seq, key, value }));
    if (reply.status === 'committed') return reply.index;
    const next = nodes.find((n) => n.id === reply.leaderId);
    target = next ?? (await waitForLeader(nodes));
    return undefined;
  });
}

function fail(message: string): never {
  console.error(`tcp-demo: ${message}`);
  process.exit(1);
}

// ─── the demo ────────────────────────────────────────────────────────────────────────────
if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
console.log(`Raft over TCP: 3 node processes on ${HOST}, write-ahead logs in ${dataDir}\n`);

console.log('1. Start the cluster and write values');
let nodes = await launch();
let leader = await waitForLeader(nodes);
console.log(`  ${leader.id} is the leader`);
const written = new Map<string, string>();
for (let i = 1; i <= valueCount; i++) {
  const key = `key-${String(i).padStart(3, '0')}`;
  const value = `value-${i}-${Date.now().toString(36)}`;
  const index = await write(nodes, key, value);
  written.set(key, value);
  if (i <= 3 || i === valueCount) console.log(`  committed ${key}=${value} at log index ${index}`);
  else if (i === 4) console.log('  …');
}

console.log('\n2. Stop the whole cluster');
await Promise.all(nodes.map((n) => n.stop()));
console.log('  all three processes exited; only the files in the data directory remain');

console.log('\n3. Start it again from the write-ahead logs');
nodes = await launch();
leader = await waitForLeader(nodes);
console.log(`  ${leader.id} is the leader`);
const reports = await until('every node to apply the recovered log', async () => {
  const all = await Promise.all(nodes.map((n) => n.status()));
  return all.every((r) => [...written].every(([k, v]) => r.data[k] === v)) ? all : undefined;
});

console.log('\n4. Every committed value is still there');
console.log(`  ${'node'.padEnd(6)}${'role'.padEnd(10)}${'applied'.padEnd(9)}values present`);
nodes.forEach((n, i) => {
  const r = reports[i] as NodeReport;
  const present = [...written].filter(([k, v]) => r.data[k] === v).length;
  console.log(`  ${n.id.padEnd(6)}${r.role.padEnd(10)}${String(r.appliedIndex).padEnd(9)}${present}/${written.size}`);
});
const after = await write(nodes, 'after-restart', 'yes');
console.log(`  and the restarted cluster commits new writes (after-restart=yes at index ${after})`);

await Promise.all(nodes.map((n) => n.stop()));
console.log(`\nDone. The logs are in ${dataDir} (run with --keep to start from them).`);
