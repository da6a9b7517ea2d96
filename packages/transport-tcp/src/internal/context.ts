import type { Socket } from 'node:net';
import type { NodeId, RaftMessage } from '@raft/abstractions';
import type { LogContext } from '../options.js';
import type { PeerBook } from './peer-book.js';
import type { ResolvedOptions } from './resolve-options.js';

export type LogLevel = 'debug' | 'info' | 'warn';

/** What connections need from the transport that owns them. */
export interface TransportContext {
  readonly options: ResolvedOptions;
  readonly peers: PeerBook;
  /** This node's handshake frame, encoded once. */
  readonly helloFrame: Uint8Array;
  /** `true` once `stop()` began: nothing reconnects, nothing new is accepted. */
  readonly stopping: boolean;
  /** Registers a socket so that `stop()` can destroy it and wait for its `close`. */
  track(socket: Socket): void;
  /** Tells the receiver that `count` messages to `to` were dropped. */
  sendFailed(to: NodeId, count: number, reason: string): void;
  /** Hands an authenticated, validated message to the receiver. */
  deliver(message: RaftMessage): void;
  log(level: LogLevel, message: string, context?: LogContext): void;
}

/** A short description of an error for logs and `sendFailed` reasons. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
