import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TimelineEventType } from '../../lib/domain/timeline';
import { PalisadeError } from '../../lib/errors';
import { escapeMarkdown, formatDuration, formatUtc } from '../../lib/postmortem/format';
import { buildPostmortem, type PostmortemEventRow, type PostmortemIncidentRow } from '../../lib/postmortem/model';
import { PostmortemTemplates } from '../../lib/postmortem/render';
import { loadSlaPolicy, type SlaPolicy } from '../../lib/sla/policy';

const TEMPLATES = path.resolve(__dirname, '../../runbooks/templates');
const T0 = Date.parse('2026-03-01T10:00:00Z');
/** T0 plus minutes and seconds. */
const t = (min: number, s = 0) => new Date(T0 + min * 60_000 + s * 1_000);
const HOSTILE_TITLE = 'Reverse shell | <script>alert(1)</script>\n# pwned';
const HOSTILE_REASON = 'ok | *really*\n\n## pwned <img src=x onerror=alert(2)>';

// A host-compromise incident written by hand: the numbers below are worked out from these times.
const incident: PostmortemIncidentRow = {
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
const ev = (at: Date, type: TimelineEventType, data: Record<string, unknown> = {}, actor = 'palisade', summary: string = type): PostmortemEventRow => ({
  sequence: ++seq,
  type,
  occurredAt: at,
  actor,
  summary,
  data,
});
const events: PostmortemEventRow[] = [
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
const NOW = t(30);

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

/** The cells of a Markdown table row, split on unescaped pipes. */
const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);

describe('postmortem templates', () => {
  const templates = new PostmortemTemplates(TEMPLATES);
  const pm = buildPostmortem(incident, events, NOW);

  it('renders the numbers in Markdown, readable as plain text', () => {
    const md = templates.render('md', pm);
    expect(md).toContain('| Detected: Palisade opened the incident | 2026-03-01T10:00:04Z | time to detect: 4s |');
    expect(md).toContain('| Acknowledged by carol | 2026-03-01T10:00:40Z | time to acknowledge: 40s |');
    expect(md).toContain('| Contained | 2026-03-01T10:16:41Z | time to contain: 16m 41s |');
    expect(md).toContain('| Resolved | 2026-03-01T10:21:02Z | time to resolve: 21m 2s |');
    expect(md).toContain('| isolate-host | Isolate web-1 | 2026-03-01T10:00:20Z | approved | 2026-03-01T10:16:33Z | 16m 13s | bob |');
    expect(md).toContain('| replace-host | Replace web-1 | 2026-03-01T10:16:50Z | denied | 2026-03-01T10:20:50Z | 4m 0s | alice |');
    expect(md).toContain('escalated to secops-leads (tier 1) at 2026-03-01T10:15:20Z');
    expect(md).toContain('3 steps succeeded, 1 failed, 0 skipped; 3 retries');
    expect(md).toContain('- **Notify the owner** failed at 2026-03-01T10:16:48Z after 2 attempts (Unavailable): mail relay down');
    expect(md).toContain('## Action items');
    expect(md).toContain('| 1 | | | | |');
    expect(md).not.toMatch(/\{\{|\}\}/);
  });

  it('keeps hostile payload text from changing the Markdown structure', () => {
    const md = templates.render('md', pm);
    const lines = md.split('\n');
    // Headings are only the template's own.
    expect(lines.filter((l) => l.startsWith('#'))).toEqual([
      `# Postmortem: Reverse shell \\| \\<script\\>alert(1)\\</script\\> # pwned`,
      '## Summary',
      '## Impact',
      '## Key times',
      '## SLA',
      '## Ownership',
      '## Related incidents',
      '## Approvals',
      '## Pages and tickets',
      '## What the automation did',
      '### What failed',
      '## Notes',
      '## Timeline',
      '## Root cause (to fill in)',
      '## Action items',
    ]);
    // No raw HTML: every < from a payload is backslash-escaped.
    expect(md).not.toMatch(/(?<!\\)</);
    // Every row of the timeline table has its five cells, the hostile ones included.
    const timeline = lines.slice(lines.indexOf('## Timeline'), lines.indexOf('## Root cause (to fill in)')).filter((l) => l.startsWith('|'));
    expect(timeline).toHaveLength(events.length + 2);
    for (const row of timeline) expect(cells(row)).toHaveLength(5);
    expect(md).toContain('bob voted approve at 2026-03-01T10:16:32Z, 16m 12s after the request, via slack: ok \\| \\*really\\* ## pwned \\<img src=x onerror=alert(2)\\>');
  });

  it('renders a standalone HTML page with everything escaped', () => {
    const html = templates.render('html', pm);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<img|<link|src=|href=|@import|url\(/i);
    expect(html).toContain('Reverse shell | &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('time to detect: 4s');
    expect(html).toContain('time to resolve: 21m 2s');
    expect(html).toContain('<td class="num">16m 13s</td>');
    expect(html).toContain('<td class="num">4m 0s</td>');
    expect(html).toContain('Notify the owner</strong> failed at 2026-03-01T10:16:48Z after 2 attempts (Unavailable): mail relay down');
  });

  it('lists every page and ticket with its vendor id, link, who acknowledged and when, in Markdown and HTML', () => {
    const withNotices = {
      ...pm,
      notices: [
        { vendor: 'pagerduty', kind: 'page' as const, target: 'secops-wrong', status: 'abandoned', externalId: null, externalUrl: null, sentAt: null, acknowledgedBy: null, acknowledgedAt: null, resolvedAt: null },
        { vendor: 'pagerduty', kind: 'page' as const, target: 'secops-oncall', status: 'resolved', externalId: 'inc-1', externalUrl: 'https://acme.pagerduty.com/incidents/PINC01', sentAt: '2026-03-01T10:00:05Z', acknowledgedBy: 'Dana Oncall', acknowledgedAt: '2026-03-01T10:02:00Z', resolvedAt: '2026-03-01T10:21:03Z' },
        { vendor: 'jira', kind: 'ticket' as const, target: 'SEC', status: 'done', externalId: 'SEC-42', externalUrl: 'https://acme.atlassian.net/browse/SEC-42', sentAt: '2026-03-01T10:00:06Z', acknowledgedBy: null, acknowledgedAt: null, resolvedAt: '2026-03-01T10:21:04Z' },
      ],
    };
    const md = templates.render('md', withNotices);
    expect(md).toContain('| pagerduty | page | secops-oncall | resolved | inc-1 | https://acme.pagerduty.com/incidents/PINC01 | 2026-03-01T10:00:05Z | Dana Oncall | 2026-03-01T10:02:00Z | 2026-03-01T10:21:03Z |');
    expect(md).toContain('| pagerduty | page | secops-wrong | abandoned |  |  | — |  | — | — |');
    expect(md).toContain('| jira | ticket | SEC | done | SEC-42 | https://acme.atlassian.net/browse/SEC-42 |');
    const html = templates.render('html', withNotices);
    expect(html).toContain('<h2>Pages and tickets</h2>');
    expect(html).toMatch(/<td>pagerduty<\/td><td>page<\/td><td>secops-oncall<\/td><td>resolved<\/td><td>inc-1<br>https:\/\/acme.pagerduty.com\/incidents\/PINC01<\/td><td class="time">2026-03-01T10:00:05Z<\/td><td>Dana Oncall<\/td><td class="time">2026-03-01T10:02:00Z<\/td>/);
    expect(html).toContain('SEC-42<br>https://acme.atlassian.net/browse/SEC-42');
    expect(html).not.toMatch(/href=/i);
    expect(templates.render('html', { ...pm, notices: [] })).toContain('No page or ticket was sent for this incident.');
  });

  it('refuses a broken template at once, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postmortem-templates-'));
    try {
      fs.copyFileSync(path.join(TEMPLATES, 'postmortem.html.hbs'), path.join(dir, 'postmortem.html.hbs'));
      fs.writeFileSync(path.join(dir, 'postmortem.md.hbs'), '# {{incident.title}}\n{{#each approvals}}\n');
      expect(() => new PostmortemTemplates(dir)).toThrow(expect.objectContaining({ code: 'postmortem_template_invalid', message: expect.stringContaining('postmortem.md.hbs') }));
      fs.writeFileSync(path.join(dir, 'postmortem.md.hbs'), '# {{shout incident.title}}\n');
      expect(() => new PostmortemTemplates(dir)).toThrow(PalisadeError);
      fs.rmSync(path.join(dir, 'postmortem.html.hbs'));
      fs.writeFileSync(path.join(dir, 'postmortem.md.hbs'), '# {{incident.title}}\n');
      expect(() => new PostmortemTemplates(dir)).toThrow(/postmortem\.html\.hbs: cannot be read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('postmortem: owner, SLA results, links and review', () => {
  const templates = new PostmortemTemplates(TEMPLATES);
  const assigned = [
    ev(t(0, 5), 'incident.assigned', { assignee: 'alice', previous: null, reason: null, rule: 'routing rule compromised-hosts', target: 'secops' }, 'palisade', 'Assigned to alice by the assignment rule for routing rule compromised-hosts'),
    ev(t(0, 41), 'incident.assigned', { assignee: 'carol', previous: 'alice', reason: 'I know this host', how: 'take' }, 'carol', 'Taken by carol (was alice): I know this host'),
    ev(t(18, 0), 'incident.assigned', { assignee: 'bob', previous: 'carol', reason: 'handover | *shift*', how: 'assign' }, 'carol', 'Assigned to bob by carol (was carol): handover | *shift*'),
  ];

  it('names the owner and every change of owner: who gave it to whom, when and why', () => {
    const pm = buildPostmortem({ ...incident, assignee: 'bob' }, [...events, ...assigned], NOW);
    expect(pm.owner.assignee).toBe('bob');
    expect(pm.owner.assignments).toEqual([
      { at: '2026-03-01T10:00:05.000Z', by: 'palisade', how: 'rule', assignee: 'alice', previous: null, reason: null, summary: 'Assigned to alice by the assignment rule for routing rule compromised-hosts' },
      { at: '2026-03-01T10:00:41.000Z', by: 'carol', how: 'take', assignee: 'carol', previous: 'alice', reason: 'I know this host', summary: 'Taken by carol (was alice): I know this host' },
      { at: '2026-03-01T10:18:00.000Z', by: 'carol', how: 'assign', assignee: 'bob', previous: 'carol', reason: 'handover | *shift*', summary: 'Assigned to bob by carol (was carol): handover | *shift*' },
    ]);
    // A row read without the column: the last assignment stands in.
    expect(buildPostmortem(incident, [...events, ...assigned], NOW).owner.assignee).toBe('bob');
    expect(buildPostmortem({ ...incident, assignee: null }, events, NOW).owner).toEqual({ assignee: null, assignments: [] });

    const md = templates.render('md', pm);
    expect(md).toContain('- **Owner:** bob (3 changes of owner, under Ownership).');
    expect(md).toContain('- 2026-03-01T10:00:41Z: Taken by carol (was alice): I know this host');
    expect(md).toContain('- 2026-03-01T10:18:00Z: Assigned to bob by carol (was carol): handover \\| \\*shift\\*');
    const html = templates.render('html', pm);
    expect(html).toContain('<li>Owner: <strong>bob</strong></li>');
    expect(html).toContain('<li><span class="time">2026-03-01T10:18:00Z</span> Assigned to bob by carol (was carol): handover | *shift*</li>');
  });

  it('judges each SLA target of the policy met or missed, with when it was reached, as the API judges it', () => {
    // The shipped policy: host-compromise/high resolves within 30m, high acknowledges within 30m and contains within 4h.
    const shipped = loadSlaPolicy(path.resolve(__dirname, '../../runbooks/sla.yaml'), existsSync);
    expect(buildPostmortem(incident, events, NOW, { sla: shipped }).sla).toEqual([
      { measure: 'acknowledge', target: '30m', targetMs: 1_800_000, rule: 'high', dueAt: '2026-03-01T10:30:00.000Z', reachedAt: '2026-03-01T10:00:40.000Z', tookMs: 40_000, state: 'met' },
      { measure: 'contain', target: '4h', targetMs: 14_400_000, rule: 'high', dueAt: '2026-03-01T14:00:00.000Z', reachedAt: '2026-03-01T10:16:41.000Z', tookMs: 16 * 60_000 + 41_000, state: 'met' },
      { measure: 'resolve', target: '30m', targetMs: 1_800_000, rule: 'host-compromise/high', dueAt: '2026-03-01T10:30:00.000Z', reachedAt: '2026-03-01T10:21:02.000Z', tookMs: 21 * 60_000 + 2_000, state: 'met' },
    ]);
    const strict: SlaPolicy = { file: 'strict', targets: [{ severity: 'high', acknowledge: '30s', contain: '10m', resolve: '1h' }] };
    const late = buildPostmortem(incident, events, NOW, { sla: strict });
    expect(late.sla.map((r) => [r.measure, r.state, r.reachedAt])).toEqual([
      ['acknowledge', 'missed', '2026-03-01T10:00:40.000Z'],
      ['contain', 'missed', '2026-03-01T10:16:41.000Z'],
      ['resolve', 'met', '2026-03-01T10:21:02.000Z'],
    ]);
    // Still open at NOW (30m in): never contained though due at 10m (missed, not reached); resolve not due yet.
    const open = buildPostmortem({ ...incident, status: 'responding', containedAt: null, resolvedAt: null }, events.slice(0, 14), NOW, { sla: strict });
    expect(open.sla.map((r) => [r.measure, r.state, r.reachedAt, r.tookMs])).toEqual([
      ['acknowledge', 'missed', '2026-03-01T10:00:40.000Z', 40_000],
      ['contain', 'missed', null, null],
      ['resolve', 'pending', null, null],
    ]);
    // No policy given, or none for its severity: nothing to judge.
    expect(buildPostmortem(incident, events, NOW).sla).toEqual([]);
    expect(buildPostmortem({ ...incident, severity: 'low' }, events, NOW, { sla: strict }).sla).toEqual([]);

    const md = templates.render('md', late);
    expect(md).toContain('| acknowledge within 30s | high | 2026-03-01T10:00:30Z | 2026-03-01T10:00:40Z | 40s | missed |');
    expect(md).toContain('| resolve within 1h | high | 2026-03-01T11:00:00Z | 2026-03-01T10:21:02Z | 21m 2s | met |');
    expect(templates.render('md', open)).toContain('| contain within 10m | high | 2026-03-01T10:10:00Z | not reached | — | missed |');
    expect(templates.render('md', pm0())).toContain('No SLA target applies to this incident (runbooks/sla.yaml).');
    const html = templates.render('html', late);
    expect(html).toContain('<td>contain within 10m</td><td>high</td><td class="time">2026-03-01T10:10:00Z</td><td class="time">2026-03-01T10:16:41Z</td><td class="num">16m 41s</td><td><span class="outcome-missed">missed</span></td>');
  });

  it('lists the incident it was merged into, the duplicates merged into it, its links, and the review state', () => {
    const other = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    const links = {
      duplicateOf: { incidentId: other(1), relation: 'duplicate-of', title: 'Survivor <b>', status: 'contained', reason: 'same host', by: 'ana', at: '2026-03-01T10:05:00.000Z' },
      mergedIn: [{ incidentId: other(2), relation: 'duplicated-by', title: 'Older dup', status: 'resolved', reason: null, by: null, at: null }],
      related: [{ incidentId: other(3), relation: 'caused-by', title: 'Phish | wave', status: 'open', reason: 'same sender', by: 'bob', at: '2026-03-01T10:06:00.000Z' }],
    };
    const review = { state: 'in_review' as const, revision: 2, signOffs: [{ reviewer: 'dave', signedAt: '2026-03-02T09:00:00.000Z' }], published: { revision: 1, publishedAt: '2026-03-01T18:00:00.000Z' } };
    const pm = buildPostmortem(incident, events, NOW, { links, review });
    expect(pm.links).toEqual(links);
    expect(pm.review).toEqual(review);
    const plain = pm0();
    expect(plain.links).toEqual({ duplicateOf: null, mergedIn: [], related: [] });
    expect(plain.review).toBeNull();

    const md = templates.render('md', pm);
    expect(md).toContain(`- **Merged into** ${other(1)} "Survivor \\<b\\>" (contained) as a duplicate by ana at 2026-03-01T10:05:00Z: same host`);
    expect(md).toContain(`- **Merged in:** ${other(2)} "Older dup" (resolved), a duplicate of this one`);
    expect(md).toContain(`- **caused-by** ${other(3)} "Phish \\| wave" (open), linked by bob at 2026-03-01T10:06:00Z: same sender`);
    expect(md).toContain(`- **Review:** revision 2, in\\_review, signed off by dave (2026-03-02T09:00:00Z); revision 1 published 2026-03-01T18:00:00Z (GET /postmortems/${incident.id}).`);
    expect(md).not.toContain('No related incident.');
    const plainMd = templates.render('md', plain);
    expect(plainMd).toContain('No related incident.');
    expect(plainMd).not.toContain('**Review:**');
    const html = templates.render('html', pm);
    expect(html).toContain(`<li><strong>Merged into</strong> ${other(1)} “Survivor &lt;b&gt;” (contained) as a duplicate by ana at 2026-03-01T10:05:00Z: same host</li>`);
    expect(html).toContain(`<li><strong>caused-by</strong> ${other(3)} “Phish | wave” (open), linked by bob at 2026-03-01T10:06:00Z: same sender</li>`);
    expect(html).toContain('<dt>Review</dt><dd>revision 2, <span class="review-in_review">in_review</span>, signed off by dave (2026-03-02T09:00:00Z); revision 1 published 2026-03-01T18:00:00Z</dd>');
  });

  /** The postmortem with nothing from outside its row and timeline. */
  function pm0() {
    return buildPostmortem(incident, events, NOW);
  }
});
