import { z } from 'zod';
import { approval, bestEffort, compensate, definePlaybook, step } from '../kit';

/** Whom to tell when the directory names no owner. */
const NO_OWNER = 'secops-oncall';

/**
 * Compromised identity — an account shows signs of takeover (GuardDuty IAM findings, Sentinel
 * sign-in risk, a generic alert of category `identity`).
 * 1. Look the account up: owner, groups, policies, MFA, whether it is an administrator.
 * 2. Revoke its sessions and deactivate its long-lived keys, at once: whoever holds them is out.
 * 3. Disable it, once an approver agrees (never the person who started the run); an
 *    administrator, or an account nobody knows, needs the critical quorum (two approvers).
 * 4. Force a credential reset: the password stops working and is set anew through the owner.
 * 5. Tell the owner what was done.
 * 6. Close with a summary.
 * Cancelled after the disable (a false positive): the account is enabled again, once another
 * approver agrees. Sessions and keys stay revoked: the owner signs in and makes new keys.
 */
export default definePlaybook({
  name: 'compromised-identity',
  description: 'Look the account up, revoke its sessions and keys, disable it (approval; two for administrators), force a credential reset, tell the owner.',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it waits at the disable gate for people: an open run meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  categories: ['identity'],
  params: z
    .object({
      /** The account as the identity provider names it: an IAM user name or ARN, a user principal name. */
      account: z.string().min(1),
    })
    .strict(),
  fromAlert: (entity) => ({ account: entity.key }),
  manualStart: {
    entity: (p) => ({ kind: 'account', key: p.account, display: p.account }),
    title: (p) => `Suspected takeover of ${p.account}`,
  },
  contains: true,
  gates: ['disable-account'],
  steps: ['Look up the account', 'Revoke sessions', 'Deactivate keys', 'Disable the account', 'Enable the account', 'Force a credential reset', 'Notify the owner'],

  async run(run, params) {
    const { input } = run;
    const why = `Palisade incident ${input.incidentId}: ${input.title}`;

    const account = await step(run, 'Look up the account', (p, call) => p.lookupAccount(call, params.account));
    const id = account.accountId;
    const privileged = account.privileged ? `privileged: ${account.privilegedBy.join(', ')}` : 'not privileged';
    await run.setStatus('responding', `responding on ${account.displayName} (${id}, ${privileged}, owner ${account.owner}, MFA ${account.mfa})`);

    const sessions = await step(run, 'Revoke sessions', (p, call) => p.revokeSessions(call, id, why));
    const keys = await step(run, 'Deactivate keys', (p, call) => p.deactivateAccessKeys(call, id, why));

    const decision = await approval(run, {
      gate: 'disable-account',
      step: `Disable ${id}`,
      summary: `Block every sign-in and request as ${account.displayName} (${id}, ${privileged}) until the owner has a new credential. Sessions before ${sessions.revokedBefore} and ${keys.deactivated.length} key(s) are already revoked.`,
      critical: account.privileged || run.state.severity === 'critical',
    });
    if (decision.approved) {
      // Registered first: a cancel while the disable is under way still enables the account.
      compensate(run, 'Enable the account', (p, call) => p.enableAccount(call, id, `incident ${input.incidentId} cancelled`), 'cancel');
      await step(run, 'Disable the account', (p, call) => p.disableAccount(call, id, why));
      await run.setStatus('contained', `${id} disabled; sessions and keys revoked`);
    } else {
      await run.timeline.record('step.skipped', `Disabling ${id} was not approved: it stays enabled, its sessions and keys revoked; watch it closely`, { data: { step: 'Disable the account' } });
    }

    const reset = await step(run, 'Force a credential reset', (p, call) => p.forceCredentialReset(call, id, why));

    const owner = account.owner === 'unknown' ? NO_OWNER : account.owner;
    await bestEffort(run, 'Notify the owner', (p, call) =>
      p.notify(call, {
        to: owner,
        kind: 'notify',
        subject: `Security incident on account ${id}`,
        body: [
          input.title,
          `Sessions issued before ${sessions.revokedBefore} were ended; ${keys.deactivated.length ? `keys ${keys.deactivated.join(', ')} were deactivated` : 'it had no active keys'}.`,
          decision.approved ? 'The account is disabled until a new credential is set.' : 'The account was not disabled.',
          reset.reset ? 'Its password was reset: set a new one through the help desk.' : `No password was reset (${reset.method}).`,
        ].join('\n'),
      }),
    );

    return [
      `${id}: sessions revoked`,
      `${keys.deactivated.length} key(s) deactivated`,
      decision.approved ? 'disabled' : 'not disabled (not approved)',
      reset.reset ? 'password reset' : 'no password to reset',
    ].join('; ');
  },
});
