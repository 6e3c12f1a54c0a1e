/** Event types a timeline can hold. */
export const TIMELINE_EVENT_TYPES = [
  'incident.created',
  'incident.reopened',
  'incident.severity-raised',
  /** A responder took the incident (POST /incidents/:id/acknowledge); its page is acknowledged too. */
  'incident.acknowledged',
  /** Who owns the incident now (POST /incidents/:id/assign, take, unassign; or the assignment rule when it opened). */
  'incident.assigned',
  /** A responder's note (POST /incidents/:id/notes): Markdown kept as text, redacted, append-only. */
  'incident.note',
  /** Tags, severity or title changed by hand (PATCH /incidents/:id), with who and why. */
  'incident.updated',
  'incident.status-changed',
  'incident.resolved',
  'incident.cancelled',
  'alerts.merged',
  'playbook.started',
  'playbook.completed',
  'playbook.failed',
  'step.started',
  'step.succeeded',
  'step.retrying',
  'step.failed',
  'step.skipped',
  'gate.requested',
  'gate.vote',
  'gate.decided',
  'gate.escalated',
  'gate.expired',
  'gate.paused',
  'gate.withdrawn',
  'slack.posted',
  'slack.unreachable',
  'slack.fallback-notified',
  'slack.escalated',
  'slack.fallback-posted',
  'slack.click-rejected',
  'compensation.started',
  'compensation.succeeded',
  'compensation.failed',
  /** Postmortem review (POST/PATCH /postmortems/:id…): who wrote, sent to review, signed off, published, started a new revision. */
  'postmortem.drafted',
  'postmortem.edited',
  'postmortem.submitted',
  'postmortem.signed-off',
  'postmortem.published',
  'postmortem.revision-started',
  /** Related incidents: linked to another (both timelines), merged as a duplicate into a survivor (both timelines). */
  'incident.linked',
  'incident.merged',
  /** A page or ticket the vendor accepted (with its id and link), or refused, or an acknowledgement from the vendor. */
  'notice.sent',
  'notice.failed',
  'notice.acknowledged',
  'note',
  /** The run's workflow task keeps failing (the error and the build), and, once a worker takes it again, that it moves. */
  'incident.stuck',
  'incident.unstuck',
  /** A target of the SLA policy (runbooks/sla.yaml) passed unmet: which, by how much, who was paged. */
  'sla.breached',
] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

/** One append-only entry of an incident's timeline. */
export interface TimelineEvent {
  /**
   * Deterministic: `<incidentId>#<sequence>`, so a retried append lands once. (Not the
   * workflow id: `<playbook>:<entity>` is reused by the next incident on the same entity.)
   */
  id: string;
  incidentId: string;
  sequence: number;
  type: TimelineEventType;
  occurredAt: string;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

export function timelineEventId(incidentId: string, sequence: number): string {
  return `${incidentId}#${sequence}`;
}
