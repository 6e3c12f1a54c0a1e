import type { DataSource } from 'typeorm';
import { loadApprovalPolicies, policiesFor } from '../../lib/approvals/policy-file';
import type { GatePolicy } from '../../lib/approvals/gate';
import type { SecretDescriptor } from '../../lib/intake/alert';

/** What a playbook reads of the alert that opened its incident (already redacted at the door). */
export interface AlertDetails {
  id: string;
  source: string;
  title: string;
  description: string;
  severity: string;
  category: string;
  labels: Record<string, string>;
  secrets: SecretDescriptor[];
  observedAt: string;
}

/**
 * Reads a playbook needs at start, through activities so the workflow stays deterministic:
 * its approval policies (as they are when the incident opens) and its first alert.
 */
export function createPlaybookActivities(deps: { db: DataSource; approvalsFile: string; slackConnected: boolean }) {
  return {
    /** `slack`: whether this worker posts approval requests to Slack (absent in histories from before Slack). */
    async loadApprovalPolicies(playbook: string): Promise<{ fallback: GatePolicy; gates: Record<string, GatePolicy>; slack?: boolean }> {
      return { ...policiesFor(loadApprovalPolicies(deps.approvalsFile), playbook), ...(deps.slackConnected ? { slack: true } : {}) };
    },

    async loadAlert(alertId: string): Promise<AlertDetails | null> {
      const rows = await deps.db.query<Record<string, unknown>[]>(
        `SELECT id, source, title, description, severity, category, labels, secrets, observed_at FROM alerts WHERE id = $1`,
        [alertId],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        id: String(row.id),
        source: String(row.source),
        title: String(row.title),
        description: typeof row.description === 'string' ? row.description : '',
        severity: String(row.severity),
        category: String(row.category),
        labels: (row.labels ?? {}) as Record<string, string>,
        secrets: (row.secrets ?? []) as SecretDescriptor[],
        observedAt: (row.observed_at as Date).toISOString(),
      };
    },
  };
}

export type PlaybookActivities = ReturnType<typeof createPlaybookActivities>;
