/**
 * @raft/transport-tcp over loopback (issue 6): one-way message throughput (AppendEntries with one
 * 100-byte entry, and 64-entry batches) and ping-pong round-trip time (RequestVote →
 * RequestVoteResponse), next to raw node:net figures measured in the same run on the same two
 * processes: ping-pong RTT of 100-byte messages, and the one-way rate of 100-byte frames written
 * one `write()` each and coalesced into 64 KiB writes.
 *
 * The receiving side runs in a child process (this file with `--child`), so sender and receiver
 * each have a core, as two nodes would. Throughput is flow-controlled the way Raft is: the receiver
 * acknowledges every 512 messages or 512 KiB of payload (an AppendEntriesResponse through the transport) and the sender
 * keeps at most 16,384 messages or 8 MiB unacknowledged, so nothing is dropped and every message counts.
 *
 * Run: pnpm --filter @raft/benchmarks exec tsx src/run-all.ts transport-tcp
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AppendEntries,
  type AppendEntriesResponse,
  type LogEntry,
  LogIndex,
  NodeId,
  type RaftMessage,
  type RequestVote,
  type RequestVoteResponse,
  Term,
} from '@raft/abstractions';
import { encodeMessage } from '@raft/codecs';
import { type PeerAddress, type TcpTransport, type TcpTransportOptions, tcpTransport } from '@raft/transport-tcp';
import { percentile, writeReport } from './report.js';

const CLUSTER = 'bench';
/** Plaintext with CRC-32C per frame (the default without TLS), plaintext without, mutual TLS 1.3. */
const CONFIGS = ['crc', 'nocrc', 'tls'] as const;
type Config = (typeof CONFIGS)[number];
const LABELS: Record<Config, string> = { crc: 'plaintext + CRC-32C (default)', nocrc: 'plaintext, no checksum', tls: 'mutual TLS 1.3 (no CRC)' };

/** Certificates for n1 and n2 from a throw-away CA, made with the openssl CLI; the directory comes from the parent. */
function makeCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'raft-bench-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench-ca']);
  for (const id of ['n1', 'n2']) {
    run(['req', ...ec, '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${id}`]);
    writeFileSync(join(dir, `${id}.ext`), `subjectAltName=DNS:${id}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    run(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.crt`, '-days', '1', '-extfile', `${id}.ext`]);
  }
  return dir;
}

function configOptions(config: Config, id: string): Pick<TcpTransportOptions, 'checksum' | 'tls'> {
  if (config !== 'tls') return { checksum: config === 'crc' };
  const dir = process.env.RAFT_BENCH_TLS_DIR as string;
  const file = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { tls: { key: file(`${id}.key`), cert: file(`${id}.crt`), ca: file('ca.crt') } };
}
const PAYLOAD_BYTES = 100;
const ACK_EVERY = 512;
const ACK_BYTES = 512 * 1024;
/** Most unacknowledged messages, and bytes, in flight: well under the default 32 MiB queue cap. */
const WINDOW = 16_384;
const WINDOW_BYTES = 8 * 1024 * 1024;
const quiet = { warn: (message: string) => console.error(message) };

interface ChildPorts {
  readonly echo: number;
  readonly sink: number;
  readonly transports: Record<string, number>;
}

type Control = { type: 'sink'; bytes: number } | { type: 'exit' };

