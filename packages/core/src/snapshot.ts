import {
  IllegalStateError,
  type InstallSnapshot,
  type InstallSnapshotResponse,
  type LogIndex,
  type Term,
} from '@raft/abstractions';
import type { IncomingSnapshot, Raft } from './raft.js';
import { maybeSendAppend } from './replication.js';
import type { Progress } from './tracker/progress.js';

/*
 * Snapshots and log compaction (§7). The host decides when to snapshot its state machine and
 * reports `snapshotSaved`; the core then compacts the log and, as leader, streams the newest
 * snapshot to followers whose entries are gone, one chunk in flight per follower. A follower
 * hands chunks to the host and replaces its state only once the whole snapshot is durable
 * (`snapshotInstalled`).
 */

// ---- saving and compaction -------------------------------------------------------------

/**
 * The host saved a snapshot at an applied index: remember it, compact the log below it
 * (keeping `trailingLogEntries` for slightly lagging followers) and move any transfer in
 * progress to the newer snapshot.
 */
export function onSnapshotSaved(r: Raft, index: LogIndex, term: Term): void {
  if (index > r.appliedIndex) throw new IllegalStateError(`snapshot at ${index} is beyond the applied index ${r.appliedIndex}`);
  if (r.snapshot !== undefined && index <= r.snapshot.index) return;
  if (r.log.termAt(index) !== term) {
    throw new IllegalStateError(`snapshot at ${index} has term ${term}, the log says ${r.log.termAt(index)}`);
  }
  r.snapshot = { index, term, configuration: r.configurationAt(index) };
  r.durability.coverBySnapshot(index);
  const point = index - r.options.trailingLogEntries;
  if (point > r.log.snapshotIndex) {
    const pointTerm = r.log.termAt(point) as Term;
    r.baseConfiguration = r.configurationAt(point);
    r.log.compactTo(point as LogIndex, pointTerm);
    r.effect({ type: 'compactLog', upTo: point as LogIndex, term: pointTerm });
  }
  // Transfers in progress go on with the snapshot they started with: restarting them on every
  // save would never finish when saves come faster than a transfer. A host that can no longer
  // read that snapshot sends nothing, and the idle timeout restarts with the newest one.
}

// ---- leader: sending ---------------------------------------------------------------------

/**
 * The follower needs entries the log no longer holds: switch it to snapshot transfer of the
 * newest snapshot. Returns `false` when there is no snapshot to send.
 */
export function startSnapshotTransfer(r: Raft, pr: Progress): boolean {
  const snapshot = r.snapshot;
  if (snapshot === undefined) return false;
  if (pr.state !== 'snapshot') r.emit({ type: 'followerNeedsSnapshot', follower: pr.nodeId, nextIndex: pr.nextIndex });
  pr.becomeSnapshot(snapshot.index);
  pr.snapshotBeingSent = snapshot;
  sendSnapshotChunk(r, pr);
  return true;
}

function sendSnapshotChunk(r: Raft, pr: Progress): void {
  const snapshot = pr.snapshotBeingSent;
  pr.snapshotIdleTicks = 0;
  // A leader speaks only once its term is durable (see Raft.send); the idle timeout retries.
  if (snapshot === undefined || !r.termDurable()) return;
  r.effect({
    type: 'sendSnapshot',
    message: {
      type: 'InstallSnapshot',
      from: r.id,
      to: pr.nodeId,
      term: r.term,
      lastIncludedIndex: snapshot.index,
      lastIncludedTerm: snapshot.term,
      configuration: snapshot.configuration,
      offset: pr.snapshotOffset,
    },
    maxBytes: r.options.snapshotChunkBytes,
  });
}

/** A follower answered a chunk: send the next one, or resume replication once installed. */
export function handleInstallSnapshotResponse(r: Raft, m: InstallSnapshotResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) {
    r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unknownSender' });
    return;
  }
  pr.recentlyActive = true;
  if (pr.state !== 'snapshot' || m.lastIncludedIndex !== pr.pendingSnapshot) {
    // A late answer about an earlier transfer; an installed one still proves a match.
    if (m.installed && pr.maybeUpdate(m.lastIncludedIndex) && pr.state === 'probe') maybeSendAppend(r, pr, true);
    return;
  }
  if (m.installed) {
    pr.maybeUpdate(m.lastIncludedIndex);
    pr.becomeProbe();
    maybeSendAppend(r, pr, true);
    return;
  }
  // One chunk in flight: only an answer that acknowledges it (the follower's offset moved past
  // ours), or that asks to start over, sends the next one. Duplicated, reordered or stale
  // answers change nothing, so duplication never multiplies the transfer.
  const advanced = m.nextOffset > pr.snapshotOffset;
  const restart = m.nextOffset === 0 && pr.snapshotOffset > 0;
  if (!advanced && !restart) return;
  pr.snapshotOffset = m.nextOffset;
  sendSnapshotChunk(r, pr);
}

