/** Closed-loop clients for the hosted benchmarks: wait for a leader, then measure submit → committed. */
import type { RaftNode } from '@raft/hosting';

/** The leader once every node agrees on it. */
export async function waitForLeader(nodes: readonly RaftNode<number>[]): Promise<RaftNode<number>> {
  for (;;) {
    const leader = nodes.find((n) => n.role === 'leader');
    if (leader !== undefined && nodes.every((n) => n.leaderId === leader.id)) return leader;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `concurrency` clients, each submitting its next `commandBytes`-byte command when the previous one
 * is answered, until `commands` were answered; latency per command from `submit` to its answer.
 */
export async function measure(leader: RaftNode<number>, concurrency: number, commands: number, commandBytes: number): Promise<{ rate: number; latencies: number[]; failed: number }> {
  const payload = new Uint8Array(commandBytes).fill(7);
  const latencies = new Array<number>(commands);
  let next = 0;
  let failed = 0;
  const client = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= commands) return;
      const started = performance.now();
      const result = await leader.submit(payload);
      latencies[i] = performance.now() - started;
      if (result.status !== 'committed') failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  return { rate: commands / seconds, latencies, failed };
}