// ─── child: the receiving side ────────────────────────────────────────────────────────────
async function child(): Promise<void> {
  // Raw echo server: returns every byte it reads.
  const echo = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => undefined);
  });
  // Raw sink: counts bytes and answers one byte once the expected number arrived.
  let expected = Number.POSITIVE_INFINITY;
  let received = 0;
  const sink = createServer((socket) => {
    received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= expected) {
        expected = Number.POSITIVE_INFINITY;
        socket.write(Uint8Array.of(1));
      }
    });
    socket.on('error', () => undefined);
  });
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: Control) => {
    if (message.type === 'sink') {
      expected = message.bytes;
      received = 0;
      process.send?.({ type: 'sink-ready' });
    } else if (message.type === 'exit') process.exit(0);
  });
  await Promise.all([listen(echo), listen(sink)]);

  // Transport node n2 per configuration (plaintext with CRC-32C, the default; and without).
  const ports: Record<string, number> = {};
  for (const name of CONFIGS) {
    const nodePeers: Record<string, PeerAddress> = {};
    const transport: TcpTransport = tcpTransport({
      nodeId: NodeId('n2'),
      clusterId: `${CLUSTER}-${name}`,
      listen: { host: '127.0.0.1', port: 0 },
      peers: nodePeers,
      ...configOptions(name, 'n2'),
      logger: quiet,
    });
    let count = 0;
    let unackedBytes = 0;
    await transport.start({
      deliver(message: RaftMessage) {
        if (message.type === 'RequestVote') {
          const pong: RequestVoteResponse = { type: 'RequestVoteResponse', from: n2, to: n1, term: message.term, granted: true, preVote: false };
          transport.send(n1, [pong]);
        } else if (message.type === 'AppendEntries') {
          count++;
          unackedBytes += message.entries.length * PAYLOAD_BYTES;
          if (count % ACK_EVERY === 0 || unackedBytes >= ACK_BYTES) {
            ack(transport, count);
            unackedBytes = 0;
          }
        } else if (message.type === 'TimeoutNow') {
          // Marks the end of a throughput run: acknowledge what arrived, reset.
          ack(transport, count);
          count = 0;
          unackedBytes = 0;
        }
      },
    });
    ports[name] = (transport.address() as PeerAddress).port;
    process.on('message', (message: { type: string; name?: string; port?: number }) => {
      if (message.type === 'peer' && message.name === name) {
        nodePeers['n1'] = { host: '127.0.0.1', port: message.port as number };
        process.send?.({ type: 'peer-ready', name });
      }
    });
  }
  const result: ChildPorts = { echo: portOf(echo), sink: portOf(sink), transports: ports };
  process.send?.({ type: 'ports', ports: result });
}

function ack(transport: TcpTransport, count: number): void {
  const response: AppendEntriesResponse = {
    type: 'AppendEntriesResponse',
    from: n2,
    to: n1,
    term: Term(1),
    success: true,
    matchIndex: LogIndex(count),
    lastLogIndex: LogIndex(count),
    seq: count,
  };
  transport.send(n1, [response]);
}

const n1 = NodeId('n1');
const n2 = NodeId('n2');

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

// ─── parent: the sending side ─────────────────────────────────────────────────────────────
function appendEntries(entries: number, seq: number): AppendEntries {
  const list: LogEntry[] = [];
  for (let i = 0; i < entries; i++) {
    const payload = new Uint8Array(PAYLOAD_BYTES);
    payload.fill((seq + i) & 0xff);
    list.push({ kind: 'command', index: LogIndex(100_001 + i), term: Term(7), payload });
  }
  return { type: 'AppendEntries', from: n1, to: n2, term: Term(7), prevLogIndex: LogIndex(100_000), prevLogTerm: Term(7), entries: list, leaderCommit: LogIndex(99_999), seq };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function rawPingPong(port: number, rounds: number): Promise<number[]> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const message = Buffer.alloc(100, 7);
  const rtts: number[] = [];
  let pending = 0;
  let resolveRound: (() => void) | undefined;
  socket.on('data', (chunk) => {
    pending -= chunk.length;
    if (pending <= 0) resolveRound?.();
  });
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    pending = message.length;
    const done = new Promise<void>((resolve) => {
      resolveRound = resolve;
    });
    socket.write(message);
    await done;
    rtts.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  socket.destroy();
  return rtts;
}

/** Raw one-way frames/s: `count` frames of 100 bytes, in writes of `framesPerWrite` frames. */
async function rawOneWay(worker: ChildProcess, port: number, count: number, framesPerWrite: number): Promise<number> {
  const frameBytes = 100;
  count = Math.ceil(count / framesPerWrite) * framesPerWrite;
  worker.send({ type: 'sink', bytes: count * frameBytes });
  await onceMessage(worker, 'sink-ready');
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const write = Buffer.alloc(frameBytes * framesPerWrite, 9);
  const finished = once(socket, 'data');
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < count; sent += framesPerWrite) {
    if (!socket.write(write)) await once(socket, 'drain');
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return count / seconds;
}

function onceMessage(worker: ChildProcess, type: string, name?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (message: Record<string, unknown>) => {
      if (message.type === type && (name === undefined || message.name === name)) {
        worker.off('message', listener);
        resolve(message);
      }
    };
    worker.on('message', listener);
  });
}