/** Leader tick: a chunk unanswered for an election timeout is sent again (it was lost). */
export function tickSnapshotTransfers(r: Raft): void {
  for (const pr of r.peers) {
    if (pr.state !== 'snapshot') continue;
    pr.snapshotIdleTicks++;
    if (pr.snapshotIdleTicks < r.options.electionTicks) continue;
    // Unanswered for an election timeout: a chunk or answer was lost, the follower restarted
    // (and a stale answer moved our offset past where it really is), or the host can no longer
    // read that snapshot. Start over with a newer snapshot if there is one; else send the first
    // chunk again, which a follower already receiving this snapshot answers with where it is.
    if (r.snapshot !== undefined && r.snapshot.index > pr.pendingSnapshot) {
      startSnapshotTransfer(r, pr);
    } else {
      pr.snapshotOffset = 0;
      sendSnapshotChunk(r, pr);
    }
  }
}

// ---- follower: receiving -------------------------------------------------------------------

function reply(r: Raft, m: InstallSnapshot, nextOffset: number, installed: boolean): InstallSnapshotResponse {
  return { type: 'InstallSnapshotResponse', from: r.id, to: m.from, term: r.term, lastIncludedIndex: m.lastIncludedIndex, nextOffset, installed };
}

/**
 * InstallSnapshot receiver (Figure 13): chunks are accepted in order only; offset 0 starts
 * over; a snapshot that is not ahead of our commit index is ignored (we already have all it
 * covers) and reported as installed so the leader moves on.
 */
export function handleInstallSnapshot(r: Raft, m: InstallSnapshot): void {
  r.electionElapsed = 0;
  const incoming = r.incoming;
  if (incoming?.complete === true) {
    // The whole snapshot is with the host; wait for it to report the install.
    return;
  }
  if (m.lastIncludedIndex <= r.commitIndex) {
    r.incoming = undefined;
    // Everything up to our commit index matches the leader: the reply promises it is durable.
    r.sendDurable(reply(r, m, m.offset, true));
    return;
  }
  const same = incoming !== undefined && incoming.leaderTerm === m.term && incoming.index === m.lastIncludedIndex && incoming.term === m.lastIncludedTerm;
  if (m.offset === 0 && !(same && (incoming as IncomingSnapshot).nextOffset > 0)) {
    // A new transfer. (Offset 0 again from the same leader for the same snapshot is a
    // duplicate of its first chunk: answering with where we are keeps the two sides in step,
    // where starting over would put us behind the leader's offset for good.)
    r.incoming = { leaderTerm: m.term, index: m.lastIncludedIndex, term: m.lastIncludedTerm, configuration: m.configuration, nextOffset: 0, complete: false };
  } else if (!same) {
    // A chunk of a transfer we know nothing of (we restarted, or it is stale): start over.
    r.send(reply(r, m, 0, false));
    return;
  }
  const current = r.incoming as NonNullable<Raft['incoming']>;
  if (m.offset !== current.nextOffset) {
    // Duplicate or out of order: say where we are.
    r.send(reply(r, m, current.nextOffset, false));
    return;
  }
  r.effect({ type: 'installSnapshotChunk', chunk: m });
  current.nextOffset += m.data.byteLength;
  if (m.done) {
    current.complete = true;
    return;
  }
  // Not a durability promise: a crash forgets the partial snapshot and we ask for offset 0.
  r.send(reply(r, m, current.nextOffset, false));
}

/**
 * The host made the received snapshot durable and loaded it into the state machine. Keep the
 * log after it when the log holds its last entry with the same term (§7: "If existing log
 * entry has same index and term as snapshot's last included entry, retain log entries
 * following it"); otherwise discard the whole log.
 */
export function onSnapshotInstalled(r: Raft, index: LogIndex, term: Term): void {
  const incoming = r.incoming;
  if (incoming === undefined || !incoming.complete || incoming.index !== index || incoming.term !== term) {
    throw new IllegalStateError(`snapshotInstalled for (${index}, ${term}) but no such snapshot was handed to the host`);
  }
  r.incoming = undefined;
  if (r.log.termAt(index) === term) {
    r.log.compactTo(index, term);
    r.durability.coverBySnapshot(index);
  } else {
    r.log.reset(index, term);
    r.durability.resetLog(index);
  }
  r.snapshot = { index, term, configuration: incoming.configuration };
  r.baseConfiguration = incoming.configuration;
  r.recomputeConfiguration();
  if (r.commitIndex < index) {
    r.emit({ type: 'commitAdvanced', from: r.commitIndex, to: index });
    r.commitIndex = index;
  }
  r.appliedIndex = index;
  r.applyingIndex = index;
  r.effect({ type: 'compactLog', upTo: index, term });
  r.emit({ type: 'snapshotInstalled', index, term });
  const done: InstallSnapshotResponse = {
    type: 'InstallSnapshotResponse',
    from: r.id,
    to: r.leaderId ?? r.id,
    term: r.term,
    lastIncludedIndex: index,
    nextOffset: incoming.nextOffset,
    installed: true,
  };
  if (r.leaderId !== undefined) r.sendDurable(done);
}
