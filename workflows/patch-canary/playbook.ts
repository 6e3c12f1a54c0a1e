import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from '../../lib/duration';
import { ENVIRONMENTS } from '../../lib/providers/capabilities';
import { approval, bestEffort, compensate, definePlaybook, step, type PlaybookRun } from '../kit';
import { rollBackEveryWave } from './rollback';
import { planWaves } from './waves';

const gates = ['widen-wave'] as const;
const steps = ['List the hosts', 'Patch wave {n}', 'Check {sli} on wave {n}', 'Roll back wave {n}', 'Tell {who}: {patch} rolled back'] as const;
/** A patch-canary run, as its helpers (rollback.ts) take it. */
export type CanaryRun = PlaybookRun<(typeof gates)[number], (typeof steps)[number]>;

/**
 * Patch canary — roll a patch out in waves while watching an SLO, so a bad patch stops at a few hosts.
 * 1. List the hosts the selector names; plan waves by cumulative share (e.g. 5% → 25% → 100%), in host id order.
 * 2. Patch the wave. Its rollback is registered first, in case the apply lands only in part.
 * 3. Bake: wait `bake` (a durable timer) so the patch meets real traffic.
 * 4. Read the SLI for the wave's hosts from the metrics provider and compare it with the SLO.
 *    Breached: raise severity to high, roll back every patched wave newest first, tell the requester, close.
 * 5. Healthy and more to go: an approver widens to the next wave (nobody answers: it pauses and pages on-call).
 *    Denied: stop there; the waves already patched keep the patch.
 * 6. Repeat from 2 until the last wave, then close with a summary.
 * Cancelled at any point, or a step fails: every patched wave is rolled back.
 */
export default definePlaybook({
  name: 'patch-canary',
  description: 'Patch in waves (5% → 25% → 100%): bake, check the SLO, approve the next wave; roll every wave back on a breach.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'its bakes and wave gates last hours: an open run meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  categories: ['vulnerability'],
  params: z
    .object({
      patchId: z.string().min(1),
      /** Which hosts to patch (inventory selector). An empty one would match the whole fleet: never by accident. */
      hosts: z
        .object({ hostIds: z.array(z.string().min(1)).min(1).optional(), environment: z.enum(ENVIRONMENTS).optional(), tags: z.record(z.string(), z.string()).optional() })
        .strict()
        .refine((h) => h.hostIds ?? h.environment ?? h.tags, 'name hostIds, an environment or tags'),
      /** Cumulative share of the hosts patched by the end of each wave, in percent. */
      waves: z
        .array(z.number().int().min(1).max(100))
        .min(1)
        .refine((w) => w.every((v, i) => i === 0 || v > w[i - 1]) && w.at(-1) === 100, 'must rise and end at 100')
        .default([5, 25, 100]),
      /** How long each wave bakes before its metrics are read. */
      bake: z.string().regex(DURATION_PATTERN, 'must be a duration such as 30s, 10m or 1h').default('10m'),
      /** The SLO a wave must keep: the SLI read from the metrics provider stays at or under `max`. */
      slo: z.object({ sli: z.string().min(1), max: z.number() }).strict().default({ sli: 'error_rate', max: 0.05 }),
    })
    .strict(),
  manualStart: {
    entity: (p) => ({ kind: 'resource', key: `patch:${p.patchId}`, display: `patch ${p.patchId}` }),
    title: (p) => `Canary rollout of ${p.patchId}`,
  },
  gates,
  steps,

  async run(run, params) {
    const { input } = run;
    const { patchId, slo, bake } = params;
    await run.setStatus('responding', `rolling ${patchId} out in waves (${params.waves.join('% → ')}%)`);

    const found = await step(run, 'List the hosts', (p, call) => p.listHosts(call, params.hosts));
    const waves = planWaves(found.map((h) => h.hostId), params.waves);
    const total = found.length;
    const plan = waves.map((w) => `wave ${w.number}: ${w.hostIds.length} host(s), to ${w.percent}%`).join('; ');
    await run.timeline.record('note', `Plan for ${patchId}: ${plan || 'no host matches the selector'}`, { data: { patchId, waves, slo, bake } });
    if (waves.length === 0) return `${patchId}: no host matches the selector; nothing patched`;

    let patched = 0;
    for (const wave of waves) {
      const n = wave.number;
      compensate(run, `Roll back wave ${n}`, (p, call) => p.rollbackPatch(call, patchId, wave.hostIds), 'any');
      const applied = await step(run, `Patch wave ${n}`, (p, call) => p.applyPatch(call, patchId, wave.hostIds), { timeout: '10m' });
      patched += applied.patched.length;
      if (applied.failed.length > 0) {
        const which = applied.failed.map((f) => `${f.hostId} (${f.error})`).join(', ');
        await run.timeline.record('note', `Wave ${n}: ${applied.failed.length} host(s) not patched: ${which}`, { data: { wave: n, failed: applied.failed } });
      }

      const bakeUntil = new Date(Date.now() + durationMs(bake)).toISOString();
      await run.timeline.record('note', `Wave ${n} (${wave.hostIds.length} host(s)) bakes for ${bake}, until ${bakeUntil}`, { data: { wave: n, bake, bakeUntil } });
      run.state.currentStep = `Bake wave ${n}`;
      await run.sleep(durationMs(bake));

      const reading = await step(run, `Check ${slo.sli} on wave ${n}`, (p, call) => p.querySli(call, { sli: slo.sli, hostIds: wave.hostIds, window: bake }));
      if (reading.value > slo.max) {
        const breach = `${slo.sli} ${reading.value} > ${slo.max} on wave ${n}`;
        await run.timeline.record('note', `SLO breached: ${breach}. Rolling back every patched wave.`, { data: { wave: n, reading, slo } });
        await run.raiseSeverity('high', `${patchId} breached its SLO (${breach})`);
        const undone = await rollBackEveryWave(run, `SLO breached on wave ${n}`);
        const to = input.requestedBy ?? run.policies!.fallback.page;
        await bestEffort(run, `Tell ${to}: ${patchId} rolled back`, (p, call) =>
          p.notify(call, { to, kind: 'notify', subject: `${patchId} rolled back: SLO breached`, body: `Incident ${input.incidentId}: ${breach}. Rolled back: ${undone.join(', ')}.` }),
        );
        return `${patchId}: SLO breached (${breach}); rolled back ${undone.length} wave(s), no host keeps the patch`;
      }
      await run.timeline.record('note', `Wave ${n} healthy: ${slo.sli} ${reading.value} ≤ ${slo.max}`, { data: { wave: n, reading, slo } });

      const next = waves[n]; // waves are numbered from 1: this is wave n + 1
      if (!next) break;
      const widen = await approval(run, {
        gate: 'widen-wave',
        id: `widen-wave-${next.number}`,
        step: `Widen to wave ${next.number} (${next.hostIds.length} hosts)`,
        summary: `Patch ${next.hostIds.length} more host(s) with ${patchId}, up to ${next.percent}% of ${total}; waves 1–${n} kept ${slo.sli} ≤ ${slo.max}.`,
      });
      if (!widen.approved) return `${patchId}: stopped after wave ${n} (widening not approved); ${patched} of ${total} host(s) keep the patch`;
    }
    return `${patchId}: all ${waves.length} wave(s) healthy; ${patched} of ${total} host(s) patched`;
  },
});
