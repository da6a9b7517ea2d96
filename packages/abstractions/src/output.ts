import type { RaftEffect } from './effects.js';
import type { RaftEvent } from './events.js';

/** What one call of `RaftNodeState.process` returns. */
export interface RaftOutput {
  /** Effects in the order the host must start them. */
  readonly effects: readonly RaftEffect[];
  /** Events for observability, in the order they happened. */
  readonly events: readonly RaftEvent[];
}
