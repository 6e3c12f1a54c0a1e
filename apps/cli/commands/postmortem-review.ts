import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { resolveIncidentId } from './incidents';
import { printJson, say, utc } from './output';

interface ActionItem {
  id: number;
  title: string;
  owner: string;
  due: string;
  status: 'open' | 'done';
  ticket: { vendor: string; project: string; status: string; key: string | null; url: string | null; error: string | null } | null;
}

interface SignOff {
  reviewer: string;
  note: string | null;
  signedAt: string;
}

interface Review {
  incidentId: string;
  state: 'none' | 'draft' | 'in_review' | 'published';
  current: {
    revision: number;
    state: string;
    editedBy: string | null;
    editedAt: string | null;
    submittedBy: string | null;
    content: { rootCause: string; contributingFactors: string[]; wentWell: string[]; wentBadly: string[]; actionItems: ActionItem[] };
    signOffs: SignOff[];
  } | null;
  published: { revision: number; publishedAt: string; signOffs: SignOff[] } | null;
  signOffsNeeded: number;
  actionItems: ActionItem[];
  suggestedActionItems: string[];
}

interface Change {
  incidentId: string;
  revision: number;
  state: string;
  signOffs?: SignOff[];
  tickets?: number;
}

export interface EditOptions {
  rootCause?: string;
  factor?: string[];
  wentWell?: string[];
  wentBadly?: string[];
  action?: string[];
  done?: string[];
  json?: boolean;
}

const path = (id: string, rest = '') => `/postmortems/${id}${rest}`;

/** `palisade review show <id>`: the review as it stands. */
export async function reviewShow(client: ApiClient, incident: string, opts: { json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const r = await client.get<Review>(path(id));
  if (opts.json) return printJson(r);
  if (!r.current) {
    say(`Nobody has written on the postmortem of ${id} yet.`);
    if (r.suggestedActionItems.length > 0) {
      say('Suggested action items:');
      for (const s of r.suggestedActionItems) say(`  - ${s}`);
    }
    say(`Start it: palisade review edit ${id} --root-cause "…" --action "what|owner|YYYY-MM-DD"`);
    return;
  }
  const c = r.current;
  say(`Postmortem of ${id}: revision ${c.revision}, ${c.state.replace('_', ' ')}${c.editedBy ? ` (last edit by ${c.editedBy}, ${utc(c.editedAt)})` : ''}`);
  if (r.published) say(`  published: revision ${r.published.revision} at ${utc(r.published.publishedAt)}, signed off by ${r.published.signOffs.map((s) => `${s.reviewer} (${utc(s.signedAt)})`).join(' and ')}`);
  if (c.state === 'in_review') say(`  sign-offs: ${c.signOffs.length} of ${r.signOffsNeeded}${c.signOffs.length ? ` (${c.signOffs.map((s) => s.reviewer).join(', ')})` : ''}`);
  say('');
  say(`Root cause: ${c.content.rootCause || '—'}`);
  for (const [title, list] of [
    ['Contributing factors', c.content.contributingFactors],
    ['What went well', c.content.wentWell],
    ['What went badly', c.content.wentBadly],
  ] as const) {
    say(`${title}:${list.length ? '' : ' —'}`);
    for (const line of list) say(`  - ${line}`);
  }
  say(`Action items:${r.actionItems.length ? '' : ' —'}`);
  for (const a of r.actionItems) {
    const ticket = a.ticket ? ` · ticket ${a.ticket.key ?? '(not yet opened)'} ${a.ticket.status}${a.ticket.error ? ` (${a.ticket.error})` : ''}` : '';
    say(`  ${a.id}. [${a.status === 'done' ? 'x' : ' '}] ${a.title} — ${a.owner}, due ${a.due}${ticket}`);
  }
}

/**
 * `palisade review edit <id>`: writes the fields given; `--action "title|owner|YYYY-MM-DD"`
 * adds an action item to the current list, `--done <n>` marks item n done.
 */
export async function reviewEdit(client: ApiClient, incident: string, opts: EditOptions): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const body: Record<string, unknown> = {};
  if (opts.rootCause !== undefined) body.rootCause = opts.rootCause;
  if (opts.factor) body.contributingFactors = opts.factor;
  if (opts.wentWell) body.wentWell = opts.wentWell;
  if (opts.wentBadly) body.wentBadly = opts.wentBadly;
  if (opts.action || opts.done) {
    const current = (await client.get<Review>(path(id))).actionItems.map(({ id: n, title, owner, due, status }) => ({ id: n, title, owner, due, status }));
    const done = new Set((opts.done ?? []).map((d) => itemNumber(d)));
    for (const n of done) if (!current.some((a) => a.id === n)) throw new CliError(EXIT.usage, 'unknown_action_item', `There is no action item ${n}.`, `palisade review show ${id} lists them.`);
    body.actionItems = [...current.map((a) => (done.has(a.id) ? { ...a, status: 'done' } : a)), ...(opts.action ?? []).map(parseAction)];
  }
  if (Object.keys(body).length === 0) throw new CliError(EXIT.usage, 'nothing_to_edit', 'Nothing to write.', 'Give --root-cause, --factor, --went-well, --went-badly, --action or --done.');
  const changed = await client.patch<Change>(path(id), body);
  if (opts.json) return printJson(changed);
  say(`Saved revision ${changed.revision} (${changed.state.replace('_', ' ')}).`);
}

