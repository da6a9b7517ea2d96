/** Something with a deadline (milliseconds on the `performance.now()` clock). */
export interface HasDeadline {
  readonly deadline: number;
  /** `true` once answered; a settled item is skipped (removed lazily). */
  settled: boolean;
}

/**
 * A binary min-heap of deadlines, checked on every tick: one structure instead of one timer
 * per request, so a node leaves no timer behind and 100k requests cost no 100k timers.
 */
export class Deadlines<T extends HasDeadline> {
  readonly #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  add(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as T).deadline <= item.deadline) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
  }

  /** Removes and returns every unsettled item whose deadline is `<= now`. */
  expired(now: number): T[] {
    const out: T[] = [];
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0] as T;
      if (!top.settled && top.deadline > now) break;
      this.#pop();
      if (!top.settled) out.push(top);
    }
    return out;
  }

  /**
   * Drops settled items when they make up more than half of the heap, so answered requests
   * are not kept alive until their deadline (amortised O(1) per request). A sorted array is a
   * valid heap.
   */
  compact(): void {
    const heap = this.#heap;
    let live = 0;
    for (const item of heap) if (!item.settled) live++;
    if (heap.length < 1024 || live * 2 > heap.length) return;
    const kept = heap.filter((item) => !item.settled).sort((a, b) => a.deadline - b.deadline);
    heap.length = 0;
    for (const item of kept) heap.push(item);
  }

  clear(): void {
    this.#heap.length = 0;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as T;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (heap[r] as T).deadline < (heap[l] as T).deadline ? r : l;
      if ((heap[child] as T).deadline >= last.deadline) break;
      heap[i] = heap[child] as T;
      i = child;
    }
    heap[i] = last;
  }
}
