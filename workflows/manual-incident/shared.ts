// What callers of the manual-incident playbook need: its name, version, input and ids.
import type { Severity } from '../../lib/domain/incident';

export const MANUAL_INCIDENT = {
  workflowType: 'manualIncident',
  playbook: 'manual-incident',
  version: '0.1.0',
} as const;

export interface ManualIncidentInput {
  incidentId: string;
  title: string;
  severity: Severity;
  entity: string | null;
  reportedBy: string;
  detectedAt: string;
}

export function manualIncidentWorkflowId(incidentId: string): string {
  return `${MANUAL_INCIDENT.playbook}:${incidentId}`;
}
