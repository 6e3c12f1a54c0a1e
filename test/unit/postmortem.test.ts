import { describe, expect, it } from 'vitest';
import { escapeMarkdown, formatDuration, formatUtc } from '../../lib/postmortem/format';
import { buildPostmortem } from '../../lib/postmortem/model';
import { events, ev, HOSTILE_REASON, HOSTILE_TITLE, incident, NOW, t } from '../support/postmortem-incident';

// The postmortem's model and formatting, from an incident written by hand (test/support/postmortem-incident.ts).

describe('postmortem model', () => {
  const pm = buildPostmortem(incident, events, NOW);

  it('computes the times to detect, acknowledge, contain and resolve from the first alert', () => {
    expect(pm.times).toEqual({
      startedAt: '2026-03-01T10:00:00.000Z',
      openedAt: '2026-03-01T10:00:04.000Z',
      acknowledgedAt: '2026-03-01T10:00:40.000Z',
      containedAt: '2026-03-01T10:16:41.000Z',
      resolvedAt: '2026-03-01T10:21:02.000Z',
      closedAt: '2026-03-01T10:21:02.000Z',
    });
    expect(pm.durations).toEqual({
      toDetectMs: 4_000,
      toAcknowledgeMs: 40_000,
      toContainMs: 16 * 60_000 + 41_000,
      toResolveMs: 21 * 60_000 + 2_000,
      toCloseMs: 21 * 60_000 + 2_000,
      waitingForApprovalMs: 973_000 + 240_250,
    });
  });

  it('measures the person who acknowledged, never the playbook that started responding', () => {
    expect(pm.summary.acknowledgedBy).toBe('carol');
    // A page acknowledged in the pager first counts: its time and who.
    const paged = buildPostmortem(incident, [...events, ev(t(0, 30), 'notice.acknowledged', { vendor: 'pagerduty' }, 'pagerduty:Dana Oncall')], NOW);
    expect(paged.summary.acknowledgedBy).toBe('pagerduty:Dana Oncall');
    expect(paged.durations.toAcknowledgeMs).toBe(30_000);
    // A run from before people acknowledged: its playbook stamped `acknowledged` itself. Nobody did.
    const machine = events.filter((e) => e.type !== 'incident.acknowledged').map((e) => (e.type === 'incident.status-changed' && e.data.status === 'responding' ? { ...e, data: { status: 'acknowledged' } } : e));
    const legacy = buildPostmortem({ ...incident, acknowledgedAt: t(0, 10) }, machine, NOW);
    expect(legacy.times.acknowledgedAt).toBeNull();
    expect(legacy.durations.toAcknowledgeMs).toBeNull();
    expect(legacy.summary.acknowledgedBy).toBeNull();
  });

  it('lists every approval with who decided, when, and how long it waited', () => {
    expect(pm.approvals).toHaveLength(2);
    const [isolate, replace] = pm.approvals;
    expect(isolate).toMatchObject({
      gateId: 'isolate-host',
      outcome: 'approved',
      requestedAt: '2026-03-01T10:00:20.000Z',
      decidedAt: '2026-03-01T10:16:33.000Z',
      waitedMs: 16 * 60_000 + 13_000,
      decidedBy: ['bob'],
      fallback: 'deny',
      escalations: [{ tier: 1, notify: 'secops-leads', at: '2026-03-01T10:15:20.000Z' }],
    });
    // A Slack click has no API token.
    expect(isolate.votes).toEqual([{ approver: 'bob', decision: 'approve', choice: null, reason: HOSTILE_REASON, via: 'slack', at: '2026-03-01T10:16:32.000Z', afterMs: 972_000, token: null, tokenNote: null }]);
    expect(replace).toMatchObject({ gateId: 'replace-host', outcome: 'denied', waitedMs: 240_250, decidedBy: ['alice'], escalations: [] });
  });

  it('counts what the automation did, its retries and what failed', () => {
    expect(pm.automation.counts).toEqual({ steps: 4, succeeded: 3, failed: 1, skipped: 0, running: 0, retries: 3, compensations: 0, compensationsFailed: 0 });
    expect(pm.automation.steps.map((s) => [s.name, s.outcome, s.attempts, s.retries, s.durationMs])).toEqual([
      ['Enrich from inventory', 'succeeded', 1, 0, 2_000],
      ['Snapshot disks', 'succeeded', 3, 2, 7_000],
      ['Isolate the host', 'succeeded', 1, 0, 6_000],
      ['Notify the owner', 'failed', 2, 1, 3_000],
    ]);
    expect(pm.automation.failedSteps).toHaveLength(1);
    expect(pm.automation.failedSteps[0]).toMatchObject({ name: 'Notify the owner', error: 'mail relay down', errorType: 'Unavailable', attemptErrors: ['mail relay down', 'mail relay down'] });
    expect(pm.automation.playbook).toMatchObject({ outcome: 'completed', failedStep: null });
    expect(pm.actionItems).toEqual([expect.stringContaining('"Notify the owner" failed after 2 attempt(s) (mail relay down)')]);
  });

  it('describes the impact and keeps the whole timeline', () => {
    expect(pm.impact).toMatchObject({ entity: 'host:web-1', severity: 'high', initialSeverity: 'medium', alertCount: 3, sources: ['falco', 'wazuh'], lastAlertAt: '2026-03-01T10:02:00.000Z' });
    expect(pm.impact.severityChanges).toEqual([{ at: '2026-03-01T10:00:30.000Z', from: 'medium', to: 'high', why: 'Severity raised from medium to high: 2 more alert(s)' }]);
    expect(pm.impact.alerts).toEqual([{ title: HOSTILE_TITLE, source: 'falco', severity: 'high', observedAt: '2026-03-01T10:00:00.000Z' }]);
    expect(pm.timeline.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(pm.summary).toMatchObject({ openedBy: 'falco', closed: true, closedBy: 'palisade', closing: 'Resolved by the playbook: web-1 isolated; not replaced' });
  });

  it('reads an incident still waiting: an open gate has no wait yet, and nothing is resolved', () => {
    const open = buildPostmortem({ ...incident, status: 'open', containedAt: null, resolvedAt: null }, events.slice(0, 12), NOW);
    expect(open.approvals[0]).toMatchObject({ outcome: 'open', decidedAt: null, waitedMs: null });
    expect(open.durations).toMatchObject({ toContainMs: null, toResolveMs: null, toCloseMs: null, waitingForApprovalMs: 0 });
    expect(open.automation.playbook.outcome).toBe('running');
    expect(open.summary.closed).toBe(false);
  });

  it('follows a failed playbook, its compensations and an expired gate, and suggests what to do', () => {
    const failing = [
      ev(t(0, 4), 'incident.created'),
      ev(t(0, 5), 'gate.requested', { gateId: 'g', step: 'Revoke the key', fallback: 'deny' }),
      ev(t(0, 35), 'gate.escalated', { gateId: 'g', tier: 1, notify: 'leads' }),
      ev(t(1, 5), 'gate.expired', { gateId: 'g', fallback: 'deny' }),
      ev(t(1, 6), 'step.started', { step: 'Patch wave 1' }),
      ev(t(1, 9), 'step.failed', { step: 'Patch wave 1', attempt: 1, error: 'SLO breached', errorType: 'SloBreached' }),
      ev(t(1, 10), 'compensation.started', { compensation: 'Roll wave 1 back', reason: 'failure' }),
      ev(t(1, 11), 'step.started', { step: 'Roll wave 1 back' }),
      ev(t(1, 12), 'step.failed', { step: 'Roll wave 1 back', attempt: 4, error: 'host gone' }),
      ev(t(1, 13), 'compensation.failed', { compensation: 'Roll wave 1 back', error: 'host gone' }),
      ev(t(1, 14), 'playbook.failed', { step: 'Patch wave 1' }),
      ev(t(5, 0), 'incident.cancelled', {}, 'carol', 'Cancelled by carol: drill'),
    ];
    const pm2 = buildPostmortem({ ...incident, status: 'cancelled', acknowledgedAt: null, containedAt: null, resolvedAt: null }, failing, NOW);
    expect(pm2.approvals[0]).toMatchObject({ outcome: 'expired', waitedMs: 60_000, decidedBy: [], fallback: 'deny' });
    expect(pm2.automation.playbook).toMatchObject({ outcome: 'failed', failedStep: 'Patch wave 1' });
    expect(pm2.automation.compensations).toEqual([{ name: 'Roll wave 1 back', reason: 'failure', startedAt: '2026-03-01T10:01:10.000Z', outcome: 'failed', error: 'host gone' }]);
    expect(pm2.automation.counts).toMatchObject({ failed: 2, compensations: 1, compensationsFailed: 1 });
    expect(pm2.automation.steps[1].compensation).toBe(true);
    expect(pm2.durations).toMatchObject({ toResolveMs: null, toCloseMs: 5 * 60_000 });
    expect(pm2.summary).toMatchObject({ closedBy: 'carol', closing: 'Cancelled by carol: drill' });
    expect(pm2.actionItems).toEqual([
      expect.stringContaining('Undo "Roll wave 1 back" by hand'),
      expect.stringContaining('"Patch wave 1" failed'),
      expect.stringContaining('Nobody decided "Revoke the key" in time (1 escalation(s), fallback deny)'),
    ]);
  });
});

describe('postmortem formatting', () => {
  it('shows durations and UTC times the way a postmortem reads them', () => {
    expect([850, 4_000, 973_000, 3_605_000, 2 * 86_400_000 + 3 * 3_600_000, -4_000].map(formatDuration)).toEqual(['850ms', '4s', '16m 13s', '1h 0m 5s', '2d 3h 0m 0s', '-4s']);
    expect(formatDuration(null)).toBe('—');
    expect(formatUtc('2026-03-01T10:16:33.250Z')).toBe('2026-03-01T10:16:33Z');
    expect(formatUtc(null)).toBe('—');
  });

  it('escapes Markdown structure out of payload text', () => {
    expect(escapeMarkdown('a | b\n# c <d> *e* [f](g) `h` \\')).toBe('a \\| b # c \\<d\\> \\*e\\* \\[f\\](g) \\`h\\` \\\\');
  });
});
