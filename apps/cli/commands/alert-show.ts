import type { ApiClient } from './api-client';
import { printJson, say, utc } from './output';

interface AlertJson {
  id: string;
  source: string;
  title: string;
  severity: string;
  category: string;
  entity?: { kind: string; key: string; display?: string };
  incidentId?: string | null;
  observedAt?: string;
  description?: string;
}

/** `palisade alert show <id> [--ocsf]`: a stored alert, normalized, or as the OCSF Detection Finding the API serves (JSON). */
export async function alertShow(client: ApiClient, id: string, opts: { ocsf?: boolean; json?: boolean }): Promise<void> {
  if (opts.ocsf) return printJson(await client.get<unknown>(`/alerts/${encodeURIComponent(id)}`, { format: 'ocsf' }));
  const alert = await client.get<AlertJson>(`/alerts/${encodeURIComponent(id)}`);
  if (opts.json) return printJson(alert);
  say(alert.title);
  const rows: [string, string][] = [
    ['id', alert.id],
    ['source', alert.source],
    ['severity', alert.severity],
    ['category', alert.category],
    ['entity', alert.entity ? `${alert.entity.kind}:${alert.entity.key}` : '—'],
    ['observed', utc(alert.observedAt)],
    ['incident', alert.incidentId ?? '—'],
  ];
  for (const [k, v] of rows) say(`  ${k.padEnd(10)}${v}`);
  if (alert.description) say(`\n${alert.description}`);
}
