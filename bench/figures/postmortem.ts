import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { spread } from '../support/stats';
import type { BenchContext, Figure, Section } from './figure';

// The postmortem of a long incident: one resolved incident and 10,000 timeline events seeded
// straight into Postgres (as test/integration/incidents-api.test.ts seeds its 10,000), a mix of
// merged alerts, steps with retries, approval gates with votes, and notes, over 10 hours; then
// GET /incidents/:id/postmortem?format=html and ?format=md, timed from request to last byte.

const EVENTS = 10_000;

async function seed(ctx: BenchContext): Promise<string> {
  const id = randomUUID();
  await ctx.db.query(
    `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, alert_count, detected_at, acknowledged_at, contained_at, resolved_at)
     VALUES ($1, $2, 'bench: a long incident', 'high', 'resolved', 'host-compromise', 'bench', 'host:bench', $3, now() - interval '10 hours', now() - interval '9 hours', now() - interval '5 hours', now())`,
    [id, `host-compromise:host:bench-${id}`, EVENTS / 2],
  );
  // n % 20: 0–9 a merged alert, 10–12 a step (started, retried, succeeded), 13–15 a gate (requested, vote, decided), 16–19 a note.
  await ctx.db.query(
    `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data)
     SELECT $1 || '#' || n, $1::uuid, n, t.type, now() - interval '10 hours' + n * interval '3.6 seconds', t.actor, t.type || ' ' || n, t.data
     FROM generate_series(1, $2::int) AS n,
     LATERAL (SELECT n / 20 AS k, n % 20 AS m) AS i,
     LATERAL (SELECT
       CASE WHEN m < 10 THEN 'alerts.merged' WHEN m = 10 THEN 'step.started' WHEN m = 11 THEN 'step.retrying' WHEN m = 12 THEN 'step.succeeded'
            WHEN m = 13 THEN 'gate.requested' WHEN m = 14 THEN 'gate.vote' WHEN m = 15 THEN 'gate.decided' ELSE 'note' END AS type,
       CASE WHEN m = 14 THEN 'bob' WHEN m < 10 THEN 'intake' ELSE 'playbook' END AS actor,
       CASE WHEN m < 10 THEN jsonb_build_object('count', 1, 'alertIds', jsonb_build_array(gen_random_uuid()))
            WHEN m = 10 THEN jsonb_build_object('step', 'Step ' || k)
            WHEN m = 11 THEN jsonb_build_object('step', 'Step ' || k, 'attempt', 1, 'error', 'the provider timed out')
            WHEN m = 12 THEN jsonb_build_object('step', 'Step ' || k, 'attempt', 2)
            WHEN m = 13 THEN jsonb_build_object('gateId', 'gate-' || k, 'step', 'Step ' || k, 'summary', 'Approve step ' || k, 'needed', 1, 'fallback', 'deny')
            WHEN m = 14 THEN jsonb_build_object('gateId', 'gate-' || k, 'approverId', 'bob', 'decision', 'approve', 'reason', 'looks right', 'via', 'api')
            WHEN m = 15 THEN jsonb_build_object('gateId', 'gate-' || k, 'outcome', 'approved', 'votes', jsonb_build_array(jsonb_build_object('approverId', 'bob')))
            ELSE jsonb_build_object('n', n) END AS data) AS t`,
    [id, EVENTS],
  );
  return id;
}

async function timeRender(ctx: BenchContext, id: string, format: 'html' | 'md', times: number): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const res = await fetch(`${ctx.engine.apiUrl}/incidents/${id}/postmortem?format=${format}`, { headers: { authorization: `Bearer ${ctx.engine.adminToken}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /incidents/${id}/postmortem?format=${format} answered ${res.status}: ${body.slice(0, 300)}`);
    ms.push(performance.now() - t0);
    bytes = Buffer.byteLength(body);
  }
  return { ms, bytes };
}

export const postmortemSection: Section = {
  name: 'postmortem',
  title: `Postmortem of a ${EVENTS.toLocaleString('en')}-event incident`,
  run: async (ctx) => {
    const times = ctx.quick ? 3 : 10;
    const t0 = performance.now();
    const id = await seed(ctx);
    ctx.log(`Seeded incident ${id} with ${EVENTS} timeline events in ${((performance.now() - t0) / 1000).toFixed(1)} s; rendering each format ${times} times after one warm-up...`);
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { incidentId: id, events: EVENTS, renders: times };
    for (const format of ['html', 'md'] as const) {
      await timeRender(ctx, id, format, 1);
      const r = await timeRender(ctx, id, format, times);
      const s = spread(r.ms);
      figures.push({ figure: `postmortem ${format}, ${EVENTS.toLocaleString('en')} events`, p50: s.p50, p99: s.p99, goal: '' });
      details[format] = { ...s, bytes: r.bytes };
    }
    return { figures, details };
  },
};
