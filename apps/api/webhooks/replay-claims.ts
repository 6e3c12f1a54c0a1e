import type { EntityManager } from 'typeorm';

/** A signed request another replica (or this one) already stored: refused as a replay. */
export class ReplayedRequest extends Error {
  constructor(readonly key: string) {
    super('replayed signed request');
  }
}

/**
 * A signed request's replay key is claimed in the transaction that stores its alerts, so a
 * request is remembered exactly when its alerts are: a store that fails leaves nothing behind
 * and the sender's retry gets in; a stored one is refused by every replica until its signature
 * would be stale anyway. A claim past its expiry is taken over. The claim is a statement of its
 * own or, as the door's batch makes it (batch-store.ts), a WITH part of its first one:
 * `CLAIM_REPLAYS` returns the keys it claimed, `checkClaimed` refuses the batch for any other.
 */
export const CLAIM_REPLAYS = (keysParam: string, secondsParam: string) => `
  INSERT INTO webhook_replays (key, expires_at)
  SELECT k, now() + make_interval(secs => ${secondsParam}) FROM unnest(${keysParam}::text[]) AS k
  ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE webhook_replays.expires_at < now()
  RETURNING key`;

/** The keys to claim, each once; a key twice in one batch is a replay within it. */
export function replayKeysToClaim(keys: string[]): string[] {
  const distinct = [...new Set(keys)];
  if (distinct.length < keys.length) throw new ReplayedRequest(keys.find((k, i) => keys.indexOf(k) !== i)!);
  return distinct;
}

/** Throws ReplayedRequest for a key CLAIM_REPLAYS did not claim (another request holds it). */
export function checkClaimed(keys: string[], claimed: string[]): void {
  if (claimed.length === keys.length) return;
  const got = new Set(claimed);
  throw new ReplayedRequest(keys.find((k) => !got.has(k))!);
}

/** Forgets claims whose signatures are stale (they would be refused as such). */
export async function pruneReplays(db: { query: EntityManager['query'] }): Promise<void> {
  await db.query(`DELETE FROM webhook_replays WHERE expires_at < now()`);
}
