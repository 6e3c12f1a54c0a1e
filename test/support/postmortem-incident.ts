// A host-compromise incident written by hand, for the postmortem's unit tests: the numbers they
// check are worked out from these times.
import * as path from 'node:path';
import type { TimelineEventType } from '../../lib/domain/timeline';
import type { PostmortemEventRow, PostmortemIncidentRow } from '../../lib/postmortem/model';

export const TEMPLATES = path.resolve(__dirname, '../../runbooks/templates');
export const T0 = Date.parse('2026-03-01T10:00:00Z');
/** T0 plus minutes and seconds. */
export const t = (min: number, s = 0) => new Date(T0 + min * 60_000 + s * 1_000);
export const HOSTILE_TITLE = 'Reverse shell | <script>alert(1)</script>\n# pwned';
export const HOSTILE_REASON = 'ok | *really*\n\n## pwned <img src=x onerror=alert(2)>';

export const incident: PostmortemIncidentRow = {
  id: '6f1c2a4e-8b7d-4c3e-9a10-2b3c4d5e6f70',
  workflowId: 'host-compromise:host:web-1',
  title: HOSTILE_TITLE,
  severity: 'high',
  status: 'resolved',
  playbook: 'host-compromise',
  playbookVersion: '1.0.0',
  entity: 'host:web-1',
  alertCount: 3,
  sources: ['falco', 'wazuh'],
  firstAlertAt: t(0),
  lastAlertAt: t(2),
  detectedAt: t(0),
  // Carol's acknowledgement (POST /incidents/:id/acknowledge), not the playbook's start.
  acknowledgedAt: t(0, 40),
  // Missing from the projection: the timeline's status change stands in.
  containedAt: null,
  resolvedAt: t(21, 2),
};

let seq = 0;
export const ev = (at: Date, type: TimelineEventType, data: Record<string, unknown> = {}, actor = 'palisade', summary: string = type): PostmortemEventRow => ({
  sequence: ++seq,
  type,
  occurredAt: at,
  actor,
  summary,
  data,
});
export const events: PostmortemEventRow[] = [
  ev(t(0, 4), 'incident.created', { severity: 'medium' }, 'falco', `Incident opened from falco: ${HOSTILE_TITLE}`),
  ev(t(0, 5), 'alerts.merged', { count: 1, evidence: [{ alertId: 'a1', fingerprint: 'f1', title: HOSTILE_TITLE, source: 'falco', severity: 'high', observedAt: t(0).toISOString() }] }),
  ev(t(0, 6), 'playbook.started'),
  ev(t(0, 7), 'step.started', { step: 'Enrich from inventory' }),
  ev(t(0, 9), 'step.succeeded', { step: 'Enrich from inventory', attempt: 1 }),
  ev(t(0, 10), 'incident.status-changed', { status: 'responding' }),
  ev(t(0, 11), 'step.started', { step: 'Snapshot disks' }),
  ev(t(0, 12), 'step.retrying', { step: 'Snapshot disks', attempt: 1, error: 'agent busy', errorType: 'Unavailable' }),
  ev(t(0, 14), 'step.retrying', { step: 'Snapshot disks', attempt: 2, error: 'agent busy', errorType: 'Unavailable' }),
  ev(t(0, 18), 'step.succeeded', { step: 'Snapshot disks', attempt: 3 }),
  ev(t(0, 20), 'gate.requested', { gateId: 'isolate-host', step: 'Isolate web-1', summary: 'Cut web-1 off.', critical: false, needed: 1, fallback: 'deny' }),
  ev(t(0, 30), 'incident.severity-raised', { from: 'medium', to: 'high' }, 'palisade', 'Severity raised from medium to high: 2 more alert(s)'),
  ev(t(0, 40), 'incident.acknowledged', { by: 'carol', note: null, pages: 0 }, 'carol', 'Acknowledged by carol (nothing was paged)'),
  ev(t(15, 20), 'gate.escalated', { gateId: 'isolate-host', tier: 1, notify: 'secops-leads' }),
  ev(t(16, 32), 'gate.vote', { gateId: 'isolate-host', approverId: 'bob', decision: 'approve', reason: HOSTILE_REASON, via: 'slack', at: t(16, 32).toISOString() }, 'bob'),
  ev(t(16, 33), 'gate.decided', { gateId: 'isolate-host', outcome: 'approved', votes: [{ approverId: 'bob', decision: 'approve' }] }, 'bob'),
  ev(t(16, 34), 'step.started', { step: 'Isolate the host' }),
  ev(t(16, 40), 'step.succeeded', { step: 'Isolate the host', attempt: 1 }),
  ev(t(16, 41), 'incident.status-changed', { status: 'contained' }),
  ev(t(16, 45), 'step.started', { step: 'Notify the owner' }),
  ev(t(16, 46), 'step.retrying', { step: 'Notify the owner', attempt: 1, error: 'mail relay down', errorType: 'Unavailable' }),
  ev(t(16, 48), 'step.failed', { step: 'Notify the owner', attempt: 2, error: 'mail relay down', errorType: 'Unavailable' }),
  ev(t(16, 50), 'gate.requested', { gateId: 'replace-host', step: 'Replace web-1', summary: 'Rebuild it.', needed: 1, fallback: 'deny' }),
  ev(t(20, 50), 'gate.vote', { gateId: 'replace-host', approverId: 'alice', decision: 'deny', reason: 'not now', via: 'api', at: t(20, 50).toISOString() }, 'alice'),
  ev(new Date(t(20, 50).getTime() + 250), 'gate.decided', { gateId: 'replace-host', outcome: 'denied', votes: [{ approverId: 'alice', decision: 'deny' }] }, 'alice'),
  ev(t(21, 0), 'playbook.completed', {}, 'palisade', 'Playbook host-compromise finished: web-1 isolated; not replaced'),
  ev(t(21, 1), 'incident.resolved', { totalAlerts: 3 }, 'palisade', 'Resolved by the playbook: web-1 isolated; not replaced'),
];
export const NOW = t(30);
