/** Event types a timeline can hold; later playbooks add theirs here. */
export const TIMELINE_EVENT_TYPES = ['incident.created'] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

/** One append-only entry of an incident's timeline. */
export interface TimelineEvent {
  /** Deterministic: `<workflowId>#<sequence>`, so a retried append lands once. */
  id: string;
  incidentId: string;
  sequence: number;
  type: TimelineEventType;
  occurredAt: string;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

export function timelineEventId(workflowId: string, sequence: number): string {
  return `${workflowId}#${sequence}`;
}
