import { describe, expect, it } from 'vitest';
import { applyEdit, diffContent, EMPTY_CONTENT, missingForReview, signOffRefusal } from '../../lib/postmortem/review';

describe('postmortem review rules', () => {
  it('gives new action items ids never used before, keeps the status of kept ones, and names unknown ids', () => {
    const first = applyEdit(EMPTY_CONTENT, { actionItems: [{ title: 'a', owner: 'dana', due: '2026-12-01' }, { title: 'b', owner: 'erin', due: '2026-12-02' }] }, 0).content;
    expect(first.actionItems.map((a) => [a.id, a.status])).toEqual([
      [1, 'open'],
      [2, 'open'],
    ]);
    // Item 2 removed, a new one added: it gets 3, not 2 again (a ticket is found by its id).
    const second = applyEdit({ ...first, actionItems: [{ ...first.actionItems[0], status: 'done' }, first.actionItems[1]] }, { actionItems: [{ id: 1, title: 'a', owner: 'dana', due: '2026-12-01' }, { title: 'c', owner: 'fay', due: '2027-01-01' }] }, 2);
    expect(second.content.actionItems.map((a) => [a.id, a.status])).toEqual([
      [1, 'done'],
      [3, 'open'],
    ]);
    expect(applyEdit(first, { actionItems: [{ id: 9, title: 'x', owner: 'y', due: '2026-01-01' }] }, 2).unknownIds).toEqual([9]);
    expect(applyEdit(first, { rootCause: 'r' }, 2).content.actionItems).toEqual(first.actionItems);
  });

  it('needs a root cause and an action item for review', () => {
    expect(missingForReview(EMPTY_CONTENT)).toHaveLength(2);
    expect(missingForReview({ ...EMPTY_CONTENT, rootCause: 'r', actionItems: [{ id: 1, title: 't', owner: 'o', due: '2026-01-01', status: 'open' }] })).toEqual([]);
  });

  it('refuses the last editor, a second sign-off by one person, and anything outside review', () => {
    const inReview = { state: 'in_review' as const, editedBy: 'ana', submittedBy: 'bob' };
    expect(signOffRefusal(inReview, [], 'ana')).toBe('author');
    expect(signOffRefusal(inReview, [], 'bob')).toBeNull(); // submitted it, but ana wrote the words
    expect(signOffRefusal({ ...inReview, editedBy: null }, [], 'bob')).toBe('author');
    expect(signOffRefusal(inReview, ['carol'], 'carol')).toBe('already_signed');
    expect(signOffRefusal({ ...inReview, state: 'draft' }, [], 'carol')).toBe('not_in_review');
    expect(signOffRefusal({ ...inReview, state: 'published' }, [], 'carol')).toBe('not_in_review');
  });

  it('diffs two revisions field by field', () => {
    const a = { ...EMPTY_CONTENT, rootCause: 'x', wentWell: ['fast'], actionItems: [{ id: 1, title: 't', owner: 'o', due: '2026-01-01', status: 'open' as const }] };
    expect(diffContent(a, a)).toEqual([]);
    expect(diffContent(a, { ...a, wentWell: ['calm'], actionItems: [{ ...a.actionItems[0], owner: 'p' }] })).toEqual([
      { field: 'wentWell', added: ['calm'], removed: ['fast'] },
      { field: 'actionItems', added: [], removed: [], changed: [{ id: 1, from: { owner: 'o' }, to: { owner: 'p' } }] },
    ]);
  });
});
