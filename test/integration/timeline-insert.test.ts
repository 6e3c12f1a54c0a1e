import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTimelineEvent } from '../../lib/db/timeline-insert';
import { eventually, startTestEngine, type TestEngine } from '../support/engine';

// A responder's action writes its timeline event in the transaction of its change. Another
// writer (the run) taking the same next sequence meanwhile must not abort that transaction.
describe('timeline events written inside a transaction', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const row = (incidentId: string, id: string, sequence: number | null) => ({
    id,
    incidentId,
    sequence,
    type: 'incident.note',
    occurredAt: new Date().toISOString(),
    actor: 'carol',
    summary: id,
    data: {},
  });

  it('takes the next free sequence when another writer took the one it read, and commits its change with it', async () => {
    const incidentId = randomUUID();
    await insertTimelineEvent(engine.db, row(incidentId, `${incidentId}#1`, 1));
    const other = engine.db.createQueryRunner();
    await other.connect();
    try {
      // The run's next event, written but not yet committed: the responder's insert reads sequence 2 as free and waits on it.
      await other.startTransaction();
      await insertTimelineEvent(other, row(incidentId, `${incidentId}#2`, 2));
      const mine = engine.db.transaction(async (tx) => {
        await insertTimelineEvent(tx, row(incidentId, `${incidentId}#note`, null));
        await tx.query(`SELECT 1`); // the transaction is still usable
      });
      await eventually('the responder’s insert to wait on the uncommitted sequence 2', async () => {
        const [waiting] = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        return waiting.n > 0 ? true : undefined;
      });
      await other.commitTransaction();
      await mine;
    } finally {
      await other.release();
    }
    const rows = await engine.db.query<{ id: string; sequence: number }[]>(`SELECT id, sequence FROM timeline_events WHERE incident_id = $1 ORDER BY sequence`, [incidentId]);
    expect(rows.map((r) => [r.id, r.sequence])).toEqual([
      [`${incidentId}#1`, 1],
      [`${incidentId}#2`, 2],
      [`${incidentId}#note`, 3],
    ]);
  });
});
