import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPostmortem } from '../../lib/postmortem/model';
import { PostmortemTemplates } from '../../lib/postmortem/render';
import { loadSlaPolicy, type SlaPolicy } from '../../lib/sla/policy';
import { events, ev, incident, NOW, t, TEMPLATES } from '../support/postmortem-incident';

// What case work adds to a postmortem: the owner, SLA results, links and the review state.

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
