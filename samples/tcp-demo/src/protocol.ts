/** Messages between the demo's coordinator (main.ts) and its node processes (node.ts), over IPC. */
import type { PeerAddress } from '@raft/transport-tcp';

/** What a node process is told at launch (in the RAFT_DEMO_NODE environment variable, as JSON). */
export interface NodeConfig {
  readonly id: string;
  readonly ids: readonly string[];
  readonly clusterId: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly dataDir: string;
}

/** Coordinator → node. Every request but `peers` gets one {@link Reply} with the same `seq`. */
export type Request =
  | { readonly type: 'peers'; readonly peers: Readonly<Record<string, PeerAddress>> }
  | { readonly type: 'status'; readonly seq: number }
  | { readonly type: 'submit'; readonly seq: number; readonly key: string; readonly value: string }
  | { readonly type: 'stop'; readonly seq: number };

export interface NodeReport {
  readonly role: string;
  readonly leaderId: string | undefined;
  readonly appliedIndex: number;
  readonly data: Readonly<Record<string, string>>;
}

/** Node → coordinator. */
export type Reply =
  | { readonly type: 'listening'; readonly port: number; readonly recovered: number }
  | { readonly type: 'status'; readonly seq: number; readonly report: NodeReport }
  | { readonly type: 'submitted'; readonly seq: number; readonly status: string; readonly index?: number; readonly leaderId?: string }
  | { readonly type: 'stopped'; readonly seq: number };
