import { patched } from '@temporalio/workflow';
import { z } from 'zod';
import { humanDuration } from '../../lib/duration';
import type { RotationResult } from '../../lib/providers/capabilities';
import { approval, bestEffort, definePlaybook, step, type PlaybookRun } from '../kit';
import { describeLeak } from './leak';
import { closeGitHubAlert, pageUnknownCredential, readLeakFromGitHub, rotateOrWarn } from './support';

/** Changes to running logic, for patched(): histories recorded before a change replay without it. */
const PATCH = {
  /** GitHub's webhooks carry no secret: when the door could not read it, the playbook does. */
  readsGitHubSecret: 'secret-leak-reads-github-secret',
  /** The GitHub alert a revoked credential came from is closed as revoked. */
  closesGitHubAlert: 'secret-leak-closes-github-alert',
} as const;

const hex = z.string().regex(/^[0-9a-f]{16,128}$/, 'must be the hex fingerprint Palisade showed for the secret');
const gates = ['revoke-credential'] as const;
const steps = [
  'Read the leaked secret from GitHub',
  'Find owner and scope',
  'Revoke the credential',
  'Close the GitHub alert',
  'Rotate and update dependents',
  'Search usage in the exposure window',
  'Notify the owner',
  'Page {page}: {why}',
] as const;

/**
 * By hand: what leaked (type, fingerprint, last four), from when, and how sure. From an
 * alert: nothing; the opening alert says what leaked (leak.ts).
 */
const params = z
  .object({
    type: z.string().min(1).optional(),
    fingerprint: hex.optional(),
    last4: z.string().min(1).max(4).optional(),
    /** When the secret became public (default: when the alert saw it). */
    exposedAt: z.iso.datetime({ offset: true }).optional(),
    /** How sure the detector is that this is a live secret: only `high` is revoked without asking. */
    confidence: z.enum(['high', 'medium', 'low']).default('medium'),
  })
  .strict();

/** A secret-leak run, as its helpers (leak.ts, support.ts) take it. */
export type LeakRun = PlaybookRun<(typeof gates)[number], (typeof steps)[number]>;
export type LeakParams = z.output<typeof params>;

/**
 * Secret leak — a credential turned up where it must not be (GitHub secret scanning, a
 * scanner, a responder). It is known only by type, fingerprint and last four characters.
 * 0. GitHub could not tell the door the secret in time: read it from GitHub now (fingerprint
 *    only); still unreachable → say what is missing, page security and close.
 * 1. Find the credential by fingerprint: owner, scope, dependents, shared or not.
 *    No store knows it → page security and close: a human must find it.
 * 2. Revoke it: at once when the detector is sure (confidence high) and nobody else uses
 *    it (and the run came from an alert, not a responder's hand); otherwise an approver
 *    decides. Record the time from detection to revocation. Close the GitHub alert it came
 *    from as revoked (best effort).
 * 3. Rotate: issue a replacement and hand it to every dependent (only once revoked).
 * 4. Search its use during the exposure window (e.g. CloudTrail); unusual use → critical.
 * 5. Tell the owner.
 * 6. Close with a summary: revoked or still live, rotated, uses found, time to revoke.
 * Cancelled or failed: nothing is undone (a revoked credential cannot be restored).
 */
