// The secret-leak playbook's longer moves, kept out of workflow.ts so it reads as the runbook.
import type { CredentialInfo, RotationResult } from '../../lib/providers/capabilities';
import type { IncidentRun } from '../shared/incident-run';
import { bestEffort, step, StepFailed } from '../shared/steps';
import type { Leak } from './shared';

/** No credential store knows the fingerprint: say so, page security, and close with what a human must do. */
export async function pageUnknownCredential(run: IncidentRun, leak: Leak | undefined): Promise<string> {
  const what = leak ? `${leak.ref.type} …${leak.ref.last4} (fingerprint ${leak.ref.fingerprint.slice(0, 12)})` : 'the leaked secret (no fingerprint given)';
  await run.timeline.record('step.skipped', `No credential store knows ${what}: it cannot be revoked, rotated or searched automatically`, {
    data: { step: 'Revoke the credential', fingerprint: leak?.ref.fingerprint ?? null },
  });
  const page = run.policies!.fallback.page;
  await bestEffort(run, `Page ${page}: credential not found`, (p, call) =>
    p.notify(call, {
      to: page,
      kind: 'page',
      subject: `Leaked credential not found: ${what}`,
      body: `Incident ${run.input.incidentId}: ${run.input.title}\nNo credential store knows fingerprint ${leak?.ref.fingerprint ?? '(none)'}. Find its owner, revoke and rotate it by hand.`,
    }),
  );
  return `${what} is in no credential store: a human must find its owner and revoke it`;
}

/**
 * Rotates a credential that is already revoked. If rotation gives up, the step still fails
 * (the playbook pages on-call), but the failure says the dependents may now be broken.
 */
export async function rotateOrWarn(run: IncidentRun, credential: CredentialInfo): Promise<RotationResult> {
  try {
    return await step(run, 'Rotate and update dependents', (p, call) => p.rotateCredential(call, credential.credentialId), { timeout: '2m' });
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    const dependents = credential.dependents.join(', ') || 'none known';
    throw new StepFailed(
      err.step,
      err.errorType,
      err.attempts,
      `${err.message}. ${credential.credentialId} is already revoked and has no replacement: its dependents (${dependents}) may be broken until it is rotated by hand`,
    );
  }
}
