import type { ClusterConfiguration, RaftEvent } from '@raft/abstractions';

function members(configuration: ClusterConfiguration): string {
  const old = configuration.oldVoters === undefined ? '' : ` (joint with ${configuration.oldVoters.join(',') || 'none'})`;
  const learners = configuration.learners.length === 0 ? '' : `, learners ${configuration.learners.join(',')}`;
  return `voters ${configuration.voters.join(',') || 'none'}${old}${learners}`;
}

/**
 * One short human sentence for a log line's message (`msg`). The structured fields carry the
 * same facts; this is for people reading the log. An unknown event type yields its type.
 */
export function describeEvent(event: RaftEvent): string {
  switch (event.type) {
    case 'roleChanged':
      return `role ${event.from} -> ${event.to} in term ${event.term}`;
    case 'termChanged':
      return `term ${event.from} -> ${event.to}`;
    case 'electionStarted':
      return `${event.preVote ? 'pre-vote' : 'election'} started for term ${event.term}`;
    case 'electionWon':
      return `election won for term ${event.term} with ${event.votes} votes`;
    case 'electionLost':
      return `${event.preVote ? 'pre-vote' : 'election'} lost for term ${event.term}: ${event.reason}`;
    case 'voteGranted':
      return `${event.preVote ? 'pre-vote' : 'vote'} granted to ${event.candidate} for term ${event.term}`;
    case 'voteRejected':
      return `${event.preVote ? 'pre-vote' : 'vote'} refused to ${event.candidate} for term ${event.term}: ${event.reason}`;
    case 'leaderElected':
      return `${event.leaderId} is leader of term ${event.term}`;
    case 'leaderLost':
      return `stopped leading term ${event.term}: ${event.reason}`;
    case 'appendRejected':
      return `append from ${event.leaderId} rejected at ${event.prevLogIndex} (term ${event.prevLogTerm}), conflict at ${event.conflictIndex}`;
    case 'commitAdvanced':
      return `commit index ${event.from} -> ${event.to}`;
    case 'snapshotTriggered':
      return `snapshot triggered at index ${event.index}`;
    case 'snapshotSaved':
      return `snapshot saved at index ${event.index} (term ${event.term}, ${event.size} bytes)`;
    case 'snapshotSent':
      return `snapshot at index ${event.index} sent to ${event.to} (${event.size} bytes)`;
    case 'snapshotInstalled':
      return `snapshot installed at index ${event.index} (term ${event.term})`;
    case 'snapshotFailed':
      return `snapshot at index ${event.index} failed: ${event.reason}`;
    case 'followerNeedsSnapshot':
      return `follower ${event.follower} needs a snapshot (next index ${event.nextIndex})`;
    case 'configurationChangeStarted':
      return `configuration change started at index ${event.index}: ${members(event.configuration)}`;
    case 'configurationChangeCommitted':
      return `configuration change committed at index ${event.index}: ${members(event.configuration)}`;
    case 'configurationChangeFinished':
      return `configuration change finished at index ${event.index}: ${members(event.configuration)}`;
    case 'leadershipTransferStarted':
      return `leadership transfer to ${event.target} started in term ${event.term}`;
    case 'leadershipTransferFinished':
      return `leadership transfer to ${event.target} ${event.succeeded ? 'succeeded' : 'failed'}`;
    case 'clientRedirected':
      return `client redirected to ${event.leaderId}`;
    case 'proposalRejected':
      return `proposal rejected: ${event.reason}`;
    case 'readVerified':
      return `read verified at index ${event.readIndex}`;
    case 'sendFailed':
      return `send to ${event.to} failed: ${event.reason}`;
    case 'messageDropped':
      return `${event.messageType} from ${event.from ?? 'unknown sender'} dropped: ${event.reason}`;
    case 'persistenceFailed':
      return `${event.operation} write failed: ${event.reason}`;
    default:
      // A newer host may publish an event this version does not know; say what it is.
      return String((event as { readonly type: unknown }).type);
  }
}
