import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomInt } from 'node:crypto';
import { round, spread, sleep, until } from '../support/stats';
import { signGeneric } from '../support/webhooks';
import type { BenchContext, Section } from './figure';

// Alert → first containment call on the simulated fleet, on the automatic path: a live
// (validity active), unshared AWS key leaks, and the secret-leak playbook revokes it without
// asking anyone (workflows/secret-leak/workflow.ts; runbooks/gamedays/secret-leak.yaml is the
// same alert). Timed from just before the webhook POST to the `at` of the first `revoke` call
// the simulated fleet records for that credential (sim_calls, the database's clock — the same
// machine's). Alerts are paced, one every PACE_MS, the way a SIEM sends them.

// Issue 22: p50 < 250 ms, p99 < 1 s (it was p50 < 1 s, p99 < 3 s).
const GOAL = { p50Ms: 250, p99Ms: 1_000 };
const PACE_MS = 500;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A made-up AWS access key id (AKIA + 16): intake finds it in the alert's text and fingerprints it. */
const fakeAccessKey = () => `AKIA${Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;

interface Sample {
  credential: string;
  status: number;
  /** ms from before the POST to the recorded revoke call; undefined if none came. */
  ms: number | undefined;
  /** Each mark on the alert's way to the revoke, in ms from before the POST (breakdown below). */
  marks?: Mark[];
}

interface Mark {
  mark: string;
  ms: number;
}

const EventType = temporal.api.enums.v1.EventType;
const msOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/**
 * Where one alert's time went, from the marks each part leaves: the door (alerts.received_at,
 * the inbox row's transaction, the 202 the bench got), the dispatcher (the signalWithStart
 * that started the run: its first history event; the inbox row marked dispatched), every
 * workflow task and activity of the run up to the revoke (the history's event times), and
 * the simulated fleet's revoke call. Same machine, one clock.
 */
async function marksOf(ctx: BenchContext, client: Client, s: { credential: string; sentAt: number; answeredAt: number }, revokedAt: number): Promise<Mark[]> {
  const { rows } = await ctx.db.query<{ received_at: Date; stored_at: Date; dispatched_at: Date | null; workflow_id: string }>(
    `SELECT a.received_at, q.created_at AS stored_at, q.dispatched_at, q.workflow_id FROM alerts a JOIN inbox q ON q.alert_id = a.id
     WHERE a.source = 'generic' AND a.entity_key = $1 ORDER BY q.id LIMIT 1`,
    [s.credential],
  );
  const row = rows[0];
  if (!row) return [];
  const at = (ms: number) => round(ms - s.sentAt);
  const marks: Mark[] = [
    { mark: 'door: request parsed (alerts.received_at)', ms: at(row.received_at.getTime()) },
    { mark: 'door: inbox transaction began', ms: at(row.stored_at.getTime()) },
    { mark: 'door: 202 at the sender', ms: at(s.answeredAt) },
  ];
  const history = await client.workflow.getHandle(row.workflow_id).fetchHistory();
  const scheduled = new Map<number, string>();
  let tasks = 0;
  for (const e of history.events ?? []) {
    const t = at(msOf(e.eventTime));
    const id = Number(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        marks.push({ mark: 'run started (signalWithStart)', ms: t });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        tasks += 1;
        marks.push({ mark: `task ${tasks} scheduled`, ms: t });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        marks.push({ mark: `task ${tasks} started`, ms: t });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        marks.push({ mark: `task ${tasks} completed`, ms: t });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        scheduled.set(id, name);
        marks.push({ mark: `${name} scheduled`, ms: t });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        marks.push({ mark: `${scheduled.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId)) ?? '?'} started`, ms: t });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        marks.push({ mark: `${scheduled.get(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? '?'} completed`, ms: t });
        break;
      default:
        break;
    }
  }
  if (row.dispatched_at) marks.push({ mark: 'inbox row marked dispatched', ms: at(row.dispatched_at.getTime()) });
  marks.push({ mark: 'revoke call recorded (sim_calls.at)', ms: at(revokedAt) });
  // Up to the revoke: what came after it is not on the alert's way.
  return marks.filter((m) => m.ms <= at(revokedAt) || m.mark.startsWith('revokeCredential')).sort((a, b) => a.ms - b.ms);
}

/** The median time of each mark over the samples that have it, in order: the table the README shows. */
function breakdown(samples: Sample[]): { mark: string; p50: number; max: number; seen: number }[] {
  const byMark = new Map<string, number[]>();
  for (const s of samples) for (const m of s.marks ?? []) byMark.set(m.mark, [...(byMark.get(m.mark) ?? []), m.ms]);
  return [...byMark.entries()]
    .map(([mark, ms]) => ({ mark, p50: spread(ms).p50, max: spread(ms).max, seen: ms.length }))
    .sort((a, b) => a.p50 - b.p50);
}

async function addCredential(ctx: BenchContext, id: string, secret: string): Promise<void> {
  const res = await fetch(`${ctx.engine.apiUrl}/fleet/credentials`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.engine.adminToken}` },
    body: JSON.stringify({ id, type: 'aws_access_key_id', secret, owner: 'team-bench', shared: false, scope: ['s3:GetObject'], dependents: ['bench-deploy'] }),
  });
  if (res.status !== 200) throw new Error(`POST /fleet/credentials answered ${res.status}: ${await res.text()}`);
}

