import { type AppendEntries, type NodeId, type RaftMessage, type Transport, NodeId as makeNodeId, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';

/**
 * How the transport suite gets the implementation under test: a group of connected transports,
 * one per node id, on a reliable network (no injected faults), and a way to tear them down.
 */
export interface TransportComplianceSubject {
  /** Transports for `ids`, able to reach one another; not started yet. */
  create(ids: readonly NodeId[]): Promise<ReadonlyMap<NodeId, Transport>>;
  /** Releases anything `create` set up (called after the suite stopped the transports). */
  destroy?(transports: ReadonlyMap<NodeId, Transport>): Promise<void>;
}

/** A received message log for one node. */
interface Inbox {
  readonly messages: RaftMessage[];
  readonly failures: { to: NodeId; reason: string }[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

function inbox(): Inbox & { deliver(m: RaftMessage): void; sendFailed(to: NodeId, reason: string): void } {
  const messages: RaftMessage[] = [];
  const failures: { to: NodeId; reason: string }[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  return {
    messages,
    failures,
    deliver(m) {
      messages.push(m);
      const ready = waiters.filter((w) => messages.length >= w.count);
      waiters = waiters.filter((w) => messages.length < w.count);
      for (const w of ready) w.resolve();
    },
    sendFailed(to, reason) {
      failures.push({ to, reason });
    },
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${count} messages arrived within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

const ids = [makeNodeId('t1'), makeNodeId('t2'), makeNodeId('t3')];

function append(from: NodeId, to: NodeId, seq: number, payload: Uint8Array): AppendEntries {
  return {
    type: 'AppendEntries',
    from,
    to,
    term: Term(3),
    prevLogIndex: seq as never,
    prevLogTerm: Term(3),
    entries: [{ kind: 'command', index: (seq + 1) as never, term: Term(3), payload, correlationId: `c${seq}` }],
    leaderCommit: seq as never,
    seq,
  };
}

/**
 * The compliance suite for {@link Transport} implementations: messages reach their recipient
 * with every field intact (payload bytes included), in order on a reliable link, batches sent
 * together all arrive, a send never throws for an unreachable peer or after stop, and stop
 * resolves and ends delivery.
 *
 * @example
 * ```ts
 * describeTransportCompliance('in-memory', {
 *   create: async (ids) => { const net = new InMemoryNetwork(); return new Map(ids.map((id) => [id, net.transport(id)])); },
 * });
 * ```
 */
export function describeTransportCompliance(name: string, subject: TransportComplianceSubject): void {
  const run =
    (body: (transports: ReadonlyMap<NodeId, Transport>, inboxes: ReadonlyMap<NodeId, Inbox>) => Promise<void>) =>
    async (): Promise<void> => {
      const transports = await subject.create(ids);
      const inboxes = new Map(ids.map((id) => [id, inbox()] as const));
      try {
        for (const id of ids) await (transports.get(id) as Transport).start(inboxes.get(id) as ReturnType<typeof inbox>);
        await body(transports, inboxes);
      } finally {
        for (const t of transports.values()) await t.stop().catch(() => undefined);
        await subject.destroy?.(transports);
      }
    };
  const [a, b, c] = ids as [NodeId, NodeId, NodeId];

  describe(`Transport compliance: ${name}`, () => {
    it('delivers a message to its recipient with every field intact', run(async (t, inboxes) => {
      const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      const message = append(a, b, 1, payload);
      (t.get(a) as Transport).send(b, [message]);
      await (inboxes.get(b) as Inbox).waitFor(1);
      const received = (inboxes.get(b) as Inbox).messages[0] as AppendEntries;
      expect({ ...received, entries: undefined }).toEqual({ ...message, entries: undefined });
      const entry = received.entries[0];
      expect(entry?.kind === 'command' && [...entry.payload]).toEqual([...payload]);
      expect(entry).toMatchObject({ index: 2, term: 3, correlationId: 'c1' });
      expect((inboxes.get(c) as Inbox).messages).toEqual([]);
    }));

    it('delivers every message of a batch, and keeps order on a reliable link', run(async (t, inboxes) => {
      const batch = Array.from({ length: 50 }, (_, i) => append(a, c, i, new Uint8Array([i])));
      (t.get(a) as Transport).send(c, batch.slice(0, 20));
      (t.get(a) as Transport).send(c, batch.slice(20));
      await (inboxes.get(c) as Inbox).waitFor(50);
      expect((inboxes.get(c) as Inbox).messages.map((m) => (m as AppendEntries).seq)).toEqual(batch.map((m) => m.seq));
    }));

    it('carries traffic in both directions and between every pair', run(async (t, inboxes) => {
      for (const from of ids) for (const to of ids) if (from !== to) (t.get(from) as Transport).send(to, [append(from, to, 7, new Uint8Array(1))]);
      for (const id of ids) await (inboxes.get(id) as Inbox).waitFor(2);
      for (const id of ids) expect(new Set((inboxes.get(id) as Inbox).messages.map((m) => m.from))).toEqual(new Set(ids.filter((x) => x !== id)));
    }));

    it('never throws for a peer it cannot reach', run(async (t) => {
      const stranger = makeNodeId('nobody');
      expect(() => (t.get(a) as Transport).send(stranger, [append(a, stranger, 1, new Uint8Array(1))])).not.toThrow();
    }));

    it('stops cleanly: stop resolves, later sends do not throw and are not delivered', run(async (t, inboxes) => {
      await (t.get(b) as Transport).stop();
      expect(() => (t.get(b) as Transport).send(a, [append(b, a, 1, new Uint8Array(1))])).not.toThrow();
      (t.get(a) as Transport).send(b, [append(a, b, 2, new Uint8Array(1))]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((inboxes.get(b) as Inbox).messages).toEqual([]);
      expect((inboxes.get(a) as Inbox).messages.filter((m) => m.from === b)).toEqual([]);
    }));
  });
}
