import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertsMergedSignal, stateQuery, type AlertBatch } from '../../workflows/shared/messages';
import { eventually } from '../support/engine';
import { gateOpen, incidentStatus, playbookTestBed, startRun, timeline, vote, type PlaybookTestBed } from '../support/playbooks';
import { gateMessage, messageUpdate, slackEngine } from '../support/slack';

const ALERTS = 20_000;
const PER_BATCH = 50;

type Bed = Pick<PlaybookTestBed, 'engine' | 'client' | 'fleet'>;

// A response playbook held at a gate while a noisy EDR keeps merging alerts: every run's
// history stays bounded (continue-as-new at a safe point), and nothing the incident held is lost.
describe('a storm on an incident waiting at a gate', () => {
  const bed = playbookTestBed();

  it(`${ALERTS.toLocaleString('en')} alerts keep every run under 2,000 events; the gate keeps its votes and the incident resolves`, { timeout: 240_000 }, async () => {
    await stormAtGate(bed);
  });
});

// The same with Slack connected: the courier following the gate's message waits beside the
// gate, and must not keep the run from handing over; the next run follows the same message on.
describe('a storm on an incident waiting at a gate followed in Slack', () => {
  const bed = slackEngine();

  it('hands over all the same, and the one request posted shows the decision', { timeout: 240_000 }, async () => {
    const { incidentId } = await stormAtGate(bed, {
      beforeStorm: async (id) => {
        await gateMessage(bed.slack, id, 'isolate-host');
      },
    });
    const requests = bed.slack.callsOf('chat.postMessage').filter((c) => (c.args.metadata as { event_payload?: { incidentId?: string; gateId?: string; template?: string } } | undefined)?.event_payload?.gateId === 'isolate-host' && (c.args.metadata as { event_payload?: { incidentId?: string } }).event_payload?.incidentId === incidentId);
    expect(requests, 'the request is posted once, not again by the continued run').toHaveLength(1);
    const posted = await gateMessage(bed.slack, incidentId, 'isolate-host');
    await messageUpdate(bed.slack, posted, 'the decision', (text) => text.includes('approved'));
  });
});

async function stormAtGate(bed: Bed, opts: { beforeStorm?: (incidentId: string) => Promise<void> } = {}): Promise<{ incidentId: string }> {
  const id = `i-${randomUUID().slice(0, 8)}`;
  await bed.fleet.addHost({ id, hostname: `prod-${id}`, owner: 'team-web', environment: 'production', criticality: 'medium', tags: { 'golden-image': 'ami-golden-7' } });
  const run = await startRun(bed.client, bed.engine, 'host-compromise', { entity: { kind: 'host', key: id, display: id }, severity: 'critical' });

  // Critical: two approvers. One votes before the storm.
  await gateOpen(run.handle, 'isolate-host');
  await opts.beforeStorm?.(run.incidentId);
  expect(await vote(run.handle, 'isolate-host', 'alice', 'approve', 'EDR is sure')).toMatchObject({ outcome: 'pending', approvals: 1, needed: 2 });

  const at = new Date().toISOString();
  for (let n = 1; n <= ALERTS / PER_BATCH; n++) {
    const batch: AlertBatch = {
      incidentId: run.incidentId,
      lastInboxId: n,
      count: PER_BATCH,
      firstSeen: at,
      lastSeen: at,
      sources: ['elastic'],
      maxSeverity: 'critical',
      evidence: [{ alertId: randomUUID(), source: 'elastic', title: 'Beacon to a known C2', severity: 'critical', fingerprint: `storm-${n}`, observedAt: at }],
    };
    await run.handle.signal(alertsMergedSignal, batch);
  }
  const stormed = await eventually(
    'every alert merged',
    async () => {
      const state = await run.handle.query(stateQuery);
      return state.alertCount === ALERTS ? state : undefined;
    },
    120_000,
  );
  // Visibility lists a run shortly after it starts: wait for the hand-overs to show.
  await eventually('the run to have continued as new during the storm', async () => ((await runsOf(bed, run.workflowId)).length > 1 ? true : undefined));
  // The gate crossed the hand-over with alice's vote: bob's is the second, and decides.
  const gate = stormed.gates?.find((g) => g.id === 'isolate-host');
  expect(gate).toMatchObject({ status: 'open', needed: 2, votes: [expect.objectContaining({ approverId: 'alice', decision: 'approve' })] });
  expect(await vote(run.handle, 'isolate-host', 'bob', 'approve', 'agreed')).toMatchObject({ outcome: 'approved' });

  await gateOpen(run.handle, 'replace-host', 60_000);
  await vote(run.handle, 'replace-host', 'alice', 'approve', 'rebuild');
  await vote(run.handle, 'replace-host', 'bob', 'approve', 'rebuild');
  await incidentStatus(bed.engine, run.incidentId, 'resolved', 60_000);

  for (const { runId, events } of await runsOf(bed, run.workflowId)) expect(events, `run ${runId}`).toBeLessThan(2_000);
  const events = await timeline(bed.engine, run.incidentId);
  const merged = events.filter((e) => e.type === 'alerts.merged');
  expect(merged).toHaveLength(ALERTS / PER_BATCH);
  expect(merged.at(-1)?.data.totalAlerts).toBe(ALERTS);
  expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step)).toContain('Isolate the host');
  // The run's last word is the resolution; the paging sender's notices (the page resolved, the
  // Slack post updated) are written from outside the run and may land after it.
  expect(events.filter((e) => !e.type.startsWith('notice.')).at(-1)?.type).toBe('incident.resolved');
  return { incidentId: run.incidentId };
}

/** Every run of the workflow id, oldest first, with its history's length. */
async function runsOf(bed: Bed, workflowId: string): Promise<{ runId: string; events: number }[]> {
  const runs: { runId: string; events: number; started: number }[] = [];
  for await (const w of bed.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await bed.client.workflow.getHandle(workflowId, w.runId).fetchHistory();
    runs.push({ runId: w.runId, events: history.events?.length ?? 0, started: w.startTime.getTime() });
  }
  return runs.sort((a, b) => a.started - b.started).map(({ runId, events }) => ({ runId, events }));
}
