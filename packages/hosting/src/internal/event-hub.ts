import { InvalidArgumentError } from '@raft/abstractions';

/** Options of {@link EventHub.stream}. */
export interface StreamOptions {
  /** Ends the stream when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Events kept for a consumer that is behind; when full, the oldest is dropped (a slow
   * consumer never makes the node's memory grow without bound).
   * @default 1024
   */
  readonly bufferSize?: number;
}

interface Stream<E> {
  readonly buffer: E[];
  readonly bufferSize: number;
  wake: (() => void) | undefined;
  done: boolean;
}

/**
 * Typed listeners and async iterables over one event map. Listeners run synchronously on the
 * node's loop; an exception thrown by a listener is caught so it cannot break the loop.
 */
export class EventHub<M extends object> {
  readonly #listeners = new Map<keyof M, Set<(event: never) => void>>();
  readonly #streams = new Map<keyof M, Set<Stream<never>>>();
  #closed = false;

  /** `true` when someone listens to `type` (lets the node skip building events nobody reads). */
  wants(type: keyof M): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0 || (this.#streams.get(type)?.size ?? 0) > 0;
  }

  on<K extends keyof M>(type: K, listener: (event: M[K]) => void): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener must be a function');
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener as (event: never) => void);
    return () => {
      set.delete(listener as (event: never) => void);
    };
  }

  emit<K extends keyof M>(type: K, event: M[K]): void {
    const listeners = this.#listeners.get(type);
    if (listeners !== undefined) {
      for (const listener of listeners) {
        try {
          (listener as (event: M[K]) => void)(event);
        } catch {
          // A listener must not break the node's loop; its exception is dropped.
        }
      }
    }
    const streams = this.#streams.get(type);
    if (streams !== undefined) {
      for (const stream of streams as Set<Stream<M[K]>>) {
        if (stream.buffer.length >= stream.bufferSize) stream.buffer.shift();
        stream.buffer.push(event);
        stream.wake?.();
      }
    }
  }

  stream<K extends keyof M>(type: K, options: StreamOptions = {}): AsyncIterableIterator<M[K]> {
    const bufferSize = options.bufferSize ?? 1024;
    if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) throw new InvalidArgumentError(`bufferSize must be a positive integer, got ${bufferSize}`);
    const stream: Stream<M[K]> = { buffer: [], bufferSize, wake: undefined, done: this.#closed };
    let set = this.#streams.get(type);
    if (set === undefined) {
      set = new Set();
      this.#streams.set(type, set);
    }
    const streams = set as Set<Stream<M[K]>>;
    const end = (): void => {
      stream.done = true;
      streams.delete(stream);
      options.signal?.removeEventListener('abort', end);
      stream.wake?.();
    };
    if (options.signal?.aborted) end();
    else if (!stream.done) {
      streams.add(stream);
      options.signal?.addEventListener('abort', end, { once: true });
    }
    const iterator: AsyncIterableIterator<M[K]> = {
      async next(): Promise<IteratorResult<M[K]>> {
        for (;;) {
          if (stream.buffer.length > 0) return { value: stream.buffer.shift() as M[K], done: false };
          if (stream.done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            stream.wake = resolve;
          });
          stream.wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<M[K]>> {
        end();
        stream.buffer.length = 0;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Ends every stream (after the events already buffered) and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const set of this.#streams.values()) {
      for (const stream of set) {
        stream.done = true;
        stream.wake?.();
      }
      set.clear();
    }
  }
}
