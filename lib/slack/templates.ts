import Handlebars from 'handlebars';
import { compileTemplateFile } from '../template-file';
import * as path from 'node:path';
import { PalisadeError } from '../errors';

/** The templates under runbooks/templates/slack, one per message Palisade posts. */
export const SLACK_TEMPLATES = ['approval', 'escalation', 'fallback', 'deny-reason-modal'] as const;
export type SlackTemplateName = (typeof SLACK_TEMPLATES)[number];

/** A message as chat.postMessage / chat.update take it: fallback text and Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** A Block Kit block as far as Palisade checks it: an object with a `type`. */
export interface SlackBlock {
  type: string;
  [field: string]: unknown;
}

/** Slack's mrkdwn escaping: only &, < and > are special. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A string's contents as they go between JSON quotes. */
function jsonInner(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Block Kit templates operators edit without touching code: Handlebars producing JSON. Every
 * value goes through a helper, so a title with quotes, `<!channel>` or newlines can neither
 * break the JSON nor ping anyone:
 *   {{mrkdwn x}}  text inside a JSON string, Slack-escaped
 *   {{plain x}}   text inside a JSON string (plain_text fields), not Slack-escaped
 *   {{json x}}    a whole JSON value (a button's `value`, a list)
 *   {{date iso}}  a date inside a JSON string that each reader sees in their own time zone
 * Templates are compiled when the process starts: a broken one stops it with the file's name.
 */
export class SlackTemplates {
  private readonly compiled = new Map<SlackTemplateName, HandlebarsTemplateDelegate>();

  constructor(private readonly dir: string) {
    const hb = Handlebars.create();
    hb.registerHelper('mrkdwn', (value: unknown) => jsonInner(escapeMrkdwn(text(value))));
    hb.registerHelper('plain', (value: unknown) => jsonInner(text(value)));
    hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
    hb.registerHelper('date', (value: unknown) => {
      const iso = text(value);
      const seconds = Math.floor(Date.parse(iso) / 1000);
      return Number.isFinite(seconds) ? jsonInner(`<!date^${seconds}^{date_short_pretty} {time}|${iso}>`) : jsonInner(iso);
    });
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    for (const name of SLACK_TEMPLATES) {
      this.compiled.set(name, compileTemplateFile(hb, this.file(name), { noEscape: true, strict: false }, invalid));
    }
  }

  /** Renders a message template (approval, escalation, fallback) into text and blocks. */
  message(name: Exclude<SlackTemplateName, 'deny-reason-modal'>, view: object): SlackMessage {
    const rendered = this.render(name, view);
    const blocks = rendered.blocks;
    if (typeof rendered.text !== 'string' || !Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50 || !blocks.every(isBlock)) {
      throw invalid(this.file(name), 'must render an object with "text" (a string) and "blocks" (1 to 50 objects, each with a "type")');
    }
    return { text: rendered.text, blocks };
  }

  /** Renders a modal view (views.open). */
  modal(name: 'deny-reason-modal', view: object): Record<string, unknown> {
    const rendered = this.render(name, view);
    if (rendered.type !== 'modal') throw invalid(this.file(name), 'must render a view whose "type" is "modal"');
    return rendered;
  }

  private render(name: SlackTemplateName, view: object): Record<string, unknown> {
    const output = this.compiled.get(name)!(view);
    try {
      const parsed: unknown = JSON.parse(output);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as Record<string, unknown>;
    } catch (err) {
      throw invalid(this.file(name), `did not render valid JSON (${(err as Error).message}); put every value through {{mrkdwn}}, {{plain}}, {{json}} or {{date}}`);
    }
  }

  private file(name: SlackTemplateName): string {
    return path.join(this.dir, `${name}.json.hbs`);
  }
}

function isBlock(value: unknown): value is SlackBlock {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('slack_template_invalid', `Slack template ${file}: ${reason}.`, 'Fix the template (runbooks/templates/slack/README.md lists the helpers and fields) and start again.');
}
