import { createHmac } from 'node:crypto';
import type { SourceName } from '../../lib/intake/alert';
import { testSecret } from './engine';

export interface Sent {
  status: number;
  body: any;
  headers: Headers;
}

/** Posts a generic alert signed as Palisade's generic source expects. */
export async function sendGeneric(
  baseUrl: string,
  payload: unknown,
  opts: { delivery?: string; timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const body = JSON.stringify(payload);
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', opts.secret ?? testSecret('generic')).update(`${timestamp}.${body}`).digest('hex');
  return post(`${baseUrl}/webhooks/generic`, body, {
    'content-type': 'application/json',
    'x-palisade-timestamp': timestamp,
    'x-palisade-signature': `v1=${signature}`,
    ...(opts.delivery ? { 'x-palisade-delivery': opts.delivery } : {}),
    ...opts.headers,
  });
}

/** Posts a GitHub event signed with X-Hub-Signature-256. */
export async function sendGithub(baseUrl: string, event: string, payload: unknown, delivery: string): Promise<Sent> {
  const body = JSON.stringify(payload);
  const signature = createHmac('sha256', testSecret('github')).update(body).digest('hex');
  return post(`${baseUrl}/webhooks/github`, body, {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${signature}`,
  });
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Sent> {
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Leave it as text: the assertion will show it.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export function genericAlert(entityKey: string, overrides: Record<string, unknown> = {}) {
  return {
    title: `Suspicious process on ${entityKey}`,
    severity: 'high',
    category: 'host-compromise',
    entity: { kind: 'host', key: entityKey },
    ...overrides,
  };
}

/** Posts a vendor's JSON with its shared token (`Authorization: Bearer`), as token-scheme sources and EventBridge API destinations send it. */
export async function sendWithToken(baseUrl: string, source: SourceName, payload: unknown): Promise<Sent> {
  return post(`${baseUrl}/webhooks/${source}`, JSON.stringify(payload), { 'content-type': 'application/json', authorization: `Bearer ${testSecret(source)}` });
}
