import type { LogIndex, NodeId, Term } from './ids.js';
import type { RaftMessageType } from './messages.js';
import type { RejectionReason } from './effects.js';
import type { ClusterConfiguration } from './configuration.js';
import type { Role } from './status.js';

/**
 * Everything observable that happens inside a node, discriminated on `type`. The core emits
 * most of them; the host adds the ones only it can see (send failures, snapshot I/O).
 * The catalogue with each event's fields and meaning is `docs/events.md`.
 */
export type RaftEvent =
  | { readonly type: 'roleChanged'; readonly from: Role; readonly to: Role; readonly term: Term }
  | { readonly type: 'termChanged'; readonly from: Term; readonly to: Term }
  | { readonly type: 'electionStarted'; readonly term: Term; readonly preVote: boolean }
  | { readonly type: 'electionWon'; readonly term: Term; readonly votes: number }
  | {
      readonly type: 'electionLost';
      readonly term: Term;
      readonly preVote: boolean;
      readonly reason: 'rejected' | 'higherTerm' | 'leaderDiscovered' | 'timedOut';
    }
  | { readonly type: 'voteGranted'; readonly candidate: NodeId; readonly term: Term; readonly preVote: boolean }
  | {
      readonly type: 'voteRejected';
      readonly candidate: NodeId;
      readonly term: Term;
      readonly preVote: boolean;
      readonly reason: 'staleTerm' | 'alreadyVoted' | 'logNotUpToDate' | 'leaderActive' | 'notVoter';
    }
  | { readonly type: 'leaderElected'; readonly leaderId: NodeId; readonly term: Term }
  | { readonly type: 'leaderLost'; readonly term: Term; readonly reason: 'checkQuorum' | 'higherTerm' | 'removed' | 'transferred' }
  | {
      readonly type: 'appendRejected';
      readonly leaderId: NodeId;
      readonly prevLogIndex: LogIndex;
      readonly prevLogTerm: Term;
      readonly conflictIndex: LogIndex;
    }
  | { readonly type: 'commitAdvanced'; readonly from: LogIndex; readonly to: LogIndex }
  | { readonly type: 'snapshotTriggered'; readonly index: LogIndex }
  | { readonly type: 'snapshotSaved'; readonly index: LogIndex; readonly term: Term; readonly size: number }
  | { readonly type: 'snapshotSent'; readonly to: NodeId; readonly index: LogIndex; readonly size: number }
  | { readonly type: 'snapshotInstalled'; readonly index: LogIndex; readonly term: Term }
  | { readonly type: 'snapshotFailed'; readonly index: LogIndex; readonly reason: string }
  | { readonly type: 'followerNeedsSnapshot'; readonly follower: NodeId; readonly nextIndex: LogIndex }
  | {
      readonly type: 'configurationChangeStarted';
      readonly index: LogIndex;
      readonly configuration: ClusterConfiguration;
    }
  | {
      readonly type: 'configurationChangeCommitted';
      readonly index: LogIndex;
      readonly configuration: ClusterConfiguration;
    }
  | {
      readonly type: 'configurationChangeFinished';
      readonly index: LogIndex;
      readonly configuration: ClusterConfiguration;
    }
  | { readonly type: 'leadershipTransferStarted'; readonly target: NodeId; readonly term: Term }
  | { readonly type: 'leadershipTransferFinished'; readonly target: NodeId; readonly succeeded: boolean }
  | { readonly type: 'clientRedirected'; readonly leaderId: NodeId }
  | { readonly type: 'proposalRejected'; readonly reason: RejectionReason }
  | { readonly type: 'readVerified'; readonly readIndex: LogIndex }
  | { readonly type: 'sendFailed'; readonly to: NodeId; readonly reason: string }
  | {
      readonly type: 'messageDropped';
      readonly from: NodeId | undefined;
      readonly messageType: RaftMessageType | 'unknown';
      readonly reason: 'unknownSender' | 'wrongRecipient' | 'staleTerm' | 'malformed' | 'unexpected' | 'failed';
    }
  | { readonly type: 'persistenceFailed'; readonly operation: 'meta' | 'log' | 'snapshot'; readonly reason: string };

/** The `type` tag of every event. */
export type RaftEventType = RaftEvent['type'];

/** Every event type, in catalogue order (kept in step with `docs/events.md` by a test). */
export const RAFT_EVENT_TYPES: readonly RaftEventType[] = [
  'roleChanged',
  'termChanged',
  'electionStarted',
  'electionWon',
  'electionLost',
  'voteGranted',
  'voteRejected',
  'leaderElected',
  'leaderLost',
  'appendRejected',
  'commitAdvanced',
  'snapshotTriggered',
  'snapshotSaved',
  'snapshotSent',
  'snapshotInstalled',
  'snapshotFailed',
  'followerNeedsSnapshot',
  'configurationChangeStarted',
  'configurationChangeCommitted',
  'configurationChangeFinished',
  'leadershipTransferStarted',
  'leadershipTransferFinished',
  'clientRedirected',
  'proposalRejected',
  'readVerified',
  'sendFailed',
  'messageDropped',
  'persistenceFailed',
];
