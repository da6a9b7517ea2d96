import { NodeId, type RaftMessage, type TimeoutNow, Term, type TransportReceiver, isRaftError } from '@raft/abstractions';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryNetwork } from '../src/index.js';

const [a, b, c] = [NodeId('a'), NodeId('b'), NodeId('c')];

function message(from: NodeId, to: NodeId, term = 1): TimeoutNow {
  return { type: 'TimeoutNow', from, to, term: Term(term) };
}

interface Inbox extends TransportReceiver {
  readonly received: RaftMessage[];
  readonly failures: string[];
}

function inbox(): Inbox {
  const received: RaftMessage[] = [];
  const failures: string[] = [];
  return { received, failures, deliver: (m) => received.push(m), sendFailed: (to, reason) => failures.push(`${to}: ${reason}`) };
}

async function settle(ms = 0): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

let network: InMemoryNetwork;
afterEach(() => network?.close());

async function cluster(): Promise<Record<'a' | 'b' | 'c', Inbox>> {
  network = new InMemoryNetwork({ seed: 42 });
  const boxes = { a: inbox(), b: inbox(), c: inbox() };
  await network.transport(a).start(boxes.a);
  await network.transport(b).start(boxes.b);
  await network.transport(c).start(boxes.c);
  return boxes;
}

describe('InMemoryNetwork delivery', () => {
  it('delivers asynchronously, never inside send, in order, passing the same objects (zero-copy)', async () => {
    const boxes = await cluster();
    const sent = [message(a, b, 1), message(a, b, 2)];
    network.transport(a).send(b, sent);
    expect(boxes.b.received).toEqual([]);
    await settle();
    expect(boxes.b.received).toHaveLength(2);
    expect(boxes.b.received[0]).toBe(sent[0]);
    expect(boxes.b.received[1]).toBe(sent[1]);
    expect(network.stats()).toEqual({ sent: 2, delivered: 2, dropped: 0, duplicated: 0 });
  });

  it('reports a send to a node without a started transport as failed, and drops it', async () => {
    network = new InMemoryNetwork();
    const box = inbox();
    await network.transport(a).start(box);
    network.transport(a).send(b, [message(a, b)]);
    expect(box.failures).toEqual([expect.stringContaining('b: unreachable')]);
    expect(network.stats().dropped).toBe(1);
  });

  it('drops messages in flight to a node that stops before they arrive', async () => {
    const boxes = await cluster();
    network.transport(a).send(b, [message(a, b)]);
    await network.transport(b).stop();
    await settle();
    expect(boxes.b.received).toEqual([]);
    expect(network.stats().dropped).toBe(1);
  });

  it('gives the same transport for the same id so a restarted node can start it again', async () => {
    network = new InMemoryNetwork();
    const t = network.transport(a);
    expect(network.transport(a)).toBe(t);
    await t.start(inbox());
    await expect(t.start(inbox())).rejects.toSatisfy((e) => isRaftError(e, 'ILLEGAL_STATE'));
    await t.stop();
    const again = inbox();
    await t.start(again);
    expect(network.attached()).toEqual([a]);
  });

  it('names endpoints memory://<id>', () => {
    network = new InMemoryNetwork();
    expect(network.directory().endpointOf(a)).toBe('memory://a');
  });
});

