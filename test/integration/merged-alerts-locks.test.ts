import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passToSurvivor } from '../../lib/db/merged-alerts';
import { eventually, startTestEngine, type TestEngine } from '../support/engine';

// Everything that locks two incidents locks them in id order (a merge does: recordMerge), so two
// of them touching the same incidents wait for each other instead of deadlocking.
describe('locks on merged incidents', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const incident = (id: string) =>
    engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'lock order', 'low', 'open', 'triage', '1.0.0', $3, now())`,
      [id, `triage:${id}`, `host:${id}`],
    );

  it('passes late alerts to the survivor while a merge holds the same incidents, without a deadlock', async () => {
    // The survivor has the higher id: locking it first is the wrong order.
    const [duplicateId, survivorId] = [randomUUID(), randomUUID()].sort();
    await incident(duplicateId);
    await incident(survivorId);
    await engine.db.query(`UPDATE incidents SET duplicate_of = $2 WHERE id = $1`, [duplicateId, survivorId]);

    const merge = engine.db.createQueryRunner();
    await merge.connect();
    try {
      // Another transaction locking both in id order (as a merge does) has taken the first.
      await merge.startTransaction();
      await merge.query(`SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE`, [duplicateId]);
      const passed = engine.db.transaction((tx) => passToSurvivor(tx, duplicateId, survivorId, []));
      passed.catch(() => undefined); // awaited below; a deadlock must fail the test there, not as an unhandled rejection
      await eventually('the dispatcher to wait on the lock the merge holds', async () => {
        const [waiting] = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return waiting.n > 0 ? true : undefined;
      });
      // The merge takes its second lock: it must not find the dispatcher holding it.
      await merge.query(`SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE`, [survivorId]);
      await merge.commitTransaction();
      await expect(passed).resolves.toBe(0);
    } finally {
      if (merge.isTransactionActive) await merge.rollbackTransaction();
      await merge.release();
    }
  });
});