interface Sender {
  readonly transport: TcpTransport;
  acked: number;
  onPong: ((message: RequestVoteResponse) => void) | undefined;
  onAck: (() => void) | undefined;
}

async function sender(worker: ChildProcess, name: Config, childPort: number): Promise<Sender> {
  const peers: Record<string, PeerAddress> = { n2: { host: '127.0.0.1', port: childPort } };
  const transport = tcpTransport({ nodeId: n1, clusterId: `${CLUSTER}-${name}`, listen: { host: '127.0.0.1', port: 0 }, peers, ...configOptions(name, 'n1'), logger: quiet });
  const state: Sender = { transport, acked: 0, onPong: undefined, onAck: undefined };
  await transport.start({
    deliver(message) {
      if (message.type === 'RequestVoteResponse') state.onPong?.(message);
      else if (message.type === 'AppendEntriesResponse') {
        state.acked = message.matchIndex;
        state.onAck?.();
      }
    },
    sendFailed(_to, reason) {
      // The flow control below should make drops impossible; a drop would skew (and stall) the run.
      console.error(`unexpected drop: ${reason}`);
      process.exit(1);
    },
  });
  worker.send({ type: 'peer', name, port: (transport.address() as PeerAddress).port });
  await onceMessage(worker, 'peer-ready', name);
  return state;
}

async function pingPong(s: Sender, rounds: number): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const ping: RequestVote = { type: 'RequestVote', from: n1, to: n2, term: Term(i + 1), lastLogIndex: LogIndex(0), lastLogTerm: Term(0), preVote: false, leadershipTransfer: false };
    const start = process.hrtime.bigint();
    const pong = new Promise<void>((resolve) => {
      s.onPong = (message) => {
        if (message.term === i + 1) resolve();
      };
    });
    s.transport.send(n2, [ping]);
    await pong;
    rtts.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  s.onPong = undefined;
  return rtts;
}

/** One-way messages/s of `message`, `count` of them, `perTurn` send() calls per event-loop turn. */
async function oneWay(s: Sender, message: AppendEntries, count: number, perTurn: number): Promise<number> {
  s.acked = 0;
  const window = Math.min(WINDOW, Math.floor(WINDOW_BYTES / encodeMessage(message, { checksum: true }).length));
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < count) {
    if (sent - s.acked >= window) {
      await new Promise<void>((resolve) => {
        s.onAck = resolve;
      });
      s.onAck = undefined;
      continue;
    }
    const n = Math.min(perTurn, count - sent, window - (sent - s.acked));
    for (let k = 0; k < n; k++) s.transport.send(n2, [message]);
    sent += n;
    await turn();
  }
  // A TimeoutNow marks the end; the child acknowledges the total count.
  s.transport.send(n2, [{ type: 'TimeoutNow', from: n1, to: n2, term: Term(7) }]);
  while (s.acked < count) {
    await new Promise<void>((resolve) => {
      s.onAck = resolve;
    });
  }
  s.onAck = undefined;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

const median = (values: readonly number[]): number => percentile(values, 50);

