import { sleep } from '@temporalio/workflow';
import { durationMs } from '../../lib/duration';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { approval } from '../shared/approval-gate';
import type { PlaybookInput } from '../shared/input';
import { runPlaybook, type PlaybookOutcome } from '../shared/playbook';
import { bestEffort, step, StepFailed } from '../shared/steps';
import { rollBackEveryWave } from './rollback';
import { canaryParams, paramsProblem, PATCH_CANARY } from './shared';
import { planWaves } from './waves';

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
export async function patchCanary(input: PlaybookInput): Promise<PlaybookOutcome> {
  return runPlaybook(input, PATCH_CANARY, async (run) => {
    const params = canaryParams(input.params);
    const problem = paramsProblem(params);
    if (problem) throw new StepFailed('Read the parameters', ProviderErrorType.Invalid, 1, problem);
    const { patchId, slo, bake } = params;
    await run.setStatus('acknowledged', `rolling ${patchId} out in waves (${params.waves.join('% → ')}%)`);

    const found = await step(run, 'List the hosts', (p, call) => p.listHosts(call, params.hosts));
    const waves = planWaves(found.map((h) => h.hostId), params.waves);
    const total = found.length;
    const plan = waves.map((w) => `wave ${w.number}: ${w.hostIds.length} host(s), to ${w.percent}%`).join('; ');
    await run.timeline.record('note', `Plan for ${patchId}: ${plan || 'no host matches the selector'}`, { data: { patchId, waves, slo, bake } });
    if (waves.length === 0) return `${patchId}: no host matches the selector; nothing patched`;

    let patched = 0;
    for (const wave of waves) {
      const n = wave.number;
      run.compensate(`Roll back wave ${n}`, (p, call) => p.rollbackPatch(call, patchId, wave.hostIds), 'any');
      const applied = await step(run, `Patch wave ${n}`, (p, call) => p.applyPatch(call, patchId, wave.hostIds), { timeout: '10m' });
      patched += applied.patched.length;
      if (applied.failed.length > 0) {
        const which = applied.failed.map((f) => `${f.hostId} (${f.error})`).join(', ');
        await run.timeline.record('note', `Wave ${n}: ${applied.failed.length} host(s) not patched: ${which}`, { data: { wave: n, failed: applied.failed } });
      }

      const bakeUntil = new Date(Date.now() + durationMs(bake)).toISOString();
      await run.timeline.record('note', `Wave ${n} (${wave.hostIds.length} host(s)) bakes for ${bake}, until ${bakeUntil}`, { data: { wave: n, bake, bakeUntil } });
      run.state.currentStep = `Bake wave ${n}`;
      await sleep(durationMs(bake));

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
  });
}
