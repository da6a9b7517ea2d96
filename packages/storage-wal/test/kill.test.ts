/**
 * A crash test with real processes: a child appends in a loop and reports each acknowledged
 * index; the parent kills it with SIGKILL at a random moment, reopens the directory and checks
 * that every index the child reported as acknowledged is present and intact. Bounded: five
 * kills, each after at most a few hundred acknowledgements.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LogIndex } from '@raft/abstractions';
import { seededRandom } from '@raft/harness/compliance';
import { describe, expect, it } from 'vitest';
import { killEntry } from './fixtures/kill-entry.js';
import { openWal, removeDir, tempDir } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));

/** Starts the child; resolves with it once it printed `ready`, tracking the highest ack seen. */
function startChild(dir: string): Promise<{ process: ChildProcess; acked: () => number; waitForAcks: (n: number) => Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let highest = 0;
  let buffer = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code, signal) => reject(new Error(`child exited early: ${code ?? signal}`)));
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [what, value] = line.split(' ');
        if (what === 'ready') resolve({ process: proc, acked: () => highest, waitForAcks: (n) => new Promise((r) => waiters.push({ n, resolve: r })) });
        if (what === 'ack') highest = Math.max(highest, Number(value));
      }
      for (const w of waiters.splice(0)) {
        if (highest >= w.n) w.resolve();
        else waiters.push(w);
      }
    });
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

describe('WAL under SIGKILL (real processes)', () => {
  it('keeps every acknowledged index across five kills at random moments', async () => {
    const dir = await tempDir();
    const random = seededRandom(20_240_601);
    try {
      let mustHave = 0;
      for (let round = 0; round < 5; round++) {
        const running = await startChild(dir);
        // Two processes cannot open one directory.
        await expect(openWal(dir)).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
        await running.waitForAcks(mustHave + 20 + Math.floor(random() * 200));
        await new Promise((r) => setTimeout(r, Math.floor(random() * 20)));
        await kill(running.process);
        mustHave = Math.max(mustHave, running.acked());

        // The killed child's lock is stale: the parent takes it over and recovers.
        const storage = await openWal(dir);
        try {
          expect(storage.log.lastIndex()).toBeGreaterThanOrEqual(mustHave);
          const first = storage.log.firstIndex();
          const entries = await storage.log.read(first, LogIndex(mustHave));
          expect(entries.length).toBe(mustHave - first + 1);
          entries.forEach((entry, k) => expect(entry).toEqual(killEntry(first + k)));
        } finally {
          await storage.close();
        }
      }
      expect(mustHave).toBeGreaterThan(100);
    } finally {
      await removeDir(dir);
    }
  });
});