export async function reviewSubmit(client: ApiClient, incident: string, opts: { json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const changed = await client.post<Change>(path(id, '/submit'), {});
  if (opts.json) return printJson(changed);
  say(`Revision ${changed.revision} is in review${changed.tickets ? `; ${changed.tickets} action item ticket(s) queued` : ''}. Two other people sign it off: palisade review sign-off ${id}`);
}

export async function reviewSignOff(client: ApiClient, incident: string, opts: { note?: string; json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const changed = await client.post<Change>(path(id, '/sign-off'), opts.note ? { note: opts.note } : {});
  if (opts.json) return printJson(changed);
  const who = (changed.signOffs ?? []).map((s) => s.reviewer).join(' and ');
  say(changed.state === 'published' ? `Revision ${changed.revision} is published, signed off by ${who}.` : `Signed off (${who}); it needs one more reviewer.`);
}

export async function reviewRevise(client: ApiClient, incident: string, opts: { reason: string; json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const changed = await client.post<Change>(path(id, '/revisions'), { reason: opts.reason });
  if (opts.json) return printJson(changed);
  say(`Revision ${changed.revision} started as a draft copy of the published one.`);
}

export async function reviewRevisions(client: ApiClient, incident: string, opts: { json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const list = await client.get<{ revisions: { revision: number; state: string; editedBy: string | null; publishedAt: string | null; signOffs: SignOff[] }[] }>(path(id, '/revisions'));
  if (opts.json) return printJson(list);
  for (const r of list.revisions) {
    say(`  ${r.revision}  ${r.state.padEnd(10)} ${r.editedBy ? `edited by ${r.editedBy}` : ''}${r.publishedAt ? `, published ${utc(r.publishedAt)} (${r.signOffs.map((s) => s.reviewer).join(', ')})` : ''}`);
  }
}

type Item = { id: number; title: string; owner: string; due: string };
type DiffChange =
  | { field: 'rootCause'; from: string; to: string }
  | { field: 'contributingFactors' | 'wentWell' | 'wentBadly'; added: string[]; removed: string[] }
  | { field: 'actionItems'; added: Item[]; removed: Item[]; changed: { id: number; from: Record<string, string>; to: Record<string, string> }[] };

export async function reviewDiff(client: ApiClient, incident: string, from: string, to: string, opts: { json?: boolean }): Promise<void> {
  const id = await resolveIncidentId(client, incident);
  const diff = await client.get<{ changes: DiffChange[] }>(path(id, '/revisions/diff'), { from: itemNumber(from), to: itemNumber(to) });
  if (opts.json) return printJson(diff);
  if (diff.changes.length === 0) return say(`Revisions ${from} and ${to} say the same.`);
  const item = (x: Item) => `${x.id}. ${x.title} (${x.owner}, ${x.due})`;
  for (const c of diff.changes) {
    say(`${c.field}:`);
    if (c.field === 'rootCause') {
      say(`  - ${c.from}`);
      say(`  + ${c.to}`);
    } else if (c.field === 'actionItems') {
      for (const x of c.removed) say(`  - ${item(x)}`);
      for (const x of c.added) say(`  + ${item(x)}`);
      for (const x of c.changed) say(`  ~ ${x.id}. ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`);
    } else {
      for (const x of c.removed) say(`  - ${x}`);
      for (const x of c.added) say(`  + ${x}`);
    }
  }
}

function itemNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(EXIT.usage, 'invalid_argument', `'${value}' is not a positive whole number.`, 'Give the number `palisade review show` prints.');
  return n;
}

function parseAction(value: string): { title: string; owner: string; due: string } {
  const [title, owner, due, ...rest] = value.split('|').map((s) => s.trim());
  if (!title || !owner || !due || rest.length > 0) {
    throw new CliError(EXIT.usage, 'invalid_option', `--action "${value}" is not "title|owner|YYYY-MM-DD".`, 'e.g. --action "Alarm on console changes|dana|2026-12-20"');
  }
  return { title, owner, due };
}
