import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { closedByRun } from '../../apps/api/webhooks/inbox-store';
import { ownDatabase } from '../support/database';

// After every delivery the inbox dispatcher asks whether the run it signalled has already closed
// its incident (a signal taken in a run's last workflow task is never acted on). The question
// was asked of every incident ever recorded: `closed_run_id` has no index, so each delivery read
// the whole incidents table (0.5 ms each at 1,000 incidents in the bench, growing with every
// incident a deployment keeps). It is the signalled incident's own row that says.
describe("the dispatcher's check that a signalled run has closed its incident", () => {
  const database = ownDatabase('closed_run');

  async function incident(closedRunId: string | null): Promise<string> {
    const id = randomUUID();
    await database().query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at, closed_run_id)
       VALUES ($1, $2, 'Closed run', 'high', $3, 'triage', '0.1.0', $4, now(), $5)`,
      [id, `triage:host:${id}`, closedRunId ? 'resolved' : 'open', `host:${id}`, closedRunId],
    );
    return id;
  }

  it('answers for the signalled incident and its run only', async () => {
    const run = randomUUID();
    const closed = await incident(run);
    const open = await incident(null);
    const db = database();
    expect(await closedByRun(db, closed, run)).toBe(true);
    expect(await closedByRun(db, closed, randomUUID())).toBe(false);
    expect(await closedByRun(db, open, run)).toBe(false);
  });

  it('reads the incident by its key, not the whole table', async () => {
    const db = database();
    const statements: { sql: string; params: unknown[] }[] = [];
    const recorder = { query: (sql: string, params: unknown[] = []) => (statements.push({ sql, params }), db.query(sql, params)) } as unknown as DataSource;
    await closedByRun(recorder, await incident(null), randomUUID());
    expect(statements).toHaveLength(1);
    // With sequential scans priced out, a plan that still reads the table through one has no index to use.
    const plan = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows = await tx.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${statements[0].sql}`, statements[0].params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).not.toMatch(/Seq Scan on incidents/);
  });
});
