import type { IncidentProjection, IncidentStatus } from '../../lib/domain/incident';
import type { TimelineActivities } from '../timeline/timeline.activities';
import type { AlertDetails, PlaybookActivities, RuleAssignment } from './playbook.activities';

/** What a run learns as it opens its incident (workflows/shared/incident-run.ts `open`). */
export type OpenedIncident =
  /** The incident closed before this run began (a signal sent just before the close started it): nothing was written. */
  | { closed: 'resolved' | 'cancelled' }
  | {
      closed?: undefined;
      /** The timeline's last sequence as the run found it (the input's may be older). */
      timelineSequence: number;
      /** True: the incident's row was written by this run (a new incident), false: it was open already (a reopen). */
      created: boolean;
      /** Whom runbooks/assignment.yaml gave the new incident to, if anyone. */
      assigned: RuleAssignment | null;
      policies: Awaited<ReturnType<PlaybookActivities['loadApprovalPolicies']>>;
      /** The alert the run was asked to read as it opens (`firstAlertId`): null when it is not stored; absent when not asked. */
      firstAlert?: AlertDetails | null;
    };

/**
 * Opening an incident in one activity (PATCH.timelineHeld): what a new run used to do in four,
 * each a workflow task of its own — the check that the incident is still open, its row (with
 * its page and ticket queued), its owner by the assignment rules, and its playbook's approval
 * policies. Retried as a whole, each part lands once: the row is inserted once, an incident
 * that has an owner is not assigned again, and the reads change nothing. With `firstAlertId` it
 * also reads the alert that opened the incident, for a playbook whose body starts from it
 * (PATCH.openingReadsAlert: one activity and one workflow task fewer before its first step).
 */
export function createOpeningActivities(timeline: Pick<TimelineActivities, 'beginRun' | 'recordIncident'>, support: Pick<PlaybookActivities, 'assignOnOpen' | 'loadApprovalPolicies' | 'loadAlert'>) {
  return {
    async openIncident(open: { incident: IncidentProjection; timelineSequence: number; assign: boolean; firstAlertId?: string }): Promise<OpenedIncident> {
      const policies = await support.loadApprovalPolicies(open.incident.playbook);
      const found = await timeline.beginRun(open.incident.id);
      if (isClosed(found.status)) return { closed: found.status };
      const created = Math.max(found.timelineSequence, open.timelineSequence) === 0;
      if (created) await timeline.recordIncident(open.incident);
      const assigned = created && open.assign ? await support.assignOnOpen(open.incident.id) : null;
      const firstAlert = open.firstAlertId ? { firstAlert: await support.loadAlert(open.firstAlertId) } : {};
      return { timelineSequence: found.timelineSequence, created, assigned, policies, ...firstAlert };
    },
  };
}

export type OpeningActivities = ReturnType<typeof createOpeningActivities>;

function isClosed(status: IncidentStatus | null): status is 'resolved' | 'cancelled' {
  return status === 'resolved' || status === 'cancelled';
}
