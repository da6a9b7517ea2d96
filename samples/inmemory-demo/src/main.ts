/**
 * A 3-node key-value cluster in one process: election, writes, a follower redirect, the
 * leader stopped and a new one elected, and a linearizable read — then a summary. Run it with
 * `pnpm demo` from the repository root.
 */
import { type CommittedCommand, NodeId, type StateMachine } from '@raft/abstractions';
import { type CommandResult, type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { pinoEventSink } from '@raft/telemetry-otel';
import { InMemoryNetwork } from '@raft/transport-inmemory';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The application: a map of strings. A command is `PUT key value`; apply returns the previous value. */
class KeyValueStore implements StateMachine<string | undefined> {
  readonly data = new Map<string, string>();

  apply(command: CommittedCommand): string | undefined {
    const [op, key = '', value = ''] = decoder.decode(command.payload).split(' ');
    if (op !== 'PUT') return undefined;
    const previous = this.data.get(key);
    this.data.set(key, value);
    return previous;
  }

  async *exportSnapshot(): AsyncIterable<Uint8Array> {
    yield encoder.encode(JSON.stringify([...this.data]));
  }

  async importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let text = '';
    for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
    this.data.clear();
    for (const [k, v] of JSON.parse(text) as [string, string][]) this.data.set(k, v);
  }
}

const put = (key: string, value: string): Uint8Array => encoder.encode(`PUT ${key} ${value}`);
const started = performance.now();
const log = (line: string): void => console.log(`[${(performance.now() - started).toFixed(0).padStart(5)} ms] ${line}`);

async function waitForLeader(nodes: readonly RaftNode<string | undefined>[]): Promise<RaftNode<string | undefined>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const leaders = nodes.filter((n) => n.role === 'leader');
    const leader = leaders[0];
    if (leaders.length === 1 && leader !== undefined && nodes.every((n) => n.leaderId === leader.id)) return leader;
    if (Date.now() > deadline) throw new Error('no leader elected within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function describe(result: CommandResult<string | undefined>): string {
  switch (result.status) {
    case 'committed':
      return `committed at index ${result.index} (term ${result.term}), previous value ${result.result ?? '(none)'}`;
    case 'redirected':
      return `redirected to ${result.leaderId} at ${result.endpoint ?? '?'}`;
    case 'rejected':
      return `rejected: ${result.reason}`;
    case 'timedOut':
    case 'cancelled':
      return `${result.status} (outcome ${result.outcome})`;
  }
}

const network = new InMemoryNetwork({ seed: 2024 });
const ids = ['n1', 'n2', 'n3'].map(NodeId);
const stores = new Map(ids.map((id) => [id, new KeyValueStore()]));
// Every protocol event as one JSON line (node, term, role, event, fields) on stderr, at info
// and above; the narrative below goes to stdout.
const events = pinoEventSink({ destination: 2, level: 'info' });
const nodes = ids.map((id) =>
  new RaftNodeBuilder()
    .withNodeId(id)
    .withPeers(ids)
    .withTransport(network.transport(id))
    .withPeerDirectory(network.directory())
    .withStateMachine(stores.get(id) as KeyValueStore)
    .withEventSink(events)
    .withOptions({ tickMs: 10 })
    .build(),
);
const summary: string[] = [];
for (const node of nodes) node.on('leaderChanged', (e) => e.leaderId !== undefined && log(`${node.id} follows leader ${e.leaderId} (term ${e.term})`));

log(`starting ${ids.join(', ')} (tick 10 ms, election timeout 100–200 ms)`);
await Promise.all(nodes.map((n) => n.start()));

const first = await waitForLeader(nodes);
log(`elected: ${first.id} in term ${first.status().term}`);
summary.push(`1. election: ${first.id} became leader of term ${first.status().term}`);

for (const [key, value] of [
  ['color', 'blue'],
  ['size', 'large'],
  ['color', 'green'],
] as const) {
  log(`PUT ${key} ${value} on ${first.id}: ${describe(await first.submit(put(key, value)))}`);
}
summary.push('2. writes: 3 PUTs committed on the leader');

const follower = nodes.find((n) => n.id !== first.id) as RaftNode<string | undefined>;
const redirect = await follower.submit(put('shape', 'round'));
log(`PUT shape round on follower ${follower.id}: ${describe(redirect)}`);
summary.push(`3. follower redirect: ${follower.id} answered ${describe(redirect)}`);

log(`stopping the leader ${first.id}`);
await first.stop();
const rest = nodes.filter((n) => n !== first);
const second = await waitForLeader(rest);
log(`new leader: ${second.id} in term ${second.status().term}`);
summary.push(`4. leader stopped: ${first.id} stopped, ${second.id} elected in term ${second.status().term}`);

log(`PUT shape round on ${second.id}: ${describe(await second.submit(put('shape', 'round')))}`);
const read = await second.read();
const store = stores.get(second.id) as KeyValueStore;
log(`linearizable read on ${second.id}: ${read.status}; color=${store.data.get('color')} size=${store.data.get('size')} shape=${store.data.get('shape')}`);
summary.push(`5. after failover: the write committed, a linearizable read sees color=${store.data.get('color')}, shape=${store.data.get('shape')}`);

// Wait for the surviving follower to apply everything, then compare the replicas.
const target = second.appliedIndex;
const deadline = Date.now() + 5000;
while (rest.some((n) => n.appliedIndex < target) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
const states = rest.map((n) => `${n.id}: ${JSON.stringify(Object.fromEntries((stores.get(n.id) as KeyValueStore).data))}`);
const identical = new Set(rest.map((n) => JSON.stringify([...(stores.get(n.id) as KeyValueStore).data]))).size === 1;
summary.push(`6. replicas ${identical ? 'identical' : 'DIFFER'}: ${states.join('; ')}`);

await Promise.all(rest.map((n) => n.stop()));
network.close();

console.log('\nSummary');
for (const line of summary) console.log(`  ${line}`);
if (!identical) process.exitCode = 1;
