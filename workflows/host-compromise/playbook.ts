import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { SEVERITIES } from '../../lib/domain/incident';
import { approval, bestEffort, compensate, definePlaybook, step } from '../kit';

/**
 * Host compromise — a host shows signs of an attacker (EDR, Falco, GuardDuty, Wazuh).
 * 1. Enrich from inventory: owner, environment, criticality.
 * 2. Preserve evidence: disk snapshot, then volatile data, before anything changes.
 * 3. Isolate: at once for non-production hosts; production, unknown or critical hosts
 *    wait for an approver, as does every host when a responder started the run by hand.
 * 4. Verify the isolation holds (the agent is asked again until it does).
 * 5. Tell the owner.
 * 6. Replace the host from its golden image, behind a second approval.
 * 7. Close with a summary.
 * New alerts for the same host are added as evidence and raise the severity a level.
 * Cancelled (a false positive): the host is released, once another approver agrees.
 */
export default definePlaybook({
  name: 'host-compromise',
  description: 'Enrich, preserve evidence, isolate (approval for production), verify, notify the owner, replace from the golden image (approval).',
  // Every run waits for people (a gate, or a responder after a failed step), so it spans deploys.
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'it waits at the isolate and replace gates for people: an open run meets deploys, so it takes the new build (changes to running logic go behind patched())' },
  categories: ['host-compromise'],
  params: z
    .object({
      /** The host id or hostname. */
      host: z.string().min(1),
      /** The image to rebuild from; default: the host's `golden-image` tag, else `golden:latest`. */
      image: z.string().min(1).optional(),
    })
    .strict(),
  fromAlert: (entity) => ({ host: entity.key }),
  manualStart: {
    entity: (p) => ({ kind: 'host', key: p.host, display: p.host }),
    title: (p) => `Suspected compromise of ${p.host}`,
  },
  contains: true,
  gates: ['isolate-host', 'replace-host'],
  steps: ['Enrich from inventory', 'Snapshot disks', 'Collect volatile data', 'Isolate the host', 'Verify isolation', 'Release the host', 'Notify the owner', 'Replace from the golden image'],

  async run(run, params) {
    const { input } = run;
    run.onMerge(async (batch) => {
      const current = run.state.severity ?? input.severity;
      const next = SEVERITIES[Math.min(SEVERITIES.indexOf(current) + 1, SEVERITIES.length - 1)];
      await run.raiseSeverity(next, `${batch.count} more alert(s) on the same host while the playbook runs`);
    });

    const host = await step(run, 'Enrich from inventory', (p, call) => p.lookupHost(call, params.host));
    const where = `${host.hostname} (${host.environment}, ${host.criticality}, owner ${host.owner})`;
    await run.setStatus('responding', `responding on ${where}`);

    const disks = await step(run, 'Snapshot disks', (p, call) => p.snapshotDisks(call, host.hostId), { timeout: '5m' });
    const volatile = await step(run, 'Collect volatile data', (p, call) => p.collectVolatile(call, host.hostId), { timeout: '5m' });

    // Started by hand: a second person approves, whatever the host (no isolation on one person's word).
    const risky = host.environment === 'production' || host.environment === 'unknown' || host.criticality === 'critical' || run.handStarted();
    const isolate = risky
      ? await approval(run, {
          gate: 'isolate-host',
          step: `Isolate ${host.hostname}`,
          summary: `Cut ${where} off the network until it is rebuilt.`,
          critical: host.criticality === 'critical' || run.state.severity === 'critical',
        })
      : undefined;
    const isolated = isolate === undefined || isolate.approved;
    if (isolated) {
      // Registered first: a cancel while the isolation is under way still releases the host.
      compensate(run, 'Release the host', (p, call) => p.releaseHost(call, host.hostId, 'incident cancelled'), 'cancel');
      await step(run, 'Isolate the host', (p, call) => p.isolateHost(call, host.hostId, `Palisade incident ${input.incidentId}: ${input.title}`));
      await step(run, 'Verify isolation', async (p, call) => {
        const check = await p.verifyIsolation(call, host.hostId);
        if (!check.isolated) throw ApplicationFailure.retryable(`${host.hostname} still reaches the network`, 'NotIsolated');
        return check;
      });
      await run.setStatus('contained', `${host.hostname} isolated and verified`);
    } else {
      await run.timeline.record('step.skipped', `Isolation of ${host.hostname} was not approved: the host stays online, watch it closely`, { data: { step: 'Isolate the host' } });
    }

    await bestEffort(run, 'Notify the owner', (p, call) =>
      p.notify(call, {
        to: host.owner,
        kind: 'notify',
        subject: `Security incident on ${host.hostname}`,
        body: `${input.title}\n${isolated ? 'The host is isolated from the network.' : 'The host was not isolated.'} Evidence: ${[...disks.artifacts, ...volatile.artifacts].join(', ')}.`,
      }),
    );

    const image = params.image ?? host.tags['golden-image'] ?? 'golden:latest';
    const rebuild = await approval(run, { gate: 'replace-host', step: `Replace ${host.hostname} from ${image}`, summary: `Destroy ${where} and start a clean one from ${image}.` });
    const replaced = rebuild.approved ? await step(run, 'Replace from the golden image', (p, call) => p.replaceHost(call, host.hostId, image), { timeout: '10m' }) : undefined;

    return [
      `${host.hostname}: evidence preserved (${disks.artifacts.length + volatile.artifacts.length} artifacts)`,
      isolated ? 'isolated' : 'not isolated (not approved)',
      replaced ? `replaced by ${replaced.replacementId} from ${image}` : 'not replaced',
    ].join('; ');
  },
});
