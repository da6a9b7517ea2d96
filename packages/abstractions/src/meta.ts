import type { NodeId, Term } from './ids.js';

/**
 * The state a server must persist before it answers any RPC (Figure 2, "Persistent state
 * on all servers"): its current term and the candidate it voted for in that term.
 */
export interface PersistentMeta {
  /** Latest term the server has seen. */
  readonly currentTerm: Term;
  /** Candidate that received this server's vote in `currentTerm`, if any. */
  readonly votedFor: NodeId | undefined;
}
