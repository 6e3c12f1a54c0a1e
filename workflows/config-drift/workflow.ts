import { ApplicationFailure } from '@temporalio/workflow';
import { describeDrift } from '../../lib/drift';
import { approval, type ApprovalOutcome } from '../shared/approval-gate';
import type { PlaybookInput } from '../shared/input';
import { runPlaybook, type PlaybookOutcome } from '../shared/playbook';
import { step } from '../shared/steps';
import { CONFIG_DRIFT, DRIFT_ACTIONS, type ConfigDriftParams, type DriftAction } from './shared';

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
export async function configDrift(input: PlaybookInput): Promise<PlaybookOutcome> {
  return runPlaybook(input, CONFIG_DRIFT, async (run) => {
    const id = (input.params as ConfigDriftParams | undefined)?.resourceId ?? input.entity.key;

    const drift = await step(run, 'Compare with the baseline', (p, call) => p.compareWithBaseline(call, id));
    if (drift.verdict === 'none') return `${id}: no drift, it matches its baseline`;
    const found = `${drift.changes.length} change(s), ${drift.relevant} security-relevant: ${describeDrift(drift)}`;
    await run.timeline.record('note', `Drift on ${id}: ${found}`, { data: { resourceId: id, ...drift } });
    await run.setStatus('acknowledged', `drift on ${id}`);

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
      run.compensate(`Release ${id}`, (p, call) => p.releaseResource(call, id, 'incident cancelled'), 'cancel');
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
  });
}

/** Who accepted the drift, for the provider's record. */
function approvers(decision: ApprovalOutcome | undefined): string {
  const names = decision?.gate.votes.filter((v) => v.decision === 'approve').map((v) => v.approverId) ?? [];
  return names.length > 0 ? names.join(', ') : 'palisade (approval fallback)';
}
