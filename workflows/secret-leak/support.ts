// The secret-leak playbook's longer moves, kept out of workflow.ts so it reads as the runbook.
import type { CredentialInfo, RotationResult } from '../../lib/providers/capabilities';
import { bestEffort, RETRY, step, StepFailed } from '../kit';
import type { LeakSource } from './leak';
import type { LeakRun } from './playbook';
import type { Leak, SecretScanningAlert } from './shared';

/** No credential store knows the fingerprint: say so, page security, and close with what a human must do. */
export async function pageUnknownCredential(run: LeakRun, leak: Leak | undefined): Promise<string> {
  const what = leak ? `${leak.ref.type} …${leak.ref.last4} (fingerprint ${leak.ref.fingerprint.slice(0, 12)})` : 'the leaked secret (no fingerprint given)';
  await run.timeline.record('step.skipped', `No credential store knows ${what}: it cannot be revoked, rotated or searched automatically`, {
    data: { step: 'Revoke the credential', fingerprint: leak?.ref.fingerprint ?? null },
  });
  await pageSecurity(run, 'credential not found', `Leaked credential not found: ${what}`, `No credential store knows fingerprint ${leak?.ref.fingerprint ?? '(none)'}. Find its owner, revoke and rotate it by hand.`);
  return `${what} is in no credential store: a human must find its owner and revoke it`;
}

/**
 * The door opened the incident without the secret (GitHub did not answer in time): read it from
 * GitHub now, as type, fingerprint and last four only. When GitHub still cannot be reached, the
 * timeline says what is missing, security is paged, and the incident closes with what to do.
 */
export async function readLeakFromGitHub(run: LeakRun, source: LeakSource & { github: SecretScanningAlert }): Promise<Leak | string> {
  const ref = { repository: source.github.repository, alertNumber: source.github.alertNumber };
  const alert = `GitHub alert #${ref.alertNumber} in ${ref.repository}`;
  try {
    const secret = await step(run, 'Read the leaked secret from GitHub', (p, call) => p.describeLeakedSecret(call, ref), { retry: RETRY.provider });
    return { ref: secret, confidence: source.confidence, exposedAt: source.exposedAt };
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    await run.timeline.record(
      'step.skipped',
      `The secret of ${alert} could not be read from GitHub (${err.message}): without it no credential store can be searched, and nothing is revoked or rotated`,
      { data: { step: 'Find owner and scope', repository: ref.repository, alertNumber: ref.alertNumber, missing: 'secret', errorType: err.errorType } },
    );
    await pageSecurity(run, 'leaked secret not read', `Leaked secret not read from GitHub: ${alert}`, `The secret could not be read: ${err.message}.\nOpen ${source.github.url ?? alert}, find the credential's owner, revoke and rotate it by hand.`);
    return `the secret of ${alert} could not be read from GitHub: a human must revoke it from the alert`;
  }
}

/** The credential is revoked: close its GitHub alert as revoked. Best effort: a failure only goes on the timeline. */
export async function closeGitHubAlert(run: LeakRun, github: SecretScanningAlert): Promise<void> {
  const ref = { repository: github.repository, alertNumber: github.alertNumber };
  const comment = `Revoked by Palisade, incident ${run.input.incidentId}.`;
  const closed = await bestEffort(run, 'Close the GitHub alert', (p, call) => p.closeSecretScanningAlert(call, ref, 'revoked', comment));
  if (!closed) {
    await run.timeline.record('note', `GitHub alert #${ref.alertNumber} in ${ref.repository} is still open although the credential is revoked: close it as revoked by hand`, {
      data: { step: 'Close the GitHub alert', ...ref },
    });
  }
}

async function pageSecurity(run: LeakRun, why: string, subject: string, body: string): Promise<void> {
  const page = run.policies!.fallback.page;
  await bestEffort(run, `Page ${page}: ${why}`, (p, call) => p.notify(call, { to: page, kind: 'page', subject, body: `Incident ${run.input.incidentId}: ${run.input.title}\n${body}` }));
}

/**
 * Rotates a credential that is already revoked. If rotation gives up, the step still fails
 * (the playbook pages on-call), but the failure says the dependents may now be broken.
 */
export async function rotateOrWarn(run: LeakRun, credential: CredentialInfo): Promise<RotationResult> {
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
