import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CliSettings } from '../../../lib/config/cli';
import { webhookSecretVariable } from '../../../lib/config/env';
import { SOURCES, type SourceName } from '../../../lib/intake/alert';
import { signedHeaders } from '../../../lib/intake/signing';
import { SOURCE_ADAPTERS } from '../../../lib/intake/sources';
import { parseEnvFile } from '../start/dev-secrets';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { printJson, say } from './output';

export interface AlertSendOptions {
  secret?: string;
  delivery?: string;
  /** GitHub: the X-GitHub-Event header. */
  event: string;
  json?: boolean;
}

interface StoredAlert {
  alertId: string;
  incidentId: string | null;
  disposition: 'started' | 'merged' | 'suppressed' | 'duplicate';
}

/** What POST /webhooks/:source answers: one alert, several, or a control message (a GitHub ping). */
type IntakeAnswer = { alertIds: string[]; incidentId?: string | null; disposition?: StoredAlert['disposition']; alerts?: StoredAlert[]; status?: string; message?: string };

/**
 * `palisade alert send <source> <file>`: POSTs a saved payload to /webhooks/<source>, signed
 * the way that source is verified (apps/api/webhooks/auth/verify.ts), for drills and tests.
 */
export async function alertSend(client: ApiClient, settings: CliSettings, source: string, file: string, opts: AlertSendOptions): Promise<void> {
  const name = knownSource(source);
  const body = readPayload(file);
  const secret = opts.secret ?? secretFor(name, settings);
  const headers = signedHeaders(SOURCE_ADAPTERS[name].auth, body, secret, opts);
  const answer = await client.postSigned<IntakeAnswer>(`/webhooks/${name}`, body, headers);
  if (opts.json) return printJson(answer.body);
  for (const line of describe(answer.body)) say(line);
}

function knownSource(source: string): SourceName {
  if (!(SOURCES as readonly string[]).includes(source)) {
    throw new CliError(EXIT.usage, 'unknown_source', `There is no webhook source '${source}'.`, `Known sources: ${SOURCES.join(', ')}.`);
  }
  return source as SourceName;
}

/** The file's bytes, sent exactly as they are (the signature covers them), once known to be JSON. */
function readPayload(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
    JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CliError(EXIT.usage, 'unreadable_payload', `${file} is not a readable JSON file: ${(err as Error).message}.`, 'Save the payload the vendor sends as a JSON file (test/fixtures/webhooks/ has one per source).');
  }
  return bytes;
}

/** --secret, else PALISADE_WEBHOOK_SECRET_<SOURCE>, else what `npm start` wrote to <data>/secrets.env. */
export function secretFor(source: SourceName, settings: CliSettings): string {
  const variable = webhookSecretVariable(source);
  const fromEnv = settings.webhookSecrets(source)[0];
  if (fromEnv) return fromEnv;
  const file = path.join(settings.dataDir, 'secrets.env');
  const stored = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8'))[variable] : undefined;
  if (stored) return stored;
  throw new CliError(
    EXIT.usage,
    'no_webhook_secret',
    `No secret to sign the ${source} webhook with: --secret is not given, ${variable} is not set, and ${file} does not exist or does not name it.`,
    `Pass --secret <the API's ${variable}>, set ${variable}, or run the CLI beside the engine \`npm start\` runs (same PALISADE_DATA_DIR).`,
  );
}

function describe(answer: IntakeAnswer): string[] {
  if (answer.status === 'ok') return [answer.message ?? 'Accepted: no alert in this delivery.'];
  const alerts: StoredAlert[] = answer.alerts ?? [{ alertId: answer.alertIds[0] ?? '?', incidentId: answer.incidentId ?? null, disposition: answer.disposition ?? 'started' }];
  const lines = alerts.map((a) => {
    switch (a.disposition) {
      case 'started':
        return `started     incident ${a.incidentId}  (alert ${a.alertId})`;
      case 'merged':
        return `merged      into incident ${a.incidentId}  (alert ${a.alertId})`;
      case 'suppressed':
        return `suppressed  stored, no incident  (alert ${a.alertId})`;
      case 'duplicate':
        return `duplicate   already received${a.incidentId ? `: incident ${a.incidentId}` : ''}  (alert ${a.alertId})`;
    }
  });
  const incident = alerts.find((a) => a.incidentId)?.incidentId;
  return incident ? [...lines, `Follow it: palisade incidents tail ${incident}`] : lines;
}
