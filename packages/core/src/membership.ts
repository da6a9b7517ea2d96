import {
  type ConfigurationChange,
  type ConfigurationEntry,
  type LogEntry,
  type LogIndex,
  allMembers,
  isJointConfiguration,
} from '@raft/abstractions';
import { leaveJoint, planChange } from './confchange/next-configuration.js';
import type { Raft } from './raft.js';
import { bcastAppend, sendHeartbeat } from './replication.js';
import { Progress } from './tracker/progress.js';

/*
 * Membership changes (dissertation ch. 4). A configuration takes effect on a server as soon
 * as it is in its log (§4.1). The leader accepts one change at a time, only after it has
 * committed an entry of its own term (the fix to the single-server algorithm, raft-dev 2015),
 * and leaves a joint configuration on its own once C_old,new commits (§4.3).
 */

/** `true` while a change is under way: a configuration entry not yet committed, or a joint one. */
export function changeInProgress(r: Raft): boolean {
  return r.configurationIndex > r.commitIndex || isJointConfiguration(r.configuration);
}

/** A membership change requested of the leader. */
export function proposeChange(r: Raft, requestId: number, change: ConfigurationChange): void {
  const reason =
    r.transfer !== undefined
      ? 'transferInProgress'
      : r.log.termAt(r.commitIndex) !== r.term
        ? 'leaderNotReady'
        : changeInProgress(r)
          ? 'configurationChangeInProgress'
          : undefined;
  const plan = reason === undefined ? planChange(r.configuration, change) : undefined;
  if (reason !== undefined || plan === undefined || !plan.ok) {
    r.respond({ type: 'configurationChangeResult', requestId, result: { status: 'rejected', reason: reason ?? 'invalidChange' } });
    return;
  }
  const entry = appendConfiguration(r, plan.next);
  r.respond({ type: 'configurationChangeResult', requestId, result: { status: 'appended', index: entry.index, term: entry.term } });
}

function appendConfiguration(r: Raft, configuration: ConfigurationEntry['configuration']): ConfigurationEntry {
  const entry: ConfigurationEntry = { kind: 'configuration', index: (r.log.lastIndex() + 1) as LogIndex, term: r.term, configuration };
  r.appendEntries([entry]);
  r.emit({ type: 'configurationChangeStarted', index: entry.index, configuration });
  syncProgress(r);
  bcastAppend(r);
  return entry;
}

/**
 * Leader: keep one progress per member of the configuration in force — new members start
 * probing from the end of the log. A member that a pending change removes keeps receiving the
 * log until that change commits, so it learns it was removed and stops campaigning (§4.2.2).
 */
export function syncProgress(r: Raft): void {
  if (r.role !== 'leader') return;
  const members = [...new Set([...r.members(), ...allMembers(r.configurationAt(r.commitIndex))])].filter((id) => id !== r.id);
  const keep = new Set(members);
  for (const [id, pr] of [...r.progress]) {
    if (keep.has(id)) continue;
    // Its removal is committed: one last heartbeat (a probe, if it is behind) tells it so.
    sendHeartbeat(r, pr);
    r.progress.delete(id);
  }
  for (const id of members) {
    const existing = r.progress.get(id);
    const learner = !r.isVoter(id);
    if (existing !== undefined) {
      existing.learner = learner;
      continue;
    }
    r.progress.set(
      id,
      new Progress(id, (r.log.lastIndex() + 1) as LogIndex, learner, r.options.maxInflightMessages, r.options.maxInflightBytes),
    );
  }
  r.peers = [...r.progress.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

/**
 * The commit index moved from `from`: report committed configurations, and as leader finish
 * the change — leave a committed joint configuration, or step down once a C_new without this
 * node is committed (§4.2.2).
 */
export function onCommitConfigurations(r: Raft, from: LogIndex, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    if (entry.kind !== 'configuration' || entry.index <= from) continue;
    r.emit({ type: 'configurationChangeCommitted', index: entry.index, configuration: entry.configuration });
    // The leader that commits the final configuration of a change reports it finished,
    // whoever started the change. Index 1 is the bootstrap configuration, not a change (a change
    // needs an earlier entry of the leader's term to be committed first).
    if (r.role === 'leader' && entry.index > 1 && entry.index === r.configurationIndex && !isJointConfiguration(entry.configuration)) {
      r.emit({ type: 'configurationChangeFinished', index: entry.index, configuration: entry.configuration });
    }
  }
  if (r.role === 'leader') syncProgress(r);
}

/**
 * Leader, after every step: once C_old,new is committed, append C_new alone (§4.3). Checked
 * after every step rather than only when the joint entry commits, so a leader elected after
 * that commit (its commit index already past the entry) rolls the change forward too.
 */
export function maybeLeaveJoint(r: Raft): void {
  if (r.role !== 'leader' || !isJointConfiguration(r.configuration) || r.configurationIndex > r.commitIndex) return;
  appendConfiguration(r, leaveJoint(r.configuration));
}
