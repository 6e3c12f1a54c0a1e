import Handlebars from 'handlebars';
import { compileTemplateFile } from '../template-file';
import * as path from 'node:path';
import { PalisadeError } from '../errors';
import { escapeStringsForMarkdown, formatDuration, formatUtc } from './format';
import { buildPostmortem, type Postmortem } from './model';

/** What GET /incidents/:id/postmortem serves; `json` is the model itself. */
export const POSTMORTEM_FORMATS = ['md', 'html', 'json'] as const;
export type PostmortemFormat = (typeof POSTMORTEM_FORMATS)[number];
export type RenderedFormat = Exclude<PostmortemFormat, 'json'>;

/**
 * The postmortem templates operators edit (runbooks/templates/postmortem.{md,html}.hbs),
 * compiled once, when the API starts: a template that does not compile, or fails on a sample
 * incident, stops the start with its file name.
 *   md:   every string of the model arrives already escaped for Markdown (one line, `|` and
 *         emphasis escaped), so `{{incident.title}}` is safe in a table cell.
 *   html: Handlebars' own HTML escaping; never use `{{{triple}}}` on model values.
 * Helpers: {{duration ms}} "4m 12s", {{utc iso}} "2026-11-23T14:02:11Z", {{eq a b}},
 * {{or a b}}, {{join list}}, {{inc n}}, {{plural n "step"}} / {{plural n "retry" "retries"}}.
 */
export class PostmortemTemplates {
  private readonly compiled = new Map<RenderedFormat, HandlebarsTemplateDelegate>();

  constructor(private readonly dir: string) {
    const hb = Handlebars.create();
    hb.registerHelper('duration', (value: unknown) => formatDuration(typeof value === 'number' ? value : null));
    hb.registerHelper('utc', (value: unknown) => formatUtc(typeof value === 'string' ? value : null));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).find((v) => v !== null && v !== undefined && v !== '') ?? '');
    hb.registerHelper('join', (value: unknown, sep: unknown) => (Array.isArray(value) ? value.join(typeof sep === 'string' ? sep : ', ') : ''));
    hb.registerHelper('inc', (value: unknown) => (typeof value === 'number' ? value + 1 : value));
    hb.registerHelper('plural', (n: unknown, one: unknown, ...rest: unknown[]) => {
      const many = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : `${String(one)}s`;
      return `${String(n)} ${n === 1 ? String(one) : many}`;
    });
    for (const format of ['md', 'html'] as const) {
      this.compiled.set(format, compileTemplateFile(hb, this.file(format), { noEscape: format === 'md', strict: false }, invalid));
    }
    // Helpers are looked up when a template runs: try both once on a sample.
    const sample = sampleModel();
    for (const format of ['md', 'html'] as const) this.render(format, sample);
  }

  render(format: RenderedFormat, model: Postmortem): string {
    const view = format === 'md' ? escapeStringsForMarkdown(model) : model;
    try {
      return this.compiled.get(format)!(view);
    } catch (err) {
      throw invalid(this.file(format), `failed to render (${(err as Error).message.split('\n')[0]})`);
    }
  }

  private file(format: RenderedFormat): string {
    return path.join(this.dir, `postmortem.${format}.hbs`);
  }
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError(
    'postmortem_template_invalid',
    `Postmortem template ${file}: ${reason}.`,
    'Fix the template (its header lists the fields and helpers) or point PALISADE_POSTMORTEM_TEMPLATES_DIR at a folder with working ones, and start again.',
  );
}

/** A small incident that touches every section, for the start-up check. */
function sampleModel(): Postmortem {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const event = (sequence: number, type: Parameters<typeof buildPostmortem>[1][number]['type'], data: Record<string, unknown> = {}) => ({ sequence, type, occurredAt: at(sequence), actor: 'palisade', summary: type, data });
  return buildPostmortem(
    {
      id: '00000000-0000-4000-8000-000000000000',
      workflowId: 'sample',
      title: 'Sample',
      severity: 'high',
      status: 'resolved',
      playbook: 'sample',
      playbookVersion: '1.0.0',
      startedBuild: 'b0000000000000001',
      runningBuild: 'b0000000000000002',
      entity: 'host:sample',
      alertCount: 1,
      sources: ['generic'],
      firstAlertAt: at(0),
      lastAlertAt: at(0),
      detectedAt: at(0),
      acknowledgedAt: at(2),
      containedAt: at(6),
      resolvedAt: at(9),
    },
    [
      event(1, 'incident.created', { severity: 'medium' }),
      event(2, 'alerts.merged', { evidence: [{ alertId: 'a', fingerprint: 'f', title: 'Sample', source: 'generic', severity: 'high', observedAt: at(0) }] }),
      event(3, 'step.started', { step: 's' }),
      event(4, 'step.retrying', { step: 's', attempt: 1, error: 'e' }),
      event(5, 'step.failed', { step: 's', attempt: 2, error: 'e' }),
      event(6, 'gate.requested', { gateId: 'g', step: 'g', fallback: 'deny' }),
      event(7, 'gate.vote', { gateId: 'g', approverId: 'a', decision: 'approve', reason: 'r', via: 'api', at: at(7) }),
      event(8, 'gate.decided', { gateId: 'g', outcome: 'approved', votes: [{ approverId: 'a' }] }),
      event(9, 'compensation.started', { compensation: 'c' }),
      event(10, 'incident.severity-raised', { from: 'medium', to: 'high' }),
      event(11, 'incident.assigned', { assignee: 'a', previous: null, reason: 'r', how: 'take' }),
      event(12, 'incident.resolved'),
    ],
    new Date(at(13)),
    {
      sla: { file: 'sample', targets: [{ severity: 'high', acknowledge: '1s', contain: '1m', resolve: '1m' }] },
      links: {
        duplicateOf: { incidentId: '00000000-0000-4000-8000-000000000001', relation: 'duplicate-of', title: 'Sample', status: 'open', reason: 'r', by: 'a', at: at(9) },
        mergedIn: [{ incidentId: '00000000-0000-4000-8000-000000000002', relation: 'duplicated-by', title: 'Sample', status: 'resolved', reason: null, by: null, at: null }],
        related: [{ incidentId: '00000000-0000-4000-8000-000000000003', relation: 'related', title: 'Sample', status: 'open', reason: 'r', by: 'a', at: at(9) }],
      },
      review: { state: 'published', revision: 1, signOffs: [{ reviewer: 'a', signedAt: at(12) }], published: { revision: 1, publishedAt: at(12) } },
    },
  );
}
