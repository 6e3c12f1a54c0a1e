import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { durationMs } from '../duration';
import type { SourceName } from '../intake/alert';
import { signedHeaders } from '../intake/signing';
import { SOURCE_ADAPTERS } from '../intake/sources';
import type { ScenarioAlert, ScenarioHost } from './scenario';

/** One webhook delivery to make: when (from the start) and the bytes; signed when it is sent. */
export interface PlannedAlert {
  atMs: number;
  source: SourceName;
  body: Buffer;
  event: string;
  delivery: string;
  /** A SIEM retrying an earlier delivery: same bytes and delivery id, signed anew. */
  duplicate: boolean;
}

/** How long after the first delivery each duplicate comes (a new second: a new signature). */
export const DUPLICATE_DELAY_MS = 1_500;

/**
 * Expands an alert entry into its deliveries, oldest first: `{{host}}` cycles through the
 * hosts, `{{i}}` counts from 1; each duplicate follows its original DUPLICATE_DELAY_MS later.
 */
export function planAlerts(spec: ScenarioAlert, hosts: ScenarioHost[]): PlannedAlert[] {
  const start = durationMs(spec.at);
  const spread = spec.over ? durationMs(spec.over) : 0;
  const targets = typeof spec.hosts === 'string' ? hosts.filter((h) => h.id.startsWith(spec.hosts as string)).map((h) => h.id) : (spec.hosts ?? []);
  const template: unknown = spec.payload ?? JSON.parse(readFileSync(spec.fixture!, 'utf8'));
  const originals = Array.from({ length: spec.count }, (_, n): PlannedAlert => {
    const vars: Record<string, string> = { i: String(n + 1), host: targets.length ? targets[n % targets.length] : '' };
    return {
      atMs: start + (spec.count > 1 ? Math.floor((spread * n) / spec.count) : 0),
      source: spec.source,
      body: Buffer.from(JSON.stringify(fill(template, vars))),
      event: spec.event,
      delivery: randomUUID(),
      duplicate: false,
    };
  });
  const duplicates = originals.flatMap((a) => Array.from({ length: spec.duplicates }, (_, d) => ({ ...a, atMs: a.atMs + (d + 1) * DUPLICATE_DELAY_MS, duplicate: true })));
  return [...originals, ...duplicates].sort((a, b) => a.atMs - b.atMs);
}

/** The headers `palisade alert send` would sign this delivery with. */
export function headersFor(alert: PlannedAlert, secret: string): Record<string, string> {
  return signedHeaders(SOURCE_ADAPTERS[alert.source].auth, alert.body, secret, { delivery: alert.delivery, event: alert.event });
}

function fill(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (m, name: string) => vars[name] ?? m);
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}
