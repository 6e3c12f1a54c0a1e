import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';
import { PAGE_COMPROMISE_TICKET_DRIFT, pagingRunbooks } from '../support/paging';
import { timelineOf } from '../support/timeline';
import { FakePagerDuty } from '../support/vendors/pagerduty';
import { SLA_SWEEP_PAGE, SlaWatcher, slaCandidates } from '../../apps/api/sla/sla-watcher.service';
import { SLA_PAGING } from '../../apps/api/sla/sla.tokens';
import { PALISADE_CONFIG } from '../../apps/api/config/config.module';
import { MetricsService } from '../../apps/api/metrics/metrics.service';
import type { PalisadeConfig } from '../../lib/config/env';
import type { PagingPlan } from '../../lib/db/paging-outbox';

const ROUTING_KEY = 'R0UTINGKEY00000000000000000000AA';

// SLA timers on two APIs sharing one Postgres (each sweeping every 200 ms), a real worker,
// Temporal and a fake PagerDuty: a missed target is one timeline event and one page, whichever
// API sees it first; GET /incidents shows the time left; the report shows each target met or missed.
describe('SLA timers', () => {
  let api1: TestEngine;
  let api2: TestEngine;
  const pd = new FakePagerDuty([ROUTING_KEY]);

  beforeAll(async () => {
    await pd.start();
    const { providers, paging } = pagingRunbooks(
      { paging: 'pagerduty', ticketing: 'none' },
      [`pagerduty: { eventsUrl: "${pd.url}", services: { secops-oncall: { routingKeyEnv: PD_KEY } } }`],
      PAGE_COMPROMISE_TICKET_DRIFT,
    );
    const sla = path.join(mkdtempSync(path.join(tmpdir(), 'palisade-sla-')), 'sla.yaml');
    // High: acknowledged within 2 s (it will not be), paging on-call; low: resolved within an hour (it will be).
    writeFileSync(sla, ['page: secops-oncall', 'targets:', '  - { severity: high, acknowledge: 2s, resolve: 1h }', '  - { severity: low, resolve: 1h }'].join('\n'));
    const env = { PALISADE_PROVIDERS_FILE: providers, PALISADE_PAGING_FILE: paging, PD_KEY: ROUTING_KEY, PALISADE_SLA_FILE: sla, PALISADE_SLA_CHECK_MS: '200' };
    api1 = await startTestEngine({ env });
    api2 = await startTestEngine({ databaseUrl: api1.databaseUrl, withWorker: false, env });
  }, 120_000);
  afterAll(async () => {
    await api2?.close();
    await api1?.close();
    await pd.close();
  });

  const timeline = (id: string) => timelineOf(api1.baseUrl, id);

  it('a missed target is one sla.breached event, one page and one count, however many APIs sweep; the list shows the time left', async () => {
    const carol = await tokenFor(api1.baseUrl, 'carol', 'responder');
    const late = (await postJson(`${api1.baseUrl}/incidents`, { title: 'Domain admin added outside a change', severity: 'high' }, carol)).body.incidentId as string;
    const calm = (await postJson(`${api1.baseUrl}/incidents`, { title: 'A phishing mail reported', severity: 'low' }, carol)).body.incidentId as string;

    // Before its 2 s are up (or after: then overdue), the list names the acknowledge target and its time left.
    const listed = await eventually('the incidents listed', async () => {
      const res = await getJson(`${api2.baseUrl}/incidents?status=open`);
      const mine = (res.body.incidents as { id: string; sla: unknown }[]).filter((i) => i.id === late || i.id === calm);
      return mine.length === 2 ? mine : undefined;
    });
    expect(listed.find((i) => i.id === late)!.sla).toMatchObject({ measure: 'acknowledge', target: '2s', dueAt: expect.any(String), timeLeftMs: expect.any(Number) });
    expect(listed.find((i) => i.id === calm)!.sla).toMatchObject({ measure: 'resolve', target: '1h' });
    expect((listed.find((i) => i.id === calm)!.sla as { timeLeftMs: number }).timeLeftMs).toBeGreaterThan(50 * 60_000);

    const breach = await eventually('the breach on the timeline', async () => (await timeline(late)).find((e) => e.type === 'sla.breached'), 30_000);
    expect(breach).toMatchObject({ id: `${late}#sla:acknowledge`, data: { measure: 'acknowledge', target: '2s', rule: 'high', page: 'secops-oncall', vendor: 'pagerduty' } });
    expect(breach.summary).toContain('not acknowledged within 2s');
    await eventually('the page delivered', async () => ((await timeline(late)).some((e) => e.type === 'notice.sent' && /missed acknowledge target/.test(e.summary)) ? true : undefined), 30_000);
    expect(pd.triggers()).toHaveLength(1);

    // Resolving the calm one while the sweeps go on: by the time it is closed both APIs have swept
    // the late one many more times, and it still has one breach, one page, one count.
    expect((await postJson(`${api1.baseUrl}/incidents/${calm}/resolve`, { classification: 'false_positive', reason: 'a newsletter' }, carol)).status).toBe(202);
    await eventually('resolved', async () => ((await getJson(`${api1.baseUrl}/incidents/${calm}`)).body.status === 'resolved' ? true : undefined));
    const counted = async () => {
      let n = 0;
      for (const api of [api1, api2]) {
        const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
        n += Number(/^palisade_sla_breaches_total\{measure="acknowledge",severity="high"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      }
      return n;
    };
    expect(await counted()).toBe(1);
    expect((await timeline(late)).filter((e) => e.type === 'sla.breached')).toHaveLength(1);
    expect((await timeline(calm)).filter((e) => e.type === 'sla.breached')).toHaveLength(0);
    expect(pd.triggers()).toHaveLength(1);
    const overdue = (await getJson(`${api1.baseUrl}/incidents/${late}`)).body.sla;
    expect(overdue).toMatchObject({ measure: 'acknowledge' });
    expect(overdue.timeLeftMs).toBeLessThan(0);
    expect((await getJson(`${api1.baseUrl}/incidents/${calm}`)).body.sla).toBeNull();

    // The report: each target of the policy met or missed.
    const report = await getJson(`${api1.baseUrl}/reports/response-times?since=${new Date(Date.now() - 3_600_000).toISOString()}`);
    expect(report.body.sla).toEqual([
      { rule: 'high', measure: 'acknowledge', target: '2s', met: 0, missed: 1, pending: 0 },
      { rule: 'high', measure: 'resolve', target: '1h', met: 0, missed: 0, pending: 1 },
      { rule: 'low', measure: 'resolve', target: '1h', met: 1, missed: 0, pending: 0 },
    ]);
  }, 90_000);

  it('a sweep leaves an incident whose breach is recorded alone: it does not lock it again', async () => {
    const carol = await tokenFor(api1.baseUrl, 'carol', 'responder');
    const late = (await postJson(`${api1.baseUrl}/incidents`, { title: 'Service account key created by hand', severity: 'high' }, carol)).body.incidentId as string;
    await eventually('the breach on the timeline', async () => ((await timeline(late)).some((e) => e.type === 'sla.breached') ? true : undefined), 30_000);

    // A responder's transaction holds the breached incident's row; a sweep must not wait for it.
    const holder = api1.db.createQueryRunner();
    await holder.connect();
    let swept: Promise<number> | undefined;
    try {
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE`, [late]);
      const [{ pid }] = (await holder.query(`SELECT pg_backend_pid() AS pid`)) as { pid: number }[];
      let finished = false;
      swept = api1.app
        .get(SlaWatcher)
        .sweep()
        .finally(() => (finished = true));
      const outcome = await eventually('the sweep to finish or to wait on the breached incident', async () => {
        if (finished) return 'finished';
        const [{ n }] = await api1.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid]);
        return n > 0 ? 'waited on the breached incident' : undefined;
      }, 30_000);
      expect(outcome).toBe('finished');
      expect(await swept).toBe(0);
    } finally {
      if (holder.isTransactionActive) await holder.commitTransaction();
      await holder.release();
      await swept?.catch(() => undefined); // a sweep that waited goes on once the lock is gone
    }
    expect((await timeline(late)).filter((e) => e.type === 'sla.breached')).toHaveLength(1);
  }, 90_000);

  // A worm across a fleet opens hundreds of incidents at once. The sweep shares the API's event
  // loop with the webhook door: it reads them a page at a time, and not at all before anything
  // can be due (one read of every open incident stalled the door 390 ms, issue 22).
  it('a sweep reads open incidents a page at a time, skips those nothing is due for yet, and records every breach across pages', async () => {
    const playbook = `sla-pages-${randomUUID().slice(0, 8)}`;
    const open = async (n: number, agoSeconds: number) =>
      (
        await api1.db.query<{ id: string }[]>(
          `WITH made AS (
             INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
             SELECT gen_random_uuid(), $1 || ':host-' || g || ':' || $3::int, 'Beacon to a known C2 address', 'medium', 'open', $1, '1', 'host:' || g,
                    now() - make_interval(secs => $3::int)
             FROM generate_series(1, $2::int) g RETURNING id)
           SELECT id FROM made`,
          [playbook, n, agoSeconds],
        )
      ).map((r) => r.id);
    const old = await open(SLA_SWEEP_PAGE + 100, 2 * 3600);
    const young = await open(50, 0);
    try {
      // The reader: pages of at most SLA_SWEEP_PAGE, every old one once, no young one.
      const read: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await slaCandidates(api1.db, new Date(Date.now() - 3600_000), after);
        expect(page.length).toBeLessThanOrEqual(SLA_SWEEP_PAGE);
        read.push(...page.map((i) => i.id));
        if (page.length < SLA_SWEEP_PAGE) break;
        after = page.at(-1)!.id;
      }
      expect(new Set(read).size).toBe(read.length);
      expect(read).toEqual(expect.arrayContaining(old));
      expect(read.filter((id) => young.includes(id))).toEqual([]);

      // The sweep, with a policy of its own (acknowledged within an hour, nobody paged): every old one missed it, across pages.
      const watcher = new SlaWatcher(
        api1.db,
        api1.app.get<PalisadeConfig>(PALISADE_CONFIG),
        { file: 'sla.yaml', targets: [{ severity: 'medium', playbook, acknowledge: '1h' }] },
        api1.app.get<PagingPlan>(SLA_PAGING),
        new MetricsService(),
      );
      expect(await watcher.sweep()).toBe(old.length);
      const breached = await api1.db.query<{ incident_id: string }[]>(
        `SELECT incident_id FROM timeline_events WHERE type = 'sla.breached' AND incident_id = ANY($1::uuid[])`,
        [[...old, ...young]],
      );
      expect(breached.map((r) => r.incident_id).sort()).toEqual([...old].sort());
      expect(await watcher.sweep()).toBe(0);
    } finally {
      await api1.db.query(`UPDATE incidents SET status = 'cancelled' WHERE playbook = $1`, [playbook]);
    }
  }, 120_000);
});
