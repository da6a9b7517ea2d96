/**
 * `@raft/core` throughput: `process()` for a 3-node exchange in one thread, no I/O. Storage
 * acknowledges each write at once and messages are delivered FIFO, so what is measured is
 * the protocol code itself: committed entries per second on the leader, 100-byte payloads,
 * one proposal per round (unbatched) and 1,000 proposals per round (batched). The reference
 * is the bare cost of the data movement any implementation pays: allocating one entry object
 * per proposal and copying it into three logs, measured in the same run.
 */
import { type LogEntry, NodeId, type RaftEffect, type RaftMessage } from '@raft/abstractions';
import { RaftNodeState } from '@raft/core';
import { type Row, writeReport } from './report.js';

const ids = [NodeId('n1'), NodeId('n2'), NodeId('n3')];
const payload = new Uint8Array(100);

class Exchange {
  readonly nodes = new Map<NodeId, RaftNodeState>();
  private queue: RaftMessage[] = [];
  private head = 0;

  constructor() {
    for (const [i, id] of ids.entries()) {
      this.nodes.set(id, new RaftNodeState({ id, seed: i + 1, maxInflightMessages: 4 }, { configuration: { voters: ids, learners: [] } }));
    }
  }

  run(id: NodeId, effects: readonly RaftEffect[]): void {
    const node = this.nodes.get(id) as RaftNodeState;
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.queue.push(effect.message);
          break;
        case 'persistMeta':
          this.run(id, node.process({ type: 'metaPersisted', meta: effect.meta }).effects);
          break;
        case 'appendLog': {
          const last = effect.entries[effect.entries.length - 1] as LogEntry;
          this.run(id, node.process({ type: 'logPersisted', upTo: last.index, term: last.term }).effects);
          break;
        }
        case 'apply': {
          const last = effect.entries[effect.entries.length - 1] as LogEntry;
          this.run(id, node.process({ type: 'applied', upTo: last.index }).effects);
          break;
        }
        default:
          break;
      }
    }
  }

  deliverAll(): void {
    while (this.head < this.queue.length) {
      const message = this.queue[this.head++] as RaftMessage;
      this.run(message.to, (this.nodes.get(message.to) as RaftNodeState).process({ type: 'message', message }).effects);
    }
    this.queue = [];
    this.head = 0;
  }

  elect(): RaftNodeState {
    const leader = this.nodes.get(ids[0] as NodeId) as RaftNodeState;
    for (let i = 0; i < 100 && leader.status().role !== 'leader'; i++) {
      this.run(ids[0] as NodeId, leader.process({ type: 'tick' }).effects);
      this.deliverAll();
    }
    // One heartbeat round so followers know the commit index.
    for (const id of ids) this.run(id, (this.nodes.get(id) as RaftNodeState).process({ type: 'tick' }).effects);
    this.deliverAll();
    return leader;
  }
}

function measure(batch: number, totalEntries: number): Row {
  const exchange = new Exchange();
  const leader = exchange.elect();
  const leaderId = ids[0] as NodeId;
  const start = leader.status().commitIndex;
  let requestId = 0;
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < totalEntries; done += batch) {
    for (let i = 0; i < batch; i++) exchange.run(leaderId, leader.process({ type: 'propose', requestId: requestId++, payload }).effects);
    exchange.deliverAll();
  }
  // Followers learn the last commit index from one more heartbeat.
  exchange.run(leaderId, leader.process({ type: 'tick' }).effects);
  exchange.deliverAll();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const committed = leader.status().commitIndex - start;
  const followersCaughtUp = ids.every((id) => (exchange.nodes.get(id) as RaftNodeState).status().commitIndex === leader.status().commitIndex);
  if (!followersCaughtUp || committed !== totalEntries) throw new Error(`benchmark did not commit everything: ${committed}/${totalEntries}`);
  return {
    mode: batch === 1 ? 'unbatched (1 proposal per round)' : `batched (${batch} proposals per round)`,
    entries: committed,
    seconds: Number(seconds.toFixed(3)),
    'committed entries/s': Math.round(committed / seconds),
    'µs per entry': Number(((seconds * 1e6) / committed).toFixed(3)),
  };
}

/** Reference: the bare data movement — one entry object per proposal copied into three logs. */
function referenceCopy(totalEntries: number): number {
  const logs: LogEntry[][] = [[], [], []];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < totalEntries; i++) {
    const entry: LogEntry = { kind: 'command', index: (i + 1) as never, term: 1 as never, payload };
    for (const log of logs) log.push({ ...entry });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (logs[2]?.length !== totalEntries) throw new Error('reference lost entries');
  return Math.round(totalEntries / seconds);
}

function best(runs: number, f: () => Row): Row {
  let top: Row | undefined;
  for (let i = 0; i < runs; i++) {
    const row = f();
    if (top === undefined || (row['committed entries/s'] as number) > (top['committed entries/s'] as number)) top = row;
  }
  return top as Row;
}

// Warm up the JIT, then take the best of three runs of each.
measure(1, 20_000);
measure(1000, 100_000);
const unbatched = best(3, () => measure(1, 200_000));
const batched = best(3, () => measure(1000, 1_000_000));
const reference = Math.max(referenceCopy(1_000_000), referenceCopy(1_000_000));

writeReport({
  name: 'core-throughput',
  description:
    'RaftNodeState.process() for a 3-node exchange in one thread (no I/O, writes acknowledged at once, maxInflightMessages 4 so queued proposals ride in one AppendEntries): committed entries/s on the leader, 100-byte payloads, best of 3 runs.',
  rows: [unbatched, batched],
  reference: {
    what: 'allocate one entry per proposal and copy it into 3 in-memory logs (no protocol)',
    'entries/s': reference,
  },
  targets: [
    {
      what: 'batched committed entries/s',
      target: '>= 1,000,000',
      actual: String(batched['committed entries/s']),
      met: (batched['committed entries/s'] as number) >= 1_000_000,
    },
    {
      what: 'unbatched committed entries/s',
      target: '>= 150,000',
      actual: String(unbatched['committed entries/s']),
      met: (unbatched['committed entries/s'] as number) >= 150_000,
    },
  ],
});
