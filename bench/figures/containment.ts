import { randomInt } from 'node:crypto';
import { spread, sleep, until } from '../support/stats';
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

async function leak(ctx: BenchContext, credential: string, secret: string): Promise<{ sentAt: number; status: number }> {
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
  return { sentAt, status: res.status };
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

    const sent: { credential: string; sentAt: number; status: number }[] = [];
    for (const k of keys) {
      sent.push({ credential: k.credential, ...(await leak(ctx, k.credential, k.secret)) });
      await sleep(PACE_MS);
    }
    const samples: Sample[] = [];
    for (const s of sent.slice(warmup)) {
      const at = await until(`the revocation of ${s.credential}`, () => firstRevoke(ctx, s.credential), 30_000, 100).catch(() => undefined);
      samples.push({ credential: s.credential, status: s.status, ms: at === undefined ? undefined : at - s.sentAt });
    }
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
      details: { alerts: samples.length, warmup, paceMs: PACE_MS, times, problems, samples },
    };
  },
};
