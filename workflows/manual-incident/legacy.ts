import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TimelineActivities } from '../../activities/timeline/timeline.activities';
import { RETRY } from '../shared/retry';
import { TimelineRecorder } from '../shared/timeline';
import { MANUAL_INCIDENT, type ManualIncidentInput } from './shared';

const { recordIncident } = proxyActivities<TimelineActivities>({
  startToCloseTimeout: '10s',
  retry: RETRY.projection,
});

/**
 * A hand-reported incident as it ran before one lifecycle: recorded, then the run ended, so
 * nothing could resolve or cancel it (workflows/manual-incident/playbook.ts runs it now on
 * the runner every playbook uses). Kept, unchanged, for histories recorded before.
 *
 * 1. Record the incident in the projection.
 * 2. Put "incident created" on its timeline.
 */
export async function legacyManualIncident(input: ManualIncidentInput): Promise<void> {
  const timeline = new TimelineRecorder(input.incidentId);

  await recordIncident({
    id: input.incidentId,
    workflowId: workflowInfo().workflowId,
    title: input.title,
    severity: input.severity,
    status: 'open',
    playbook: MANUAL_INCIDENT.playbook,
    playbookVersion: MANUAL_INCIDENT.version,
    entity: input.entity,
    detectedAt: input.detectedAt,
  });

  await timeline.record('incident.created', `Incident reported by ${input.reportedBy}: ${input.title}`, {
    actor: input.reportedBy,
    data: { severity: input.severity, entity: input.entity },
  });
}
