/**
 * Counts the failures a sink swallowed and hands each to the user's `onError`, if any.
 *
 * Invariant: nothing here throws — a sink is called from the node's event loop, and a
 * telemetry problem must never become a Raft problem (the `EventSink`/`MetricSink` contract).
 * The callback itself is guarded too.
 */
export class FailureCounter {
  count = 0;
  readonly #onError: ((error: unknown) => void) | undefined;

  constructor(onError: ((error: unknown) => void) | undefined) {
    this.#onError = onError;
  }

  /** Records one swallowed failure. */
  fail(error: unknown): void {
    this.count++;
    if (this.#onError === undefined) return;
    try {
      this.#onError(error);
    } catch {
      // The error callback failed too; the count above still records the failure.
    }
  }
}
