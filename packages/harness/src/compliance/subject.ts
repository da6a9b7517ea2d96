/**
 * How a compliance suite gets the implementation under test. Each test calls `create()` for a
 * fresh, empty store; tests of durability close it and call `reopen()`; `destroy()` runs after
 * every test (after the suite closed the store) to remove temporary files.
 */
export interface ComplianceSubject<S> {
  /** A fresh, empty store. */
  create(): Promise<S>;
  /**
   * Opens again the durable data behind `closed`, which the suite has already closed. Omit it
   * for a store that keeps nothing across a close; the durability tests are then not run.
   */
  reopen?(closed: S): Promise<S>;
  /** Cleans up after a test; receives the last store the test used, already closed. */
  destroy?(store: S): Promise<void>;
}

/** Closes a store, tolerating one that is already closed. */
export async function closeQuietly(store: { close(): Promise<void> }): Promise<void> {
  try {
    await store.close();
  } catch {
    // Already closed, or failed: the test that cares has checked it already.
  }
}

/**
 * Runs `body` with a fresh store from `subject`, reopening on demand, and always closes and
 * destroys the last store it handed out.
 */
export async function withStore<S extends { close(): Promise<void> }>(
  subject: ComplianceSubject<S>,
  body: (store: S, reopen: (store: S) => Promise<S>) => Promise<void>,
): Promise<void> {
  let current = await subject.create();
  const reopen = async (store: S): Promise<S> => {
    if (subject.reopen === undefined) throw new Error('reopen is not supported by this subject');
    await store.close();
    current = await subject.reopen(store);
    return current;
  };
  try {
    await body(current, reopen);
  } finally {
    await closeQuietly(current);
    await subject.destroy?.(current);
  }
}

/** A small deterministic PRNG (mulberry32) so that generated workloads are replayable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