/** Epoch ms of the first revoke call on `credential`, or undefined. */
async function firstRevoke(ctx: BenchContext, credential: string): Promise<number | undefined> {
  const { rows } = await ctx.db.query<{ at: Date }>(`SELECT min(at) AS at FROM sim_calls WHERE capability = 'credentials' AND action = 'revoke' AND target = $1`, [credential]);
  return rows[0]?.at ? rows[0].at.getTime() : undefined;
}

async function leak(ctx: BenchContext, credential: string, secret: string): Promise<{ sentAt: number; answeredAt: number; status: number }> {
  const signed = signGeneric(ctx.engine.secret('PALISADE_WEBHOOK_SECRET_GENERIC'), {
    title: 'AWS access key committed to a public repository',
    severity: 'critical',
    category: 'secret-leak',
    id: `bench-leak-${credential}`,
    entity: { kind: 'credential', key: credential },
    description: `Found in issue #42: aws_access_key_id = ${secret}`,
    labels: { validity: 'active' },
  });
  const sentAt = Date.now();
  const res = await fetch(`${ctx.engine.apiUrl}/webhooks/generic`, { method: 'POST', headers: signed.headers, body: signed.body });
  await res.arrayBuffer();
  return { sentAt, answeredAt: Date.now(), status: res.status };
}

export const containmentSection: Section = {
  name: 'containment',
  title: 'Alert → first containment call (automatic path)',
  run: async (ctx) => {
    const count = ctx.quick ? 8 : 30;
    const warmup = ctx.quick ? 1 : 3;
    const keys = Array.from({ length: warmup + count }, (_, i) => ({ credential: `bench-${ctx.runId}-key-${i}`, secret: fakeAccessKey() }));
    for (const k of keys) await addCredential(ctx, k.credential, k.secret);
    ctx.log(`${keys.length} credentials in the simulated store; leaking them ${PACE_MS} ms apart (${warmup} warm-up)...`);

    const sent: { credential: string; sentAt: number; answeredAt: number; status: number }[] = [];
    for (const k of keys) {
      sent.push({ credential: k.credential, ...(await leak(ctx, k.credential, k.secret)) });
      await sleep(PACE_MS);
    }
    const samples: Sample[] = [];
    const connection = await Connection.connect({ address: ctx.engine.temporalAddress });
    try {
      const client = new Client({ connection });
      for (const s of sent.slice(warmup)) {
        const at = await until(`the revocation of ${s.credential}`, () => firstRevoke(ctx, s.credential), 30_000, 100).catch(() => undefined);
        const marks = at === undefined ? undefined : await marksOf(ctx, client, s, at).catch((err: Error) => [{ mark: `breakdown failed: ${err.message}`, ms: 0 }]);
        samples.push({ credential: s.credential, status: s.status, ms: at === undefined ? undefined : at - s.sentAt, marks });
      }
    } finally {
      await connection.close();
    }
    const parts = breakdown(samples);
    ctx.log('where the time went (median ms from before the POST; max):');
    for (const p of parts) ctx.log(`  ${String(p.p50).padStart(7)}  ${String(p.max).padStart(7)}  ${p.mark}${p.seen < samples.length ? ` (${p.seen} of ${samples.length})` : ''}`);
    const times = spread(samples.flatMap((s) => (s.ms === undefined ? [] : [s.ms])));
    const problems = [
      samples.some((s) => s.status !== 202) ? `${samples.filter((s) => s.status !== 202).length} webhook(s) not answered 202` : '',
      times.count < samples.length ? `${samples.length - times.count} credential(s) not revoked within 30 s` : '',
    ].filter(Boolean);
    return {
      figures: [
        {
          figure: 'alert → first revoke call (secret-leak, no gate)',
          p50: times.p50,
          p99: times.p99,
          goal: `p50 < ${GOAL.p50Ms / 1000} s, p99 < ${GOAL.p99Ms / 1000} s`,
          met: times.count === samples.length && times.p50 < GOAL.p50Ms && times.p99 < GOAL.p99Ms,
        },
      ],
      details: { alerts: samples.length, warmup, paceMs: PACE_MS, times, problems, breakdown: parts, samples },
    };
  },
};