async function parent(): Promise<void> {
  const certificates = makeCertificates();
  process.env.RAFT_BENCH_TLS_DIR = certificates;
  const worker = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { ports } = (await onceMessage(worker, 'ports')) as unknown as { ports: ChildPorts };
  const senders = {} as Record<Config, Sender>;
  for (const name of CONFIGS) senders[name] = await sender(worker, name, ports.transports[name] as number);

  const one = appendEntries(1, 1);
  const batch = appendEntries(64, 2);
  const frameBytes = (m: AppendEntries, name: Config) => encodeMessage(m, { checksum: name === 'crc' }).length;
  const ROUNDS = 7;
  const RTT_PER_ROUND = 2000;

  // Warm-up of every path.
  await rawPingPong(ports.echo, 2000);
  await rawOneWay(worker, ports.sink, 100_000, 1);
  for (const s of Object.values(senders)) {
    await pingPong(s, 2000);
    await oneWay(s, one, 50_000, 64);
    await oneWay(s, batch, 5_000, 16);
  }

  const samples = {
    rawRtt: [] as number[],
    rawOneWrite: [] as number[],
    rawCoalesced: [] as number[],
    rtt: { crc: [] as number[], nocrc: [] as number[], tls: [] as number[] },
    one: { crc: [] as number[], nocrc: [] as number[], tls: [] as number[] },
    batch: { crc: [] as number[], nocrc: [] as number[], tls: [] as number[] },
  };
  // Interleaved in short rounds, so raw and transport figures share the machine's noise.
  for (let round = 0; round < ROUNDS; round++) {
    samples.rawRtt.push(...(await rawPingPong(ports.echo, RTT_PER_ROUND)));
    samples.rawOneWrite.push(await rawOneWay(worker, ports.sink, 100_000, 1));
    samples.rawCoalesced.push(await rawOneWay(worker, ports.sink, 1_000_000, 655));
    for (const name of CONFIGS) {
      const s = senders[name];
      samples.rtt[name].push(...(await pingPong(s, RTT_PER_ROUND)));
      samples.one[name].push(await oneWay(s, one, 100_000, 64));
      samples.batch[name].push(await oneWay(s, batch, 8_000, 16));
    }
  }

  const rawRttP50 = median(samples.rawRtt);
  const rawRttP99 = percentile(samples.rawRtt, 99);
  const rawOneWrite = median(samples.rawOneWrite);
  const rawCoalesced = median(samples.rawCoalesced);
  const rows = [];
  for (const name of CONFIGS) {
    const label = LABELS[name];
    const oneBytes = frameBytes(one, name);
    const batchBytes = frameBytes(batch, name);
    const rtt50 = median(samples.rtt[name]);
    const rtt99 = percentile(samples.rtt[name], 99);
    const oneRate = median(samples.one[name]);
    const batchRate = median(samples.batch[name]);
    rows.push(
      {
        transport: label,
        measure: 'ping-pong RTT (RequestVote → response)',
        value: `p50 ${rtt50.toFixed(1)} µs · p99 ${rtt99.toFixed(1)} µs`,
        'vs raw node:net': `${(rtt50 / rawRttP50).toFixed(2)}× raw p50`,
      },
      {
        transport: label,
        measure: `one-way AppendEntries, 1 × ${PAYLOAD_BYTES} B entry (${oneBytes} B frame)`,
        value: `${Math.round(oneRate).toLocaleString('en-US')} msg/s · ${((oneRate * oneBytes) / 1e6).toFixed(1)} MB/s`,
        'vs raw node:net': `${(oneRate / rawOneWrite).toFixed(2)}× raw one-write-per-frame`,
      },
      {
        transport: label,
        measure: `one-way AppendEntries, 64 × ${PAYLOAD_BYTES} B entries (${batchBytes} B frame)`,
        value: `${Math.round(batchRate).toLocaleString('en-US')} msg/s · ${Math.round(batchRate * 64).toLocaleString('en-US')} entries/s · ${((batchRate * batchBytes) / 1e6).toFixed(0)} MB/s`,
        'vs raw node:net': `${((batchRate * batchBytes) / (rawCoalesced * 100)).toFixed(2)}× raw coalesced bytes/s`,
      },
    );
  }

  writeReport({
    name: 'transport-tcp',
    description: `@raft/transport-tcp between two processes over 127.0.0.1 (${process.version}); median of ${ROUNDS} rounds for rates, percentiles over ${ROUNDS} × ${RTT_PER_ROUND} round trips, raw and transport interleaved round by round; flow-controlled by acknowledgements every ${ACK_EVERY} messages or ${ACK_BYTES / 1024} KiB, window ${WINDOW} messages or ${WINDOW_BYTES / 2 ** 20} MiB.`,
    rows,
    reference: {
      'raw node:net ping-pong 100 B RTT (same run)': `p50 ${rawRttP50.toFixed(1)} µs · p99 ${rawRttP99.toFixed(1)} µs`,
      'raw one-way 100 B frames, one write() each (same run)': `${Math.round(rawOneWrite).toLocaleString('en-US')} frames/s`,
      'raw one-way 100 B frames, 64 KiB writes (same run)': `${Math.round(rawCoalesced).toLocaleString('en-US')} frames/s · ${((rawCoalesced * 100) / 1e6).toFixed(0)} MB/s`,
      'machine.md (other run)': 'RTT p50 32 µs · 270 k/s one write each · 4.4 M/s coalesced',
    },
  });
  for (const s of Object.values(senders)) await s.transport.stop();
  worker.send({ type: 'exit' });
  await once(worker, 'exit');
  rmSync(certificates, { recursive: true, force: true });
}

if (process.argv.includes('--child')) await child();
else await parent();
