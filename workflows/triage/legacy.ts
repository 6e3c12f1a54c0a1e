import { condition, continueAsNew, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { incidentSeverity, worse } from '../../lib/domain/incident';
import { ALERT_SEVERITIES } from '../../lib/intake/alert';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { alertsMergedSignal, resolveSignal, stateQuery, type AlertBatch, type IncidentState, type ResolveRequest } from '../shared/messages';
import { RETRY } from '../shared/retry';
import { TimelineRecorder } from '../shared/timeline';
import type { TriageBatch, TriageInput } from './shared';

const { recordIncident, setIncidentStatus, beginRun, closeIncident } = proxyActivities<TimelineActivities>({
  startToCloseTimeout: '10s',
  retry: RETRY.projection,
});

/** Changes to running logic, for patched(): histories recorded before a change replay without it. */
const PATCH = {
  searchAttributesFollowMerges: 'triage-search-attributes-follow-merges',
  /** As in workflows/shared/incident-run.ts: a run for an incident that already closed ends without acting. */
  runChecksIncident: 'run-checks-its-incident',
  /** As in workflows/shared/incident-run.ts: closing hands unrecorded inbox rows back, to reopen the incident. */
  closeHandsBackLateAlerts: 'close-hands-back-late-alerts',
  /** As in workflows/shared/incident-run.ts: an earlier incident's late batch is not the next incident. */
  staleBatchesIgnored: 'stale-batches-ignored',
} as const;

/** Continue as new well before Temporal's history limits (50k events, 10k signals). */
const MAX_HISTORY_EVENTS = 10_000;

/**
 * Triage as it ran before one lifecycle (workflows/triage/playbook.ts runs it now on the
 * same runner as every playbook). Kept, unchanged, for runs started before that change:
 * their histories replay only on this code.
 *
 * Triage — every routed alert lands here until its own playbook exists.
 * 1. Open the incident (projection + "incident created" on the timeline).
 * 2. Gather alerts the door merges in, one timeline entry per batch.
 * 3. Wait for a responder to resolve it.
 */
export async function legacyTriage(input: TriageInput): Promise<void> {
  const state: IncidentState = input.carried?.state ?? {
    incidentId: input.incidentId,
    status: 'open',
    alertCount: 0,
    firstSeen: null,
    lastSeen: null,
    sources: [],
    maxSeverity: 'info',
  };
  const timeline = new TimelineRecorder(input.incidentId, input.carried?.timelineSequence ?? input.timelineSequence ?? 0);
  let lastInboxId = input.carried?.lastInboxId ?? 0;
  const pending: AlertBatch[] = [...(input.initialBatches ?? [])];
  /** Batches for the entity's next incident, arriving while this one closes. */
  const next: TriageBatch[] = [];
  let resolution: ResolveRequest | undefined;
  let closed = false;
  const newestInboxId = () => Math.max(lastInboxId, ...pending.map((b) => b.lastInboxId));

  setHandler(alertsMergedSignal, (batch) => {
    if (batch.incidentId !== input.incidentId) {
      if (batch.lastInboxId <= newestInboxId() && patched(PATCH.staleBatchesIgnored)) return;
      next.push(batch as TriageBatch);
    } else if (batch.lastInboxId > lastInboxId && !closed) pending.push(batch);
  });
  setHandler(resolveSignal, (request) => {
    resolution ??= request;
  });
  setHandler(stateQuery, () => state);

  if (!input.carried && patched(PATCH.runChecksIncident)) {
    const found = await beginRun(input.incidentId);
    if (found.status === 'resolved' || found.status === 'cancelled') return handOver(next);
    timeline.continueFrom(found.timelineSequence);
  }
  if (!input.carried && timeline.sequence > 0) {
    await timeline.record('incident.reopened', `Reopened by a new alert from ${input.source}`, {
      actor: input.source,
      data: { entityKey: input.entityKey },
    });
  } else if (!input.carried) {
    await recordIncident({
      id: input.incidentId,
      workflowId: workflowInfo().workflowId,
      title: input.title,
      severity: input.severity,
      status: 'open',
      playbook: input.playbook,
      playbookVersion: input.playbookVersion,
      entity: input.entityKey,
      detectedAt: input.detectedAt,
    });
    await timeline.record('incident.created', `Incident opened from ${input.source}: ${input.title}`, {
      actor: input.source,
      data: { entity: input.entity, entityKey: input.entityKey, severity: input.severity },
    });
  }

  /** Records the batches waiting for this incident, one timeline entry each. */
  const recordPending = async () => {
    while (pending.length > 0) {
      const batch = pending.shift()!;
      if (batch.lastInboxId <= lastInboxId) continue;
      lastInboxId = batch.lastInboxId;
      const before = { severity: state.maxSeverity, sources: state.sources.length };
      merge(state, batch);
      if (patched(PATCH.searchAttributesFollowMerges) && (state.maxSeverity !== before.severity || state.sources.length !== before.sources)) {
        // Keep the run findable as the incident escalates or gains sources.
        upsertSearchAttributes([
          { key: SEARCH_ATTRIBUTE.severity, value: worse(incidentSeverity(state.maxSeverity), input.severity) },
          { key: SEARCH_ATTRIBUTE.source, value: state.sources },
        ]);
      }
      await timeline.record('alerts.merged', `${batch.count} alert(s) from ${batch.sources.join(', ')}`, {
        actor: 'palisade',
        data: { ...batch, totalAlerts: state.alertCount },
      });
    }
  };

  for (;;) {
    await condition(() => pending.length > 0 || resolution !== undefined);
    await recordPending();
    if (resolution) break;
    if (workflowInfo().historyLength > (input.historyLimit ?? MAX_HISTORY_EVENTS) || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof legacyTriage>({ ...input, carried: { state, timelineSequence: timeline.sequence, lastInboxId } });
    }
  }

  state.status = 'resolved';
  await timeline.record('incident.resolved', `Resolved by ${resolution.actor}: ${resolution.reason}`, {
    actor: resolution.actor,
    data: { reason: resolution.reason, totalAlerts: state.alertCount },
  });
  // Alerts merged while it was resolving still belong to it: keep them on its timeline.
  await recordPending();
  // Last: once the projection says resolved, the door opens a new incident for this entity.
  if (patched(PATCH.closeHandsBackLateAlerts)) {
    closed = true;
    await closeIncident({ incidentId: input.incidentId, status: 'resolved', at: new Date().toISOString(), recordedInboxId: lastInboxId, runId: workflowInfo().runId });
  } else {
    await setIncidentStatus(input.incidentId, 'resolved', new Date().toISOString());
    await recordPending();
  }
  await handOver(next);
}

/**
 * Alerts for the entity's next incident can reach this run while it closes (same workflow
 * id): hand them to a new run for that incident rather than drop them.
 */
async function handOver(next: TriageBatch[]): Promise<void> {
  if (next.length === 0) return;
  const incoming = next[0];
  await continueAsNew<typeof legacyTriage>({
    ...incoming.start,
    initialBatches: next.filter((b) => b.incidentId === incoming.incidentId),
  });
}

function merge(state: IncidentState, batch: AlertBatch): void {
  state.alertCount += batch.count;
  state.firstSeen ??= batch.firstSeen;
  state.lastSeen = batch.lastSeen;
  state.sources = [...new Set([...state.sources, ...batch.sources])];
  if (ALERT_SEVERITIES.indexOf(batch.maxSeverity) > ALERT_SEVERITIES.indexOf(state.maxSeverity)) {
    state.maxSeverity = batch.maxSeverity;
  }
}
