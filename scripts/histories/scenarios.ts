// Scenarios of `npm run histories:record`: each records one history, `<name>.json`, in
// test/histories/. Add one by adding an entry here.
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../../lib/intake/routing';
import hostCompromise from '../../workflows/host-compromise/playbook';
import manualIncident from '../../workflows/manual-incident/playbook';
import triage from '../../workflows/triage/playbook';
import type { PlaybookInput } from '../../workflows/shared/input';
import { Capability } from '../../lib/providers/capabilities';
import { MANUAL_INCIDENT, manualIncidentWorkflowId, type ManualIncidentInput } from '../../workflows/manual-incident/shared';
import { alertsMergedSignal, cancelSignal, resolveSignal, slackClickRejectedSignal, stateQuery } from '../../workflows/shared/messages';
import { batch, type Studio } from './studio';

export interface Scenario {
  name: string;
  run: (s: Studio) => Promise<void>;
}

export const SCENARIOS: Scenario[] = [
  {
    // Slack connected: the isolation request posted, carol's click refused (on the timeline),
    // alice approves from Slack, bob approves the rebuild through the API; both messages re-rendered.
    name: 'host-compromise-slack',
    run: async (s) => {
      const entity = await s.host('rec-prod-slack-1', 'production');
      const handle = await s.start('host-compromise', entity, { source: 'falco' });
      await s.gateOpen(handle, 'isolate-host');
      const { incidentId } = await handle.query(stateQuery);
      const isolation = await s.slackPosted(incidentId, 'isolate-host');
      await handle.signal(slackClickRejectedSignal, { incidentId, gateId: 'isolate-host', slackUserId: 'U0CAROL01', approverId: 'carol', code: 'not_allowed', message: "carol may not decide 'Isolate rec-prod-slack-1': it needs role approver." });
      await s.vote(handle, 'isolate-host', 'alice', 'clicked in Slack', undefined, 'U0ALICE01');
      await s.slackUpdated(isolation, 'Approved by alice');
      await s.gateOpen(handle, 'replace-host');
      const rebuild = await s.slackPosted(incidentId, 'replace-host');
      await s.vote(handle, 'replace-host', 'bob', 'rebuild it');
      await s.finish(handle);
      await s.slackUpdated(rebuild, 'Approved by bob');
      await s.save(handle);
    },
  },
  {
    // The door opens a triage incident, merges two more batches (one escalates it), a responder
    // resolves it. The committed file is from before one lifecycle (it replays on triage's legacy path).
    name: 'triage-resolved',
    run: triageResolved,
  },
  {
    // The same on one lifecycle: triage on the runner every playbook runs on.
    name: 'triage-runner-resolved',
    run: triageResolved,
  },
  {
    // Since close-after-queued-alerts: three batches and a resolve meet the run's first task
    // (a delayed start holds the signals), so its merge loop still writes batches when the
    // resolve wakes the body; the close records them first, and the timeline ends resolved.
    name: 'triage-queued-at-close',
    run: async (s) => {
      const input = s.playbookInput('triage', { kind: 'host', key: 'rec-triage-2', display: 'rec-triage-2' }, { source: 'falco' });
      const handle = await s.client.workflow.start(triage.workflowType, { workflowId: workflowIdFor('triage', input.entityKey), taskQueue: s.taskQueue, args: [input], startDelay: '2s' });
      for (const [id, count] of [[1, 1], [2, 2], [3, 3]] as const) await handle.signal(alertsMergedSignal, batch(input.incidentId, id, count, 'falco', 'high'));
      await handle.signal(resolveSignal, { reason: 'a storm of one scanner', actor: 'alice' });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A responder reports an incident by hand (POST /incidents).
    name: 'manual-incident',
    run: async (s) => {
      const incidentId = randomUUID();
      const input: ManualIncidentInput = { incidentId, title: 'Phishing mail reported', severity: 'medium', entity: null, reportedBy: 'alice', detectedAt: new Date().toISOString() };
      const handle = await s.client.workflow.start(MANUAL_INCIDENT.workflowType, { workflowId: manualIncidentWorkflowId(incidentId), taskQueue: s.taskQueue, args: [input] });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A responder reports an incident by hand as POST /incidents now starts it (a PlaybookInput on
    // the runner), an alert batch joins it, and a responder resolves it.
    name: 'manual-incident-runner-resolved',
    run: async (s) => {
      const incidentId = randomUUID();
      const input: PlaybookInput = {
        ...s.playbookInput('manual-incident', { kind: 'resource', key: incidentId, display: 'Phishing mail reported' }, { source: 'manual', requestedBy: 'alice', title: 'Phishing mail reported', severity: 'medium' }),
        incidentId,
        entityKey: `incident:${incidentId}`,
        params: {},
      };
      const handle = await s.client.workflow.start(manualIncident.workflowType, { workflowId: `manual-incident:${incidentId}`, taskQueue: s.taskQueue, args: [input] });
      await handle.signal(alertsMergedSignal, batch(incidentId, 1, 2, 'generic', 'medium'));
      await s.alertCount(handle, 2);
      await handle.signal(resolveSignal, { reason: 'mail deleted from every inbox', actor: 'bob' });
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // Critical, at the isolation gate with bob's vote, while 40 alerts merge: the run continues
    // as new at the gate (a small history limit), the next run waits there with the vote and
    // the Slack message carried; alice's vote decides; both approve the rebuild. The history is
    // the continued run's: it replays the resume.
    name: 'host-compromise-continued-at-gate',
    run: async (s) => {
      const entity = await s.host('rec-prod-can-1', 'production');
      const input = { ...s.playbookInput('host-compromise', entity, { source: 'falco', severity: 'critical' }), historyLimit: 80 };
      const handle = await s.client.workflow.start(hostCompromise.workflowType, { workflowId: workflowIdFor('host-compromise', input.entityKey), taskQueue: s.taskQueue, args: [input] });
      await s.gateOpen(handle, 'isolate-host');
      const first = (await handle.describe()).runId;
      await s.vote(handle, 'isolate-host', 'bob', 'beaconing confirmed');
      for (let n = 1; n <= 40; n++) await handle.signal(alertsMergedSignal, batch(input.incidentId, n, 1, 'falco', 'critical'));
      await s.until('the run to continue as new at the gate', async () => (await handle.describe()).runId !== first);
      await s.gateOpen(handle, 'isolate-host');
      await s.vote(handle, 'isolate-host', 'alice', 'second approver');
      await s.gateOpen(handle, 'replace-host');
      await s.vote(handle, 'replace-host', 'alice', 'rebuild it');
      await s.vote(handle, 'replace-host', 'bob', 'agreed');
      await s.finish(handle);
      await s.save(handle);
    },
  },
  {
    // A development host: isolated at once, rebuilt once the replace gate is approved.
    name: 'host-compromise-complete',
    run: developmentHostRebuilt('rec-dev-1'),
  },
  {
    // A production host: the run waits at the isolate-host gate. Exported while it waits
    // (what a worker deploy meets most often), then cancelled.
    name: 'host-compromise-open-gate',
    run: productionHostAtGate('rec-prod-1'),
  },
  {
    // Since local-projection-writes (issue 22): timeline and projection writes are local
    // activities. A development host isolated at once, the replace gate approved, resolved.
    name: 'host-compromise-local-writes-complete',
    run: developmentHostRebuilt('rec-dev-3'),
  },
  {
    // The same shape, exported while a production host's run waits at its isolate-host gate.
    name: 'host-compromise-local-writes-open-gate',
    run: productionHostAtGate('rec-prod-3'),
  },
  {
    // Since projection-activities-again (issue 22): timeline and projection writes are
    // activities again, one per event. A production host's run waiting at its isolate-host gate.
    name: 'host-compromise-activities-again-open-gate',
    run: productionHostAtGate('rec-prod-5'),
  },
  {
    // The same shape: a development host isolated at once, the replace gate approved, resolved.
    name: 'host-compromise-activities-again-complete',
    run: developmentHostRebuilt('rec-dev-5'),
  },
  {
    // Since timeline-held-for-next-write (issue 22): a step's start and success ride with the
    // run's next write (its provider call), the opening is one activity. A development host
    // isolated at once, the replace gate approved, resolved.
    name: 'host-compromise-held-complete',
    run: developmentHostRebuilt('rec-dev-4'),
  },
  {
    // The same shape, exported while a production host's run waits at its isolate-host gate.
    name: 'host-compromise-held-open-gate',
    run: productionHostAtGate('rec-prod-4'),
  },
  {
    // Since status-held-for-next-write (issue 22): a status change (responding, contained) is
    // held with its timeline entry and moves the projection with the run's next write, not in
    // an activity of its own. A development host isolated at once, the replace gate approved,
    // resolved.
    name: 'host-compromise-status-held-complete',
    run: developmentHostRebuilt('rec-dev-5'),
  },
  {
    // Since every-change-to-close-after-queued-alerts (issue 22): a run begun on a build with
    // every change of workflows/shared/patches.ts records one marker for them all (each marker
    // costs a visibility write on the server), and does not upsert the memo and search
    // attributes its start already set. Started with them as the door starts a run. A
    // development host isolated at once, the replace gate approved, resolved.
    name: 'host-compromise-every-change-complete',
    run: developmentHostRebuilt('rec-dev-6'),
  },
  {
    // The same shape, exported while a production host's run waits at its isolate-host gate.
    name: 'host-compromise-every-change-open-gate',
    run: productionHostAtGate('rec-prod-6'),
  },
  {
    // The agent never confirms the isolation: the step fails after its retries, on-call is
    // paged, and a responder cancels (the host is released once another approver agrees;
    // the committed history was recorded before that gate, and replays behind patched()).
    name: 'host-compromise-failed-cancelled',
    run: async (s) => {
      const entity = await s.host('rec-dev-2', 'development');
      await s.fleet.setFault(Capability.HostIsolation, { action: 'verify', target: entity.key, offline: true });
      const handle = await s.start('host-compromise', entity, { source: 'falco' });
      await s.until('the playbook to fail', async () => (await handle.query(stateQuery)).phase === 'failed');
      await handle.signal(cancelSignal, { reason: 'false positive: a pentest', actor: 'bob' });
      await s.gateOpen(handle, 'undo-containment');
      await s.vote(handle, 'undo-containment', 'alice', 'pentest confirmed');
      await handle.result();
      await s.save(handle);
    },
  },
  {
    // A leaked key of runbooks/fleet.yaml, by fingerprint (histories never hold a raw secret).
    name: 'secret-leak-complete',
    run: async (s) => {
      const handle = await s.startByHand('secret-leak', {
        type: 'aws_access_key_id',
        fingerprint: '38d02e06a9113906b7a34a71bd425224e86af16379df7f4b6928401a25bfd54e',
        last4: 'Q7XA',
        confidence: 'medium',
      });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
  {
    // An administrator of its own: sessions and keys revoked, the disable approved by two
    // (alice, then bob), the password reset, the owner told.
    name: 'compromised-identity-complete',
    run: async (s) => {
      await s.fleet.addAccount({ id: 'rec-admin-1', owner: 'team-platform', privileged: true, groups: ['admins'], sessions: 2, keys: [{ id: 'AKIARECORDADMIN0001' }] });
      const handle = await s.start('compromised-identity', { kind: 'account', key: 'rec-admin-1', display: 'rec-admin-1' }, { source: 'guardduty' });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
  {
    // The logs bucket of runbooks/fleet.yaml made public: drifted from its baseline.
    name: 'config-drift-complete',
    run: async (s) => {
      await s.fleet.setCurrentConfig('s3-logs', { public: true, encryption: 'aws:kms', logging: true });
      const handle = await s.startByHand('config-drift', { resourceId: 's3-logs' });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
  {
    // A harmless patch in two short waves; each widening approved.
    name: 'patch-canary-complete',
    run: async (s) => {
      const handle = await s.startByHand('patch-canary', { patchId: 'KB-2026-11', hosts: { tags: { service: 'storefront' } }, waves: [50, 100], bake: '2s' });
      await s.approveUntilDone(handle);
      await s.save(handle);
    },
  },
];

async function triageResolved(s: Studio): Promise<void> {
  const input = s.playbookInput('triage', { kind: 'host', key: 'rec-triage-1', display: 'rec-triage-1' }, { source: 'falco' });
  const handle = await s.client.workflow.signalWithStart(triage.workflowType, {
    workflowId: workflowIdFor('triage', input.entityKey),
    taskQueue: s.taskQueue,
    args: [input],
    signal: alertsMergedSignal,
    signalArgs: [batch(input.incidentId, 1, 3, 'falco', 'high')],
  });
  await s.alertCount(handle, 3);
  await handle.signal(alertsMergedSignal, batch(input.incidentId, 2, 5, 'falco', 'high'));
  await s.alertCount(handle, 8);
  await handle.signal(alertsMergedSignal, batch(input.incidentId, 3, 1, 'guardduty', 'critical'));
  await s.alertCount(handle, 9);
  await handle.signal(resolveSignal, { reason: 'a pentest, agreed with the red team', actor: 'alice' });
  await handle.result();
  await s.save(handle);
}

/** A development host's alert: isolated at once, the replace gate approved by alice, resolved. */
function developmentHostRebuilt(hostId: string): Scenario['run'] {
  return async (s) => {
    const entity = await s.host(hostId, 'development');
    const handle = await s.start('host-compromise', entity, { source: 'falco' });
    await s.gateOpen(handle, 'replace-host');
    await s.vote(handle, 'replace-host', 'alice', 'rebuild it');
    await s.finish(handle);
    await s.save(handle);
  };
}

/** A production host's run, exported while it waits at its isolate-host gate (what a worker deploy meets most often), then cancelled. */
function productionHostAtGate(hostId: string): Scenario['run'] {
  return async (s) => {
    const entity = await s.host(hostId, 'production');
    const handle = await s.start('host-compromise', entity, { source: 'falco' });
    await s.gateOpen(handle, 'isolate-host');
    await s.save(handle);
    await handle.signal(cancelSignal, { reason: 'history recorded', actor: 'bob' });
    await handle.result();
  };
}
