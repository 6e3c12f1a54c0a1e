import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { describeDrift } from '../../lib/drift';
import { approval, definePlaybook, step, compensate, type ApprovalOutcome } from '../kit';

/** What the `drift-decision` gate asks an approver to choose (the `choice` of an approval). */
export const DRIFT_ACTIONS = ['revert', 'quarantine', 'accept'] as const;
export type DriftAction = (typeof DRIFT_ACTIONS)[number];

/**
 * Config drift — a resource's live configuration no longer matches its approved baseline
 * (AWS Config, Security Hub, a CSPM rule).
 * 1. Compare the live configuration with the baseline and classify each change
 *    (lib/drift.ts): security-relevant or not. No drift: close.
 * 2. Decide: security-relevant drift is reverted at once (unless a responder started the run
 *    by hand). Other drift waits for an approver to choose: revert it, quarantine the
 *    resource, or accept it as the new baseline.
 *    Denied, or nobody decided: nothing changes, and the drift stays on record.
 * 3. Apply the decision.
 * 4. Verify: after a revert or an accept, the live configuration matches the baseline
 *    (read again until it does).
 * 5. Close with the drift and what was done.
 * Settings that look like secrets show as "(changed)", never with their values.
 * Cancelled (a false positive): a quarantined resource is released (once another approver
 * agrees); a revert stays.
 */
export default definePlaybook({
  name: 'config-drift',
  description: 'Compare a resource with its baseline, classify the drift, decide (revert, quarantine or accept), apply, verify.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it waits at the decision gate for people: an open run meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  categories: ['config-drift'],
  params: z.object({ resourceId: z.string().min(1) }).strict(),
  fromAlert: (entity) => ({ resourceId: entity.key }),
  manualStart: {
    entity: (p) => ({ kind: 'resource', key: p.resourceId, display: p.resourceId }),
    title: (p) => `Configuration drift on ${p.resourceId}`,
  },
  contains: true,
  gates: ['drift-decision'],
  steps: ['Compare with the baseline', 'Quarantine {resource}', 'Release {resource}', 'Revert to the baseline', 'Accept as the new baseline', 'Verify against the baseline'],

  async run(run, { resourceId: id }) {
    const { input } = run;
    const drift = await step(run, 'Compare with the baseline', (p, call) => p.compareWithBaseline(call, id));
    if (drift.verdict === 'none') return `${id}: no drift, it matches its baseline`;
    const found = `${drift.changes.length} change(s), ${drift.relevant} security-relevant: ${describeDrift(drift)}`;
    await run.timeline.record('note', `Drift on ${id}: ${found}`, { data: { resourceId: id, ...drift } });
    await run.setStatus('responding', `drift on ${id}`);

    // Started by hand: a second person decides, even for security-relevant drift.
    const decision =
      drift.verdict === 'security' && !run.handStarted()
        ? undefined
        : await approval(run, {
            gate: 'drift-decision',
            step: `Decide on the drift of ${id}`,
            summary: `${found}. Revert it, quarantine ${id}, or accept it as the new baseline.`,
            options: [...DRIFT_ACTIONS],
            // Applies only if an operator sets this gate's fallback to `proceed` (the shipped one is
            // `deny`): then the safe choice, never "accept" on nobody's word.
            fallbackChoice: 'quarantine',
          });
    const action: DriftAction | undefined = decision === undefined ? 'revert' : decision.approved ? (decision.choice as DriftAction) : undefined;
    if (action === undefined) {
      await run.timeline.record('step.skipped', `No change to ${id} was approved: the drift remains`, { data: { step: 'Apply the decision' } });
      return `${id}: ${found}; not approved, the drift remains`;
    }

    if (action === 'quarantine') {
      // Registered first: a cancel while the quarantine is under way still releases it.
      compensate(run, `Release ${id}`, (p, call) => p.releaseResource(call, id, 'incident cancelled'), 'cancel');
      await step(run, `Quarantine ${id}`, (p, call) => p.quarantineResource(call, id, `Palisade incident ${input.incidentId}: ${input.title}`));
      await run.setStatus('contained', `${id} quarantined`);
      return `${id}: ${found}; quarantined, the drift remains in place`;
    }
    if (action === 'revert') await step(run, 'Revert to the baseline', (p, call) => p.revertConfig(call, id));
    else await step(run, 'Accept as the new baseline', (p, call) => p.acceptConfig(call, id, approvers(decision)));
    await step(run, 'Verify against the baseline', async (p, call) => {
      const left = await p.compareWithBaseline(call, id);
      if (left.verdict !== 'none') throw ApplicationFailure.retryable(`${id} still differs from its baseline at ${left.changes.map((c) => c.path).join(', ')}`, 'StillDrifted');
      return { resourceId: id, matchesBaseline: true };
    });
    if (action === 'revert') await run.setStatus('contained', `${id} reverted to its baseline and verified`);
    return `${id}: ${found}; ${action === 'revert' ? 'reverted' : 'accepted as the new baseline'} and verified`;
  },
});

/** Who accepted the drift, for the provider's record. */
function approvers(decision: ApprovalOutcome | undefined): string {
  const names = decision?.gate.votes.filter((v) => v.decision === 'approve').map((v) => v.approverId) ?? [];
  return names.length > 0 ? names.join(', ') : 'palisade (approval fallback)';
}
