import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '@raft/abstractions';
import { ioError } from './fs.js';

/** A held directory lock; `release()` removes it. */
export interface DirectoryLock {
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') return value as LockOwner;
  } catch {
    // Unreadable or half-written: treated as held (we cannot tell who owns it).
  }
  return undefined;
}

/**
 * Takes the exclusive lock `<dir>/LOCK`, so two processes (or two opens in one process) never
 * write one directory. The lock file is created atomically (`link` of a private file: fails if
 * it exists) and names its owner. A lock left by a process that no longer runs on this host
 * (a crash, SIGKILL) is stale and taken over; anything else rejects with `STORAGE_LOCKED`.
 */
export async function acquireLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, 'LOCK');
  const me: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const mine = join(dir, `LOCK.${me.token}`);
  try {
    await writeFile(mine, JSON.stringify(me));
  } catch (cause) {
    throw ioError(`cannot create lock file in ${dir}`, cause);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, path);
        return {
          async release() {
            const owner = await readOwner(path);
            if (owner?.token === me.token) await unlink(path).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot create ${path}`, error);
      }
      const owner = await readOwner(path);
      if (owner === undefined || owner.host !== me.host || isAlive(owner.pid)) {
        const who = owner === undefined ? 'an unknown owner' : `process ${owner.pid} on ${owner.host}${owner.pid === process.pid ? ' (this process)' : ''}`;
        throw new StorageError('STORAGE_LOCKED', `storage directory ${dir} is locked by ${who}; if no such process runs, delete ${path}`);
      }
      // Stale: move it aside atomically (only one contender can move this very file), check we
      // moved the stale one, then retry the link.
      const aside = join(dir, `LOCK.stale.${me.token}`);
      try {
        await rename(path, aside);
      } catch {
        continue;
      }
      const moved = await readOwner(aside);
      if (moved?.token !== owner.token) {
        // Another contender took the lock between our read and our rename: give it back.
        await link(aside, path).catch(() => undefined);
        await unlink(aside).catch(() => undefined);
        throw new StorageError('STORAGE_LOCKED', `storage directory ${dir} was locked concurrently by another process`);
      }
      await unlink(aside).catch(() => undefined);
    }
    throw new StorageError('STORAGE_LOCKED', `could not take the lock ${path}`);
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}
