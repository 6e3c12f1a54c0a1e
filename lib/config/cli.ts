import * as path from 'node:path';
import { z } from 'zod';
import { PalisadeError } from '../errors';
import type { SourceName } from '../intake/alert';
import { webhookSecretVariable } from './env';

/**
 * What the `palisade` CLI reads from the environment to talk to a running engine: which API,
 * which token, and (for `alert send`) the webhook secrets and the data folder `npm start`
 * writes them to. Kept apart from `loadConfig`, which validates the engine's whole
 * environment: a client need not carry the engine's variables.
 */
export interface CliSettings {
  /** The API's base URL, without a trailing slash. */
  apiUrl: string;
  /** Where apiUrl came from, for error hints. */
  apiUrlFrom: 'PALISADE_API_URL' | 'HOST/PORT';
  /** PALISADE_TOKEN, if set. */
  token: string | undefined;
  /** Absolute path of the data folder (`npm start` writes `secrets.env` there). */
  dataDir: string;
  /** PALISADE_WEBHOOK_SECRET_<SOURCE>: the secrets the environment gives a source (first one signs). */
  webhookSecrets(source: SourceName): string[];
}

const cliSchema = z.object({
  PALISADE_API_URL: z.string().trim().optional().transform((v) => (v ? v : undefined)).pipe(z.string().url().optional()),
  PALISADE_TOKEN: z.string().trim().optional().transform((v) => (v ? v : undefined)),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PALISADE_DATA_DIR: z.string().default('.palisade'),
});

export function loadCliSettings(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): CliSettings {
  const parsed = cliSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new PalisadeError('invalid_environment', `Some environment variables are not valid: ${problems}.`, 'Fix or unset them; README.md ("CLI") lists what the CLI reads.');
  }
  const e = parsed.data;
  // An API listening on every interface is reached on loopback.
  const host = ['0.0.0.0', '::', ''].includes(e.HOST) ? '127.0.0.1' : e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  return {
    apiUrl: (e.PALISADE_API_URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    apiUrlFrom: e.PALISADE_API_URL ? 'PALISADE_API_URL' : 'HOST/PORT',
    token: e.PALISADE_TOKEN,
    dataDir: path.resolve(cwd, e.PALISADE_DATA_DIR),
    webhookSecrets: (source) =>
      (env[webhookSecretVariable(source)] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
  };
}
