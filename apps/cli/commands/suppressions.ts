import { durationMs, DURATION_PATTERN } from '../../../lib/duration';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { printJson, say, table, utc } from './output';

interface Suppression {
  id: string;
  entityPattern: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  origin: 'api' | 'file';
}

/** `palisade suppressions ls [--all]`: the maintenance windows open now (with --all, closed ones too). */
export async function suppressionsList(client: ApiClient, opts: { all?: boolean; json?: boolean }): Promise<void> {
  const windows = await client.get<Suppression[]>('/suppressions', { all: opts.all ? 'true' : undefined });
  if (opts.json) return printJson(windows);
  if (windows.length === 0) return say(`No suppression window${opts.all ? '' : ' open (--all shows closed ones too)'}.`);
  say(table(['ID', 'ENTITY', 'FROM (UTC)', 'UNTIL (UTC)', 'BY', 'REASON'], windows.map((w) => [w.id, w.entityPattern, utc(w.startsAt), utc(w.endsAt), w.origin === 'file' ? 'file' : w.createdBy, w.reason])));
}

/** `palisade suppressions add <entity-pattern> --until <time|duration> --reason …` (admin). */
export async function suppressionsAdd(client: ApiClient, entityPattern: string, opts: { from?: string; until: string; reason: string; json?: boolean }): Promise<void> {
  const body = { entityPattern, reason: opts.reason, endsAt: ahead(opts.until, '--until'), ...(opts.from ? { startsAt: ahead(opts.from, '--from') } : {}) };
  const w = await client.post<Suppression>('/suppressions', body);
  if (opts.json) return printJson(w);
  say(`Window ${w.id}: alerts for ${w.entityPattern} are stored and open no incident from ${utc(w.startsAt)} until ${utc(w.endsAt)}.`);
}

/** `palisade suppressions rm <id>` (admin): closes a window now. */
export async function suppressionsRemove(client: ApiClient, id: string, opts: { json?: boolean }): Promise<void> {
  const closed = await client.delete<{ id: string }>(`/suppressions/${encodeURIComponent(id)}`);
  if (opts.json) return printJson(closed);
  say(`Window ${closed.id} closed.`);
}

/** An ISO 8601 time, or a duration ahead from now ("2h", "1d"). */
function ahead(value: string, option: string): string {
  if (DURATION_PATTERN.test(value)) return new Date(Date.now() + durationMs(value)).toISOString();
  if (!Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw new CliError(EXIT.usage, 'invalid_option', `${option} '${value}' is neither a time nor a duration.`, `e.g. ${option} 2h, or ${option} 2026-11-20T06:00:00Z`);
}
