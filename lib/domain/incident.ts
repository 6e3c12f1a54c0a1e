export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'contained', 'resolved', 'cancelled'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What a playbook writes to the `incidents` projection. */
export interface IncidentProjection {
  id: string;
  workflowId: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  playbook: string;
  playbookVersion: string;
  entity: string | null;
  detectedAt: string;
}
