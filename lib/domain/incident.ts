/** Incident severities, least to most severe (the order matters: see `worse`). */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Incidents have no "info": an informational alert that opens or joins one counts as low. */
export function incidentSeverity(alertSeverity: Severity | 'info'): Severity {
  return alertSeverity === 'info' ? 'low' : alertSeverity;
}

/** The more severe of two. */
export function worse(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/**
 * In the order an incident moves through them: `responding` is the playbook acting on its own,
 * `acknowledged` a person taking it (never the playbook: README "Working an incident"),
 * `contained` the threat stopped. A status never moves back but to reopen.
 */
export const INCIDENT_STATUSES = ['open', 'responding', 'acknowledged', 'contained', 'resolved', 'cancelled'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The statuses of an incident not yet closed. */
export const OPEN_INCIDENT_STATUSES = ['open', 'responding', 'acknowledged', 'contained'] as const satisfies readonly IncidentStatus[];

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
