/**
 * What responders write on a postmortem (the generated model is lib/postmortem/model.ts), how
 * its review moves, and the difference between two revisions. Pure: the API stores and locks.
 */

export const REVIEW_STATES = ['draft', 'in_review', 'published'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export const ACTION_ITEM_STATUSES = ['open', 'done'] as const;
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number];

/** Sign-offs a revision needs to be published: two people, neither of them its last editor. */
export const SIGN_OFFS_TO_PUBLISH = 2;

export interface ActionItem {
  /** Stable across revisions: its ticket is found by it. */
  id: number;
  title: string;
  owner: string;
  /** A calendar day, YYYY-MM-DD. */
  due: string;
  status: ActionItemStatus;
}

export interface ReviewContent {
  rootCause: string;
  contributingFactors: string[];
  wentWell: string[];
  wentBadly: string[];
  actionItems: ActionItem[];
}

export const EMPTY_CONTENT: ReviewContent = { rootCause: '', contributingFactors: [], wentWell: [], wentBadly: [], actionItems: [] };

/** An edit: fields left out stay as they are; an action item without an id is new. */
export interface ReviewEdit {
  rootCause?: string;
  contributingFactors?: string[];
  wentWell?: string[];
  wentBadly?: string[];
  actionItems?: (Omit<ActionItem, 'id' | 'status'> & { id?: number; status?: ActionItemStatus })[];
}

/**
 * The content after an edit. New action items take the next id never used on this postmortem
 * (`lastId`, over every revision), so a removed item's id is not given to another.
 */
export function applyEdit(content: ReviewContent, edit: ReviewEdit, lastId: number): { content: ReviewContent; unknownIds: number[] } {
  let next = lastId;
  const known = new Map(content.actionItems.map((a) => [a.id, a]));
  const unknownIds: number[] = [];
  const actionItems =
    edit.actionItems?.map((a) => {
      if (a.id !== undefined && !known.has(a.id)) unknownIds.push(a.id);
      const id = a.id ?? ++next;
      return { id, title: a.title, owner: a.owner, due: a.due, status: a.status ?? known.get(id)?.status ?? 'open' };
    }) ?? content.actionItems;
  return {
    content: {
      rootCause: edit.rootCause ?? content.rootCause,
      contributingFactors: edit.contributingFactors ?? content.contributingFactors,
      wentWell: edit.wentWell ?? content.wentWell,
      wentBadly: edit.wentBadly ?? content.wentBadly,
      actionItems,
    },
    unknownIds,
  };
}

/** What a revision still lacks before it can go to review (empty: nothing). */
export function missingForReview(content: ReviewContent): string[] {
  const missing: string[] = [];
  if (!content.rootCause.trim()) missing.push('rootCause');
  if (content.actionItems.length === 0) missing.push('actionItems (at least one, with an owner and a due date)');
  return missing;
}

export type SignOffRefusal = 'not_in_review' | 'author' | 'already_signed';

/**
 * Whether `reviewer` may sign off: the revision is in review, they did not write its last edit
 * (nor submit it, when nobody edited it), and they have not signed it already.
 */
export function signOffRefusal(revision: { state: ReviewState; editedBy: string | null; submittedBy: string | null }, signedBy: string[], reviewer: string): SignOffRefusal | null {
  if (revision.state !== 'in_review') return 'not_in_review';
  if (reviewer === (revision.editedBy ?? revision.submittedBy)) return 'author';
  if (signedBy.includes(reviewer)) return 'already_signed';
  return null;
}

export type FieldChange =
  | { field: 'rootCause'; from: string; to: string }
  | { field: 'contributingFactors' | 'wentWell' | 'wentBadly'; added: string[]; removed: string[] }
  | { field: 'actionItems'; added: ActionItem[]; removed: ActionItem[]; changed: { id: number; from: Partial<ActionItem>; to: Partial<ActionItem> }[] };

/** What changed from one revision's content to another's, field by field (empty: the same). */
export function diffContent(from: ReviewContent, to: ReviewContent): FieldChange[] {
  const changes: FieldChange[] = [];
  if (from.rootCause !== to.rootCause) changes.push({ field: 'rootCause', from: from.rootCause, to: to.rootCause });
  for (const field of ['contributingFactors', 'wentWell', 'wentBadly'] as const) {
    const added = to[field].filter((x) => !from[field].includes(x));
    const removed = from[field].filter((x) => !to[field].includes(x));
    if (added.length > 0 || removed.length > 0) changes.push({ field, added, removed });
  }
  const before = new Map(from.actionItems.map((a) => [a.id, a]));
  const after = new Map(to.actionItems.map((a) => [a.id, a]));
  const changed: { id: number; from: Partial<ActionItem>; to: Partial<ActionItem> }[] = [];
  for (const [id, b] of after) {
    const a = before.get(id);
    if (!a) continue;
    const keys = (['title', 'owner', 'due', 'status'] as const).filter((k) => a[k] !== b[k]);
    if (keys.length > 0) changed.push({ id, from: Object.fromEntries(keys.map((k) => [k, a[k]])), to: Object.fromEntries(keys.map((k) => [k, b[k]])) });
  }
  const added = to.actionItems.filter((a) => !before.has(a.id));
  const removed = from.actionItems.filter((a) => !after.has(a.id));
  if (added.length > 0 || removed.length > 0 || changed.length > 0) changes.push({ field: 'actionItems', added, removed, changed });
  return changes;
}

/** The outbox ref of an action item's ticket (lib/db/paging-outbox.ts). */
export function actionItemRef(id: number): string {
  return `action:${id}`;
}

/** An action item's id from an outbox ref, or null when the ref is not an action item's. */
export function actionItemOfRef(ref: string): number | null {
  const m = /^action:(\d+)$/.exec(ref);
  return m ? Number(m[1]) : null;
}
