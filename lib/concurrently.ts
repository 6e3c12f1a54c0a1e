/**
 * Calls `visit` for each item, at most `limit` at once, in order of index; resolves when every
 * call has. A call that throws rejects the whole, as Promise.all does. Once `stop()` answers
 * true no further item is visited (the calls under way finish): a sweep that is shutting down,
 * or that has learnt the rest would fail the same way.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  visit: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length && !stop(); i = next++) await visit(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
