import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimelineActivities } from '../../activities/timeline/timeline.activities';
import { InboxDispatcher } from '../../apps/api/webhooks/inbox-dispatcher.service';
import { claimRows, markDispatched } from '../../apps/api/webhooks/inbox-store';
import { Redactor } from '../../lib/intake/redact';
import { eventually, startTestEngine, TEST_REDACTION_KEY, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Issue 22: a burst of a thousand distinct incidents, all started at once, had a thousand runs
// working, more than the worker's cache holds, so nearly every workflow task replayed its whole
// history first (0.34 of the raw rate; 0.71 with every run cached). The dispatcher now starts a
// new incident's run only while fewer than PALISADE_DISPATCH_RUNS_WORKING new runs are on their
// way to their first wait; alerts for incidents already running always go.

const key = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function incidentOf(engine: TestEngine, entityKey: string): Promise<string> {
  return eventually(`the incident of ${entityKey}`, async () => {
    const [row] = await engine.db.query<{ incident_id: string | null }[]>(`SELECT incident_id FROM alerts WHERE entity_key = $1 AND incident_id IS NOT NULL LIMIT 1`, [entityKey]);
    return row?.incident_id ?? undefined;
  });
}

/** Past the moment the dispatcher lets a storm coalesce: every pending row may be claimed now. */
async function settle(engine: TestEngine): Promise<void> {
  await engine.db.query(`UPDATE inbox SET created_at = created_at - interval '1 second' WHERE dispatched_at IS NULL`);
}

async function runState(engine: TestEngine, incidentId: string): Promise<string | null> {
  const [row] = await engine.db.query<{ run_state: string | null }[]>(`SELECT run_state FROM incidents WHERE id = $1`, [incidentId]);
  return row.run_state;
}

describe('the dispatcher and the runs working at once', () => {
  describe('claiming (the dispatcher stopped, the claims made by hand)', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine({ withWorker: false, env: TRIAGE_ROUTING });
      await engine.app.get(InboxDispatcher).onApplicationShutdown();
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('starts no more new incidents than the limit, always lets a running incident’s alerts go, and starts the next once a run says it waits', async () => {
      const [a, b, c] = [key('a'), key('b'), key('c')];
      for (const host of [a, b, c]) expect((await sendGeneric(engine.baseUrl, genericAlert(host))).status).toBe(202);
      const [ia, ib, ic] = [await incidentOf(engine, a), await incidentOf(engine, b), await incidentOf(engine, c)];
      expect(await runState(engine, ic)).toBe('queued');

      // Two may work at once: the two oldest are started, the third waits in the inbox.
      await settle(engine);
      const first = await claimRows(engine.db, 2);
      expect(new Set(first.rows.map((r) => r.incident_id))).toEqual(new Set([ia, ib]));
      expect(first.atLimit).toBe(false);
      expect([await runState(engine, ia), await runState(engine, ib), await runState(engine, ic)]).toEqual(['working', 'working', 'queued']);
      await markDispatched(engine.db, first.rows, first.lease);
      const held = await claimRows(engine.db, 2);
      expect(held).toMatchObject({ rows: [], atLimit: true });
      // /metrics says how many new runs work (the limit in its help).
      expect(await (await fetch(`${engine.baseUrl}/metrics`)).text()).toMatch(/^palisade_dispatch_runs_working 2$/m);

      // Another alert for a running incident goes, though the limit is reached and it is newer than the held one.
      expect((await sendGeneric(engine.baseUrl, genericAlert(a, { title: `Second process on ${a}` }))).status).toBe(202);
      await incidentOf(engine, a);
      await settle(engine);
      const merge = await claimRows(engine.db, 2);
      expect(merge.rows.map((r) => r.incident_id)).toEqual([ia]);
      await markDispatched(engine.db, merge.rows, merge.lease);

      // The first run writes its timeline as it waits for a responder: the third incident starts.
      const timeline = createTimelineActivities(engine.db, new Redactor(Buffer.from(TEST_REDACTION_KEY)));
      const event = { id: `${ia}#1`, incidentId: ia, sequence: 1, type: 'incident.created' as const, occurredAt: new Date().toISOString(), actor: 'palisade', summary: 'opened', data: {} };
      await timeline.appendTimelineEvents([event]);
      expect(await runState(engine, ia)).toBe('working');
      await timeline.appendTimelineEvents([event], { waiting: true });
      expect(await runState(engine, ia)).toBe('waiting');
      const next = await claimRows(engine.db, 2);
      expect(next.rows.map((r) => r.incident_id)).toEqual([ic]);
      expect(await runState(engine, ic)).toBe('working');
      await markDispatched(engine.db, next.rows, next.lease);

      // No limit (0): every new incident goes.
      const [d, e] = [key('d'), key('e')];
      for (const host of [d, e]) {
        const sent = await sendGeneric(engine.baseUrl, genericAlert(host));
        expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      }
      const ids = [await incidentOf(engine, d), await incidentOf(engine, e)];
      await settle(engine);
      expect((await claimRows(engine.db, 2)).rows).toEqual([]);
      const unlimited = await claimRows(engine.db, 0);
      expect(new Set(unlimited.rows.map((r) => r.incident_id))).toEqual(new Set(ids));
    }, 60_000);

    it('claims a new incident’s first alert as soon as it is stored, and a running incident’s once a storm had its moment to coalesce', async () => {
      // Issue 22: a leaked key's first alert waited out the storm's coalescing (50 ms) and the
      // nudge after it before its run could start, on its way to the revoke. Its run starts
      // with it; what comes while it starts coalesces behind it.
      const f = key('f');
      expect((await sendGeneric(engine.baseUrl, genericAlert(f))).status).toBe(202);
      const incident = await incidentOf(engine, f);
      // Stored this very moment, as far as the dispatcher can tell (whatever the test's own pace).
      const justStored = () => engine.db.query(`UPDATE inbox SET created_at = now() + interval '1 second' WHERE incident_id = $1 AND dispatched_at IS NULL`, [incident]);
      await justStored();
      const first = await claimRows(engine.db, 0);
      expect(first.rows.map((r) => r.incident_id)).toEqual([incident]);
      expect(await runState(engine, incident)).toBe('working');
      await markDispatched(engine.db, first.rows, first.lease);

      // The next alert for it, just stored, waits for the storm it may be part of.
      expect((await sendGeneric(engine.baseUrl, genericAlert(f, { title: `Second process on ${f}` }))).status).toBe(202);
      await justStored();
      expect((await claimRows(engine.db, 0)).rows.filter((r) => r.incident_id === incident)).toEqual([]);
      await engine.db.query(`UPDATE inbox SET created_at = now() - interval '1 second' WHERE incident_id = $1 AND dispatched_at IS NULL`, [incident]);
      const merged = await claimRows(engine.db, 0);
      expect(merged.rows.map((r) => r.incident_id)).toEqual([incident]);
      await markDispatched(engine.db, merged.rows, merged.lease);
    }, 60_000);
  });

  describe('with the worker running', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine({ env: { ...TRIAGE_ROUTING, PALISADE_DISPATCH_RUNS_WORKING: '1' } });
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('one run working at a time: each says it waits when it reaches its responder, and the next starts', async () => {
      const hosts = [key('one'), key('two'), key('three')];
      for (const host of hosts) expect((await sendGeneric(engine.baseUrl, genericAlert(host))).status).toBe(202);
      const ids = await Promise.all(hosts.map((h) => incidentOf(engine, h)));
      // Far less than the 2 minutes after which a run that never says it waits stops holding the next back.
      await eventually(
        'every run to reach its responder',
        async () => {
          const states = await Promise.all(ids.map((id) => runState(engine, id)));
          return states.every((s) => s === 'waiting') ? states : undefined;
        },
        60_000,
      );
      const [pending] = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM inbox WHERE incident_id = ANY($1::uuid[]) AND dispatched_at IS NULL`, [ids]);
      expect(pending.n).toBe(0);
    }, 90_000);
  });
});
