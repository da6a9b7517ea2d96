/** Membership changes (dissertation ch. 4): single-server changes, joint consensus, learners. */
import { type ClusterConfiguration, type ConfigurationChange, type NodeId, type RaftEffect, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../../src/index.js';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3, n4, n5] = ids(5) as [NodeId, NodeId, NodeId, NodeId, NodeId];

function stabilize(net: Net, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

function change(net: Net, leader: NodeId, c: ConfigurationChange, requestId = 1): RaftEffect | undefined {
  net.step(leader, { type: 'changeConfiguration', requestId, change: c });
  return (net.results.get(leader) ?? []).filter((e) => e.type === 'configurationChangeResult').at(-1);
}

const leaders = (net: Net): NodeId[] => [...net.nodes.keys()].filter((id) => net.node(id).status().role === 'leader');

describe('membership changes (dissertation ch. 4)', () => {
  it('a learner receives the log but never counts toward a quorum', () => {
    // Reference: §4.2.1
    const net = new Net(4, {}, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    expect(change(net, n1, { type: 'addLearner', nodeId: n4 })).toMatchObject({ result: { status: 'appended' } });
    net.propose(n1, 'a');
    stabilize(net, 3);
    expect(net.texts(n4)).toEqual(['a']);
    expect(net.node(n1).status().configuration).toEqual({ voters: [n1, n2, n3], learners: [n4] });
    // With n2 and n3 gone, the leader and the learner are not a quorum.
    net.isolate(n2);
    net.isolate(n3);
    const commit = net.node(n1).status().commitIndex;
    net.propose(n1, 'b');
    for (let i = 0; i < 5; i++) {
      net.tick(n1);
      net.deliverAll();
    }
    expect(net.node(n1).status().commitIndex).toBe(commit);
    // A learner never campaigns.
    expect(net.eventsOf(n4, 'electionStarted')).toEqual([]);
  });

  it('a learner promoted to voter counts toward the quorum', () => {
    const net = new Net(4, {}, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    change(net, n1, { type: 'addLearner', nodeId: n4 });
    stabilize(net, 3);
    expect(change(net, n1, { type: 'promoteLearner', nodeId: n4 }, 2)).toMatchObject({ result: { status: 'appended' } });
    stabilize(net, 3);
    expect(net.node(n4).status().configuration).toEqual({ voters: [n1, n2, n3, n4], learners: [] });
    // 4 voters need 3: n1 + n4 + n2 without n3.
    net.isolate(n3);
    net.propose(n1, 'with-n4');
    stabilize(net, 3);
    expect(net.texts(n1)).toContain('with-n4');
    net.isolate(n2);
    net.propose(n1, 'two-of-four');
    for (let i = 0; i < 3; i++) {
      net.tick(n1);
      net.deliverAll();
    }
    expect(net.texts(n1)).not.toContain('two-of-four');
  });

  it('a second change is refused while one is in progress', () => {
    const net = new Net(5, {}, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n2);
    net.isolate(n3);
    change(net, n1, { type: 'addLearner', nodeId: n4 });
    expect(change(net, n1, { type: 'addLearner', nodeId: n5 }, 2)).toMatchObject({
      result: { status: 'rejected', reason: 'configurationChangeInProgress' },
    });
  });

  it('a leader refuses changes until it has committed an entry of its own term', () => {
    // The fix to the single-server algorithm (Ongaro, raft-dev 2015; reliability.md lesson 11).
    const net = new Net(4, {}, {}, 3);
    net.tick(n1, 30);
    net.queue = net.queue.filter((m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    while (net.queue.length > 0) {
      net.deliverAll(1);
      net.queue = net.queue.filter((m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    }
    expect(net.node(n1).status().role).toBe('leader');
    expect(change(net, n1, { type: 'addVoter', nodeId: n4 })).toMatchObject({ result: { status: 'rejected', reason: 'leaderNotReady' } });
  });

  it('invalid changes are refused with invalidChange', () => {
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 2);
    for (const c of [
      { type: 'addVoter', nodeId: n2 },
      { type: 'addLearner', nodeId: n3 },
      { type: 'promoteLearner', nodeId: n2 },
      { type: 'removeNode', nodeId: n5 },
      { type: 'setMembers', voters: [], learners: [n1] },
      { type: 'setMembers', voters: [n1, n2], learners: [n2] },
      { type: 'setMembers', voters: [n3, n1, n2], learners: [] },
    ] as const) {
      expect(change(net, n1, c)).toMatchObject({ result: { status: 'rejected', reason: 'invalidChange' } });
    }
  });

  it('an arbitrary change goes through C_old,new, which needs a majority of both, then C_new', () => {
    // "the joint consensus ... log entries are replicated to all servers in both
    // configurations ... agreement requires separate majorities from both." Reference: §4.3
    const net = new Net(5, {}, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n4);
    net.isolate(n5);
    const result = change(net, n1, { type: 'setMembers', voters: [n1, n4, n5], learners: [] });
    expect(result).toMatchObject({ result: { status: 'appended' } });
    expect(net.node(n1).status().configuration).toEqual({ voters: [n1, n4, n5], oldVoters: [n1, n2, n3], learners: [] });
    stabilize(net, 5);
    // A majority of C_old holds it, but not of C_new: not committed.
    const jointIndex = (result as { result: { index: number } }).result.index;
    expect(net.node(n1).status().commitIndex).toBeLessThan(jointIndex);
    net.heal();
    stabilize(net, 10);
    // Committed, then the leader left the joint configuration on its own.
    const finished = net.eventsOf(n1, 'configurationChangeFinished');
    expect(finished).toHaveLength(1);
    expect(net.node(n1).status().configuration).toEqual({ voters: [n1, n4, n5], learners: [] });
    expect(net.node(n4).status().configuration).toEqual({ voters: [n1, n4, n5], learners: [] });
    // n2 and n3 are out: they stop campaigning; the new configuration keeps committing without them.
    net.isolate(n2);
    net.isolate(n3);
    net.propose(n1, 'new-config');
    stabilize(net, 3);
    expect(net.texts(n5)).toContain('new-config');
    stabilize(net, 100);
    expect(net.eventsOf(n2, 'electionStarted').length + net.eventsOf(n3, 'electionStarted').length).toBe(0);
  });

  it('an election in C_old,new needs a majority of both configurations', () => {
    // Reference: §4.3
    const joint: ClusterConfiguration = { voters: [n3, n4, n5], oldVoters: [n1, n2, n3], learners: [] };
    const candidate = new RaftNodeState(
      { id: n3, seed: 3, preVote: false },
      { meta: { currentTerm: Term(2), votedFor: undefined }, entries: [{ kind: 'configuration', index: 1 as never, term: Term(2), configuration: joint }] },
    );
    for (let i = 0; i < 30 && candidate.status().role !== 'candidate'; i++) candidate.process({ type: 'tick' });
    const term = candidate.status().term;
    candidate.process({ type: 'metaPersisted', meta: { currentTerm: term, votedFor: n3 } });
    const grant = (from: NodeId) =>
      candidate.process({ type: 'message', message: { type: 'RequestVoteResponse', from, to: n3, term, granted: true, preVote: false } });
    grant(n1);
    grant(n2);
    expect(candidate.status().role).toBe('candidate');
    grant(n4);
    expect(candidate.status().role).toBe('leader');
  });

  it('removing the leader: it replicates C_new, steps down once C_new is committed, and the rest elect a leader', () => {
    // "the leader steps down (returns to follower state) once C_new is committed." Reference: §4.2.2
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 2);
    const campaignsBefore = net.eventsOf(n1, 'electionStarted').length;
    expect(change(net, n1, { type: 'removeNode', nodeId: n1 })).toMatchObject({ result: { status: 'appended' } });
    stabilize(net, 2);
    expect(net.eventsOf(n1, 'leaderLost').at(-1)).toMatchObject({ reason: 'removed' });
    expect(net.node(n1).status().role).toBe('follower');
    stabilize(net, 60);
    expect(leaders(net)).toHaveLength(1);
    expect(leaders(net)[0]).not.toBe(n1);
    expect(net.eventsOf(n1, 'electionStarted')).toHaveLength(campaignsBefore);
    const leader = leaders(net)[0] as NodeId;
    net.propose(leader, 'after-removal');
    stabilize(net, 3);
    expect(net.texts(n2)).toContain('after-removal');
  });

  it('a leader elected in the middle of a change rolls it forward', () => {
    const net = new Net(5, { preVote: false, checkQuorum: false }, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    change(net, n1, { type: 'setMembers', voters: [n1, n2, n4], learners: [] });
    // The joint entry reaches n2 only; then n1 crashes.
    net.queue = net.queue.filter((m) => m.to === n2);
    net.deliverAll();
    net.queue = [];
    net.crash(n1);
    for (let i = 0; i < 200 && leaders(net).length === 0; i++) {
      net.tick(n2);
      net.deliverAll();
      stabilize(net, 1);
    }
    const leader = leaders(net)[0] as NodeId;
    expect(leader).toBe(n2);
    stabilize(net, 10);
    // The new leader finished the change: C_new is in force and committed.
    expect(net.node(n2).status().configuration).toEqual({ voters: [n1, n2, n4], learners: [] });
    expect(net.eventsOf(n2, 'configurationChangeFinished')).toHaveLength(1);
  });

  it('a server accepts AppendEntries from a leader outside its configuration', () => {
    // "a server accepts AppendEntries requests from a leader that is not part of the server's
    // latest configuration" — it may be in a newer one this server has not seen. Reference: §4.1
    const node = new RaftNodeState({ id: n2, seed: 2 }, { configuration: { voters: [n1, n2, n3], learners: [] } });
    const out = node.process({
      type: 'message',
      message: { type: 'AppendEntries', from: n5, to: n2, term: Term(4), prevLogIndex: 0 as never, prevLogTerm: Term(0), entries: [], leaderCommit: 0 as never, seq: 1 },
    });
    expect(node.status()).toMatchObject({ leaderId: n5, term: 4 });
    expect(out.events.filter((e) => e.type === 'messageDropped')).toEqual([]);
  });

  it('a restarted node whose removal is still pending may campaign (it may hold the only copy)', () => {
    // After a restart the commit index is unknown: the configuration before the latest entry is
    // the committed one while that entry may be uncommitted (one change at a time, §4.1).
    const entries = [
      { kind: 'configuration', index: 1 as never, term: Term(1), configuration: { voters: [n1, n2, n3], learners: [] } },
      { kind: 'configuration', index: 2 as never, term: Term(1), configuration: { voters: [n1, n2], learners: [] } },
    ] as const;
    const node = new RaftNodeState({ id: n3, seed: 3 }, { meta: { currentTerm: Term(1), votedFor: undefined }, entries: [...entries], configuration: { voters: [], learners: [] } });
    let started = false;
    for (let i = 0; i < 40 && !started; i++) started = node.process({ type: 'tick' }).events.some((e) => e.type === 'electionStarted');
    expect(started).toBe(true);
  });

  it('a node that joins with an empty configuration learns the bootstrap membership from the log', () => {
    // The first leader writes the bootstrap configuration as its first entry.
    const net = new Net(4, {}, {}, 3);
    net.elect(n1);
    stabilize(net, 2);
    change(net, n1, { type: 'addLearner', nodeId: n4 });
    stabilize(net, 3);
    const first = net.node(n4).entries()[0];
    expect(first).toMatchObject({ kind: 'configuration', index: 1, configuration: { voters: [n1, n2, n3], learners: [] } });
    expect(net.node(n4).status().configuration).toEqual({ voters: [n1, n2, n3], learners: [n4] });
  });
});