describe('InMemoryNetwork faults', () => {
  it('partition: nodes in different groups cannot talk, nodes in one group can; heal restores', async () => {
    const boxes = await cluster();
    network.partition([a], [b, c]);
    network.transport(a).send(b, [message(a, b)]);
    network.transport(b).send(a, [message(b, a)]);
    network.transport(b).send(c, [message(b, c)]);
    await settle();
    expect(boxes.a.received).toEqual([]);
    expect(boxes.b.received).toEqual([]);
    expect(boxes.c.received).toHaveLength(1);
    network.heal();
    network.transport(a).send(b, [message(a, b)]);
    await settle();
    expect(boxes.b.received).toHaveLength(1);
  });

  it('a node left out of every partition group is cut off', async () => {
    const boxes = await cluster();
    network.partition([a, b]);
    network.transport(a).send(c, [message(a, c)]);
    network.transport(a).send(b, [message(a, b)]);
    await settle();
    expect(boxes.c.received).toEqual([]);
    expect(boxes.b.received).toHaveLength(1);
  });

  it('refuses a node in two partition groups', async () => {
    await cluster();
    expect(() => network.partition([a, b], [b])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('isolate cuts one node off in both directions while the others keep talking', async () => {
    const boxes = await cluster();
    network.isolate(a);
    network.transport(a).send(b, [message(a, b)]);
    network.transport(c).send(a, [message(c, a)]);
    network.transport(b).send(c, [message(b, c)]);
    await settle();
    expect(boxes.a.received).toEqual([]);
    expect(boxes.b.received).toEqual([]);
    expect(boxes.c.received).toHaveLength(1);
    expect(network.canReach(b, c)).toBe(true);
    expect(network.canReach(a, b)).toBe(false);
  });

  it('block is one-way', async () => {
    const boxes = await cluster();
    network.block(a, b);
    network.transport(a).send(b, [message(a, b)]);
    network.transport(b).send(a, [message(b, a)]);
    await settle();
    expect(boxes.b.received).toEqual([]);
    expect(boxes.a.received).toHaveLength(1);
  });

  it('drop rate 1 loses everything, drop rate 0.5 about half (seeded), per link or everywhere', async () => {
    const boxes = await cluster();
    network.setDropRate(1, { from: a, to: b });
    network.transport(a).send(b, [message(a, b), message(a, b)]);
    network.transport(a).send(c, [message(a, c)]);
    await settle();
    expect(boxes.b.received).toEqual([]);
    expect(boxes.c.received).toHaveLength(1);
    network.reset();
    network.setDropRate(0.5);
    const many = Array.from({ length: 1000 }, () => message(b, c));
    network.transport(b).send(c, many);
    await settle();
    const got = boxes.c.received.length - 1;
    expect(got).toBeGreaterThan(350);
    expect(got).toBeLessThan(650);
  });

  it('the same seed makes the same drop decisions', async () => {
    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const boxes = await cluster();
      network.setDropRate(0.5);
      network.transport(a).send(b, Array.from({ length: 50 }, (_, i) => message(a, b, i + 1)));
      await settle();
      runs.push(boxes.b.received.map((m) => m.term));
      network.close();
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it('duplicate rate 1 delivers every message twice', async () => {
    const boxes = await cluster();
    network.setDuplicateRate(1);
    network.transport(a).send(b, [message(a, b, 1), message(a, b, 2)]);
    await settle();
    expect(boxes.b.received.map((m) => m.term)).toEqual([1, 1, 2, 2]);
    expect(network.stats().duplicated).toBe(2);
  });

  it('delay holds messages back until the timer fires; close cancels pending deliveries', async () => {
    const boxes = await cluster();
    network.setDelay(20);
    network.transport(a).send(b, [message(a, b)]);
    await settle(0);
    expect(boxes.b.received).toEqual([]);
    await settle(60);
    expect(boxes.b.received).toHaveLength(1);
    network.transport(a).send(b, [message(a, b)]);
    network.close();
    await settle(60);
    expect(boxes.b.received).toHaveLength(1);
  });

  it('rejects invalid fault settings with a ConfigurationError naming the option', async () => {
    await cluster();
    expect(() => network.setDropRate(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option: 'dropRate' }));
    expect(() => network.setDuplicateRate(-1)).toThrow(expect.objectContaining({ option: 'duplicateRate' }));
    expect(() => network.setDelay({ min: 5, max: 1 })).toThrow(expect.objectContaining({ option: 'delay' }));
    expect(() => new InMemoryNetwork({ seed: 0.5 })).toThrow(expect.objectContaining({ option: 'seed' }));
  });

  it('a closed network refuses new transports', () => {
    network = new InMemoryNetwork();
    network.close();
    expect(() => network.transport(a)).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
  });
});
