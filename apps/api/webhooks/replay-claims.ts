import type { EntityManager } from 'typeorm';

/** A signed request another replica (or this one) already stored: refused as a replay. */
export class ReplayedRequest extends Error {
  constructor(readonly key: string) {
    super('replayed signed request');
  }
}

/**
 * Claims the replay keys of signed requests in the transaction that stores their alerts, so
 * a request is remembered exactly when its alerts are: a store that fails leaves nothing
 * behind and the sender's retry gets in; a stored one is refused by every replica until its
 * signature would be stale anyway. A claim past its expiry is taken over.
 */
export async function claimReplays(tx: EntityManager, keys: string[], memorySeconds: number): Promise<void> {
  if (keys.length === 0) return;
  const distinct = [...new Set(keys)];
  if (distinct.length < keys.length) throw new ReplayedRequest(keys.find((k, i) => keys.indexOf(k) !== i)!);
  const claimed = await tx.query<{ key: string }[]>(
    `INSERT INTO webhook_replays (key, expires_at)
     SELECT k, now() + make_interval(secs => $2) FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE webhook_replays.expires_at < now()
     RETURNING key`,
    [distinct, memorySeconds],
  );
  if (claimed.length < distinct.length) {
    const got = new Set(claimed.map((c) => c.key));
    throw new ReplayedRequest(distinct.find((k) => !got.has(k))!);
  }
}

/** Forgets claims whose signatures are stale (they would be refused as such). */
export async function pruneReplays(db: { query: EntityManager['query'] }): Promise<void> {
  await db.query(`DELETE FROM webhook_replays WHERE expires_at < now()`);
}
