import { log, workflowInfo } from '@temporalio/workflow';
import type { RuleAssignment } from '../../activities/playbook/playbook.activities';
import type { IncidentProjection } from '../../lib/domain/incident';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/names';
import { opening } from './activities';
import type { IncidentRun } from './incident-run';
import { PATCH } from './patches';
import { announceMemo, announceSearchAttributes } from './visibility';

type Closed = 'resolved' | 'cancelled';

/**
 * Opens (or reopens) a run's incident: its row, its first timeline entries, its owner, the
 * run's memo and search attributes, its playbook's policies. Returns the incident's status
 * instead when it closed before this run began (a signal sent just before the close started
 * it): the run must not act on it. Runs that hold their timeline (PATCH.timelineHeld) do it in
 * one activity; older ones replay the four they made.
 */
export async function openIncident(run: IncidentRun, opts: OpenOptions = {}): Promise<Closed | undefined> {
  return run.timeline.writes === 'held' ? openInOne(run, opts) : openStepByStep(run);
}

export interface OpenOptions {
  /** The playbook starts from the alert that opened the incident: the opening reads it too (PATCH.openingReadsAlert). */
  firstAlert?: boolean;
}

async function openInOne(run: IncidentRun, opts: OpenOptions): Promise<Closed | undefined> {
  const { firstAlertId } = run.input;
  const readAlert = opts.firstAlert && firstAlertId !== undefined && run.changed(PATCH.openingReadsAlert) ? firstAlertId : undefined;
  const opened = await opening.openIncident({
    incident: projectionOf(run),
    timelineSequence: run.timeline.sequence,
    assign: run.changed(PATCH.assignmentOnOpen),
    ...(readAlert ? { firstAlertId: readAlert } : {}),
  });
  if (opened.closed) return closedAlready(run, opened.closed);
  if (readAlert && opened.firstAlert !== undefined) run.openedWith = { alertId: readAlert, alert: opened.firstAlert };
  run.timeline.continueFrom(opened.timelineSequence);
  const build = announce(run);
  if (opened.created) {
    await recordCreated(run);
    if (opened.assigned) await recordAssigned(run, opened.assigned);
  } else await recordReopened(run);
  run.policies = opened.policies;
  await recordStarted(run, build);
  return undefined;
}

async function openStepByStep(run: IncidentRun): Promise<Closed | undefined> {
  const { input } = run;
  if (run.changed(PATCH.runChecksIncident)) {
    const found = await run.projection.beginRun(input.incidentId);
    if (found.status === 'resolved' || found.status === 'cancelled') return closedAlready(run, found.status);
    run.timeline.continueFrom(found.timelineSequence);
  }
  const build = announce(run);
  if (run.timeline.sequence > 0) {
    await recordReopened(run);
  } else {
    await run.projection.recordIncident(projectionOf(run));
    await recordCreated(run);
    if (run.changed(PATCH.assignmentOnOpen)) {
      const assigned = await run.support.assignOnOpen(input.incidentId);
      if (assigned) await recordAssigned(run, assigned);
    }
  }
  run.policies = await run.support.loadApprovalPolicies(run.playbook.name);
  await recordStarted(run, build);
  return undefined;
}

function closedAlready(run: IncidentRun, status: Closed): Closed {
  log.info('incident closed before this run began: nothing to do', { incidentId: run.input.incidentId, status });
  return status;
}

function projectionOf({ input, playbook }: IncidentRun): IncidentProjection {
  return {
    id: input.incidentId,
    workflowId: workflowInfo().workflowId,
    title: input.title,
    severity: input.severity,
    status: 'open',
    playbook: playbook.name,
    playbookVersion: playbook.version,
    entity: input.entityKey,
    detectedAt: input.detectedAt,
  };
}

/**
 * The run's memo and search attributes (only what its start did not already say, on a run begun
 * with EVERY_CHANGE); returns the build it starts on (Worker Versioning; a worker without a
 * version has none).
 */
function announce({ input, playbook, begunWithEveryChange }: IncidentRun): string | undefined {
  const build = workflowInfo().currentDeploymentVersion?.buildId;
  announceMemo({ incidentId: input.incidentId, playbook: playbook.name, playbookVersion: playbook.version, ...(build ? { startedBuild: build } : {}) }, begunWithEveryChange);
  announceSearchAttributes(
    [
      { key: SEARCH_ATTRIBUTE.playbook, value: playbook.name },
      // The build running it: kept current as the run moves to a new build (TimelineRecorder).
      { key: SEARCH_ATTRIBUTE.playbookVersion, value: build ?? playbook.version },
      { key: SEARCH_ATTRIBUTE.severity, value: input.severity },
      { key: SEARCH_ATTRIBUTE.entity, value: input.entityKey },
    ],
    begunWithEveryChange,
  );
  return build;
}

async function recordReopened({ input, timeline }: IncidentRun): Promise<void> {
  await timeline.record('incident.reopened', `Reopened by a new alert from ${input.source}`, { actor: input.source, data: { entityKey: input.entityKey }, hold: true });
}

async function recordCreated(run: IncidentRun): Promise<void> {
  const { input } = run;
  const by = input.source === 'manual' ? `started by ${run.requestedBy}` : `opened from ${input.source}`;
  await run.timeline.record('incident.created', `Incident ${by}: ${input.title}`, {
    actor: input.source === 'manual' ? run.requestedBy : input.source,
    data: { entity: input.entity, entityKey: input.entityKey, severity: input.severity, params: input.params ?? {} },
    hold: true,
  });
}

/** The incident was given to whom runbooks/assignment.yaml names for it. */
async function recordAssigned({ timeline }: IncidentRun, assigned: RuleAssignment): Promise<void> {
  const from = assigned.group ? ` (group ${assigned.target}: the member with the fewest open incidents)` : '';
  await timeline.record('incident.assigned', `Assigned to ${assigned.assignee} by the assignment rule for ${assigned.matched}${from}`, {
    data: { assignee: assigned.assignee, previous: null, reason: null, rule: assigned.matched, target: assigned.target },
    hold: true,
  });
}

async function recordStarted({ playbook, timeline }: IncidentRun, build: string | undefined): Promise<void> {
  await timeline.record('playbook.started', `Playbook ${playbook.name} ${playbook.version} started${build ? ` on build ${build}` : ''}`, {
    data: { playbook: playbook.name, version: playbook.version, ...(build ? { build } : {}) },
    hold: true,
  });
}
