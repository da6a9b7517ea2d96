import type { RaftEvent, RaftEventType } from '@raft/abstractions';

/** The fields of event `T` besides its `type` tag. */
export type EventFieldOf<T extends RaftEventType> = Exclude<keyof Extract<RaftEvent, { readonly type: T }>, 'type'> & string;

/**
 * The fields of every event, in the order the sinks write them (and `docs/events.md` lists
 * them).
 *
 * Invariant: each entry names exactly the fields of its member of the `RaftEvent` union — the
 * mapped type makes a missing or an extra field a compile error, so a new event or field in
 * `@raft/abstractions` cannot reach the sinks (or the docs test) unlisted.
 */
export const EVENT_FIELDS: { readonly [T in RaftEventType]: { readonly [F in EventFieldOf<T>]: true } } = {
  roleChanged: { from: true, to: true, term: true },
  termChanged: { from: true, to: true },
  electionStarted: { term: true, preVote: true },
  electionWon: { term: true, votes: true },
  electionLost: { term: true, preVote: true, reason: true },
  voteGranted: { candidate: true, term: true, preVote: true },
  voteRejected: { candidate: true, term: true, preVote: true, reason: true },
  leaderElected: { leaderId: true, term: true },
  leaderLost: { term: true, reason: true },
  appendRejected: { leaderId: true, prevLogIndex: true, prevLogTerm: true, conflictIndex: true },
  commitAdvanced: { from: true, to: true },
  snapshotTriggered: { index: true },
  snapshotSaved: { index: true, term: true, size: true },
  snapshotSent: { to: true, index: true, size: true },
  snapshotInstalled: { index: true, term: true },
  snapshotFailed: { index: true, reason: true },
  followerNeedsSnapshot: { follower: true, nextIndex: true },
  configurationChangeStarted: { index: true, configuration: true },
  configurationChangeCommitted: { index: true, configuration: true },
  configurationChangeFinished: { index: true, configuration: true },
  leadershipTransferStarted: { target: true, term: true },
  leadershipTransferFinished: { target: true, succeeded: true },
  clientRedirected: { leaderId: true },
  proposalRejected: { reason: true },
  readVerified: { readIndex: true },
  sendFailed: { to: true, reason: true },
  messageDropped: { from: true, messageType: true, reason: true },
  persistenceFailed: { operation: true, reason: true },
};

const FIELD_LISTS = new Map<string, readonly string[]>(Object.entries(EVENT_FIELDS).map(([type, fields]) => [type, Object.keys(fields)]));

/**
 * The field names of `event` in catalogue order. An event type this version does not know (a
 * newer host) falls back to the event's own keys, so nothing it carries is lost.
 */
export function eventFieldNames(event: RaftEvent): readonly string[] {
  return FIELD_LISTS.get(event.type) ?? Object.keys(event).filter((key) => key !== 'type');
}
