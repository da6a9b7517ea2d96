/** State machines shared by the hosted benchmarks. */
import type { CommittedCommand, StateMachine } from '@raft/abstractions';

/** Counts applied bytes: a state machine that costs next to nothing (what is measured is Raft). */
export class CountingStateMachine implements StateMachine<number> {
  bytes = 0;
  apply(command: CommittedCommand): number {
    this.bytes += command.payload.byteLength;
    return this.bytes;
  }
  async *exportSnapshot(): AsyncIterable<Uint8Array> {}
  async importSnapshot(): Promise<void> {}
}
