import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../lib/errors';
import { buildPostmortem } from '../../lib/postmortem/model';
import { PostmortemTemplates } from '../../lib/postmortem/render';
import { events, incident, NOW, TEMPLATES } from '../support/postmortem-incident';

// The postmortem's templates: Markdown and HTML, numbers, pages and tickets, hostile text.

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
