import { type MetaStore, NodeId, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { type ComplianceSubject, withStore } from './subject.js';

/**
 * The compliance suite for {@link MetaStore} implementations: a fresh store loads term 0 and no
 * vote, `save` replaces both fields at once, saves apply in call order, invalid terms are
 * rejected with `INVALID_ARGUMENT`, calls after close reject with `STORAGE_CLOSED`; with
 * `subject.reopen`, the last saved meta survives a reopen.
 *
 * @example
 * ```ts
 * describeMetaStoreCompliance('memory', { create: async () => memoryMetaStore() });
 * ```
 */
export function describeMetaStoreCompliance(name: string, subject: ComplianceSubject<MetaStore>): void {
  const run = (body: (meta: MetaStore, reopen: (meta: MetaStore) => Promise<MetaStore>) => Promise<void>) => () => withStore(subject, body);

  describe(`MetaStore compliance: ${name}`, () => {
    it('loads term 0 and no vote when fresh', run(async (meta) => {
      expect(await meta.load()).toEqual({ currentTerm: 0, votedFor: undefined });
    }));

    it('loads what was saved last, vote and term together', run(async (meta) => {
      await meta.save({ currentTerm: Term(3), votedFor: NodeId('n2') });
      expect(await meta.load()).toEqual({ currentTerm: 3, votedFor: 'n2' });
      await meta.save({ currentTerm: Term(4), votedFor: undefined });
      const loaded = await meta.load();
      expect(loaded.currentTerm).toBe(4);
      expect(loaded.votedFor).toBeUndefined();
    }));

    it('keeps node ids of any allowed spelling', run(async (meta) => {
      const id = NodeId(`nœud-${'x'.repeat(200)}-✓`);
      await meta.save({ currentTerm: Term(Number.MAX_SAFE_INTEGER), votedFor: id });
      expect(await meta.load()).toEqual({ currentTerm: Number.MAX_SAFE_INTEGER, votedFor: id });
    }));

    it('applies saves issued without waiting in call order', run(async (meta) => {
      await Promise.all([1, 2, 3, 4, 5].map((k) => meta.save({ currentTerm: Term(k), votedFor: NodeId(`n${k}`) })));
      expect(await meta.load()).toEqual({ currentTerm: 5, votedFor: 'n5' });
    }));

    it('is not changed by a caller mutating the object it saved', run(async (meta) => {
      const saved = { currentTerm: Term(2), votedFor: NodeId('n1') as NodeId | undefined };
      await meta.save(saved);
      saved.votedFor = NodeId('n9');
      expect((await meta.load()).votedFor).toBe('n1');
    }));

    it('rejects an invalid term with INVALID_ARGUMENT', run(async (meta) => {
      await expect(meta.save({ currentTerm: -1 as Term, votedFor: undefined })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(meta.save({ currentTerm: 0.5 as Term, votedFor: undefined })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await meta.load()).currentTerm).toBe(0);
    }));

    it('rejects calls after close with STORAGE_CLOSED', run(async (meta) => {
      await meta.close();
      await expect(meta.load()).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
      await expect(meta.save({ currentTerm: Term(1), votedFor: undefined })).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    }));

    if (subject.reopen !== undefined) {
      it('keeps the last saved meta across reopen', run(async (meta, reopen) => {
        meta = await reopen(meta);
        expect(await meta.load()).toEqual({ currentTerm: 0, votedFor: undefined });
        await meta.save({ currentTerm: Term(7), votedFor: NodeId('n3') });
        await meta.save({ currentTerm: Term(8), votedFor: NodeId('n1') });
        meta = await reopen(meta);
        expect(await meta.load()).toEqual({ currentTerm: 8, votedFor: 'n1' });
        await meta.save({ currentTerm: Term(9), votedFor: undefined });
        meta = await reopen(meta);
        expect(await meta.load()).toEqual({ currentTerm: 9, votedFor: undefined });
      }));
    }
  });
}
