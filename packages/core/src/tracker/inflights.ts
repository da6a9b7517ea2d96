/**
 * The pipelining window of one follower (etcd `tracker.Inflights`): the AppendEntries with
 * entries that were sent and not yet acknowledged, each remembered by its last index and
 * entry bytes.
 *
 * Invariant: `lastIndices` increase strictly; `count() <= maxMessages`, and `bytes() <= maxBytes`
 * except for a single oversized message.
 */
export class Inflights {
  private readonly lastIndices: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private totalBytes = 0;

  private readonly maxMessages: number;
  /** 0 means unlimited. */
  private readonly maxBytes: number;

  constructor(maxMessages: number, maxBytes: number) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  count(): number {
    return this.lastIndices.length - this.head;
  }

  bytes(): number {
    return this.totalBytes;
  }

  /** `true` when no more messages may be sent (etcd `Inflights.Full`). */
  full(): boolean {
    return this.count() >= this.maxMessages || (this.maxBytes > 0 && this.totalBytes >= this.maxBytes);
  }

  /** Records a message whose last entry has `lastIndex`. */
  add(lastIndex: number, bytes: number): void {
    this.lastIndices.push(lastIndex);
    this.sizes.push(bytes);
    this.totalBytes += bytes;
  }

  /** Frees every message whose last index is `<= index` (they are acknowledged). */
  freeLE(index: number): void {
    while (this.head < this.lastIndices.length && (this.lastIndices[this.head] as number) <= index) {
      this.totalBytes -= this.sizes[this.head] as number;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.lastIndices.length) {
      this.lastIndices.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  reset(): void {
    this.lastIndices.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.totalBytes = 0;
  }
}