export default definePlaybook({
  name: 'secret-leak',
  description: 'Find the leaked credential by fingerprint, revoke it (at once when sure and not shared, else after approval), rotate, search its use, notify the owner.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it may wait at the revoke gate, or for a responder after a failed step: an open run meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  categories: ['secret-leak'],
  params,
  manualStart: {
    requires: ['type', 'fingerprint', 'last4'],
    entity: (p) => ({ kind: 'credential', key: `secret:${p.fingerprint}`, display: `${p.type} …${p.last4}` }),
    title: (p) => `Leaked ${p.type} …${p.last4}`,
  },
  // An alert's run starts from what the alert says leaked (leak.ts).
  readsFirstAlert: true,
  gates,
  steps,

  async run(run, params) {
    const { input } = run;

    // The opening read the alert (readsFirstAlert): no activity of its own before the first step.
    const source = await describeLeak(input, params, run);
    let leak = source.leak;
    if (!leak && source.github && patched(PATCH.readsGitHubSecret)) {
      const read = await readLeakFromGitHub(run, { ...source, github: source.github });
      if (typeof read === 'string') return read;
      leak = read;
    }
    const found = leak;
    const credential = found ? await step(run, 'Find owner and scope', (p, call) => p.lookupCredential(call, found.ref)) : null;
    if (!leak || !credential) return pageUnknownCredential(run, leak);

    const name = `${leak.ref.type} …${leak.ref.last4}`;
    const where = `${name} (${credential.credentialId}, owner ${credential.owner}${credential.shared ? ', shared' : ''}, scope ${credential.scope.join(', ') || 'none'})`;
    const dependents = credential.dependents.join(', ') || 'no known dependents';
    await run.setStatus('responding', `responding on ${where}`);

    // Started by hand: a second person approves (no revocation on one person's word).
    const sure = leak.confidence === 'high' && !credential.shared && !run.handStarted();
    const gate = sure
      ? undefined
      : await approval(run, {
          gate: 'revoke-credential',
          step: `Revoke ${name}`,
          summary: `Revoke ${where} now (confidence ${leak.confidence}). Dependents lose access until the replacement reaches them: ${dependents}.`,
        });
    const revoked = gate === undefined || gate.approved;
    let revokedAfterMs: number | undefined;
    let rotation: RotationResult | undefined;
    if (revoked) {
      await step(run, 'Revoke the credential', (p, call) => p.revokeCredential(call, credential.credentialId, `Palisade incident ${input.incidentId}: ${input.title}`));
      revokedAfterMs = Date.now() - Date.parse(input.detectedAt);
      run.state.results!.detectionToRevocationMs = revokedAfterMs;
      await run.setStatus('contained', `${name} revoked`);
      await run.timeline.record('note', `${name} revoked ${humanDuration(revokedAfterMs)} after detection`, { data: { detectionToRevocationMs: revokedAfterMs } });
      if (source.github && patched(PATCH.closesGitHubAlert)) await closeGitHubAlert(run, source.github);
      rotation = await rotateOrWarn(run, credential);
    } else {
      const why = gate.decidedBy === 'fallback' ? 'nobody approved it in time' : 'the approvers denied it';
      await run.timeline.record('step.skipped', `${name} was not revoked (${why}): the credential is still live`, { data: { step: 'Revoke the credential' } });
    }

    const window = { from: leak.exposedAt, to: new Date().toISOString() };
    const usage = await step(run, 'Search usage in the exposure window', (p, call) => p.findCredentialUsage(call, credential.credentialId, window));
    const unusual = usage.filter((u) => u.unusual);
    if (unusual.length > 0) {
      const from = [...new Set(unusual.map((u) => u.sourceIp))].join(', ');
      await run.raiseSeverity('critical', `${unusual.length} unusual use(s) of ${name} since it leaked, from ${from}`);
    }
    const used = `${usage.length} use(s) since ${window.from}${unusual.length ? `, ${unusual.length} unusual` : ''}`;

    const state = revoked ? `revoked ${humanDuration(revokedAfterMs!)} after detection` : 'NOT revoked: the credential is still live';
    await bestEffort(run, 'Notify the owner', (p, call) =>
      p.notify(call, {
        to: credential.owner,
        kind: 'notify',
        subject: `Your credential ${name} leaked`,
        body: [
          `${input.title} (incident ${input.incidentId}).`,
          `${credential.credentialId}: ${state}.`,
          rotation ? `Replaced by ${rotation.newCredentialId}, handed to ${rotation.updatedDependents.join(', ') || 'no dependents'}.` : 'Not rotated.',
          `${used}.`,
        ].join('\n'),
      }),
    );

    return [
      `${name} (${credential.credentialId}, owner ${credential.owner}): ${state}`,
      rotation ? `rotated to ${rotation.newCredentialId}` : 'not rotated',
      used,
    ].join('; ');
  },
});
