import type { DataSource } from 'typeorm';
import { candidatesFor, leastLoaded, ruleFor } from '../../lib/assignment/rules';
import type { AssignmentRulesFile } from '../../lib/assignment/rules-file';
import { loadApprovalPolicies, policiesFor, type ApprovalPolicies } from '../../lib/approvals/policy-file';
import { fileStamp } from '../../lib/runbook-file';
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
/** An incident the assignment rule gave to someone as it opened. */
export interface RuleAssignment {
  assignee: string;
  /** What the rule named (a person, or the group the assignee was picked from). */
  target: string;
  group: boolean;
  /** `routing rule <name>` or `playbook <name>`. */
  matched: string;
}

export function createPlaybookActivities(deps: { db: DataSource; approvalsFile: string; slackConnected: boolean; assignment?: AssignmentRulesFile }) {
  /**
   * approvals.yaml as it is now, read and validated again only when the file changed (its
   * inode, size or time): each incident's opening asked for it, and parsing it took 3 to 9 ms
   * of the worker's one thread every time (issue 22). A file that does not read throws, as before.
   */
  let approvals: { stamp: string; policies: ApprovalPolicies } | undefined;
  const currentApprovals = (): ApprovalPolicies => {
    const stamp = fileStamp(deps.approvalsFile);
    if (approvals?.stamp !== stamp) approvals = { stamp, policies: loadApprovalPolicies(deps.approvalsFile) };
    return approvals.policies;
  };
  return {
    /** `slack`: whether this worker posts approval requests to Slack (absent in histories from before Slack). */
    async loadApprovalPolicies(playbook: string): Promise<{ fallback: GatePolicy; gates: Record<string, GatePolicy>; slack?: boolean }> {
      return { ...policiesFor(currentApprovals(), playbook), ...(deps.slackConnected ? { slack: true } : {}) };
    },

    /**
     * Applies runbooks/assignment.yaml to a new incident nobody owns yet (as it is now, or its
     * last good version after a bad edit; with people.yaml as it is now): the person its rule
     * names, or the group member with the fewest open incidents. Null when no rule fits or
     * someone owns it already.
     */
    async assignOnOpen(incidentId: string): Promise<RuleAssignment | null> {
      const assignment = deps.assignment;
      if (!assignment) return null;
      const rules = assignment.current();
      const people = assignment.people.current();
      if (rules.length === 0) return null;
      return deps.db.transaction(async (tx) => {
        const [incident] = await tx.query<{ assignee: string | null; playbook: string; rule: string | null }[]>(
          `SELECT i.assignee, i.playbook, (SELECT a.rule FROM alerts a WHERE a.incident_id = i.id ORDER BY a.received_at LIMIT 1) AS rule
           FROM incidents i WHERE i.id = $1 FOR UPDATE`,
          [incidentId],
        );
        if (!incident || incident.assignee) return null;
        const rule = ruleFor(rules, { routingRule: incident.rule, playbook: incident.playbook });
        if (!rule) return null;
        const candidates = candidatesFor(rule, people);
        const counts = await tx.query<{ assignee: string; n: number }[]>(
          `SELECT assignee, count(*)::int AS n FROM incidents WHERE assignee = ANY($1::text[]) AND status NOT IN ('resolved', 'cancelled') GROUP BY assignee`,
          [candidates],
        );
        const assignee = leastLoaded(candidates, new Map(counts.map((c) => [c.assignee, c.n])));
        if (!assignee) return null;
        await tx.query(`UPDATE incidents SET assignee = $2, updated_at = now() WHERE id = $1`, [incidentId, assignee]);
        return { assignee, target: rule.assign, group: !people.has(rule.assign), matched: rule.routingRule ? `routing rule ${rule.routingRule}` : `playbook ${rule.playbook}` };
      });
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
