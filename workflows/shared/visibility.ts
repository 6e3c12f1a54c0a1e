import type { SearchAttributePair } from '@temporalio/common';
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';

// What a run tells Temporal's visibility store about itself. The server rewrites a run's
// visibility record once for every upsert, search attributes or memo (issue 22's burst: most of
// a run's writes on its way to its first gate were these). A run begun with EVERY_CHANGE
// (`onlyNews`) leaves out what its record already says (its start set the same values), and
// upserts nothing when nothing is new; runs begun before it upsert everything, as they did.

/** Upserts `pairs`, or (`onlyNews`) those whose value the run's search attributes do not already hold. */
export function announceSearchAttributes(pairs: SearchAttributePair[], onlyNews: boolean): void {
  const current = workflowInfo().typedSearchAttributes;
  const news = onlyNews ? pairs.filter((pair) => !same(current.get(pair.key), pair.value)) : pairs;
  if (news.length > 0) upsertSearchAttributes(news);
}

/** Upserts `memo`, or (`onlyNews`) only when one of its values differs from the run's memo. */
export function announceMemo(memo: Record<string, unknown>, onlyNews: boolean): void {
  const current = workflowInfo().memo ?? {};
  if (onlyNews && Object.entries(memo).every(([key, value]) => same(current[key], value))) return;
  upsertMemo(memo);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
