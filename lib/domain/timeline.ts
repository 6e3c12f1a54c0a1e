/** Event types a timeline can hold; later playbooks add theirs here. */
export const TIMELINE_EVENT_TYPES = ['incident.created', 'alerts.merged', 'incident.resolved', 'incident.reopened', 'incident.cancelled'] as const;
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
