import { Logger } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { SecretScanningProvider } from '../../../activities/providers/secret-scanning/secret-scanning.provider';
import type { SecretDescriptor } from '../../../lib/intake/alert';
import type { LeakedSecretAnswer, LeakedSecretLookup, LeakedSecretRef } from '../../../lib/intake/source';

/** The code host's client as the door uses it: reads one alert's secret, reduced to its descriptor. */
export interface DoorSecretReader {
  reader: Pick<SecretScanningProvider, 'describeSecret'>;
  /** How long a delivery waits for it (settings.github.intakeTimeoutMs). */
  timeoutMs: number;
}

/**
 * The door's LeakedSecretLookup: an earlier delivery of the same alert (same alert key) decides,
 * so every delivery about one GitHub alert joins the same incident and GitHub is asked once;
 * otherwise GitHub's REST API, within a short deadline. Only the descriptor comes back.
 */
export class LeakedSecrets implements LeakedSecretLookup {
  private readonly log = new Logger('Intake');

  constructor(
    private readonly db: DataSource,
    private readonly github: DoorSecretReader | undefined,
  ) {}

  async find(ref: LeakedSecretRef): Promise<LeakedSecretAnswer> {
    let prior: { entity_key: string; secrets: SecretDescriptor[] | null } | undefined;
    try {
      [prior] = await this.db.query<{ entity_key: string; secrets: SecretDescriptor[] | null }[]>(
        `SELECT entity_key, secrets FROM alerts WHERE source = $1 AND fingerprint = $2 ORDER BY received_at DESC LIMIT 1`,
        [ref.source, ref.alertKey],
      );
    } catch {
      // Postgres did not answer: storing the alert will not either, and the sender gets 503 then.
      return { missing: 'Postgres did not answer' };
    }
    if (prior) {
      // Keyed by the secret's fingerprint when the secret was known; by repository and number when not.
      const secret = prior.secrets?.find((s) => prior.entity_key === `secret:${s.fingerprint}`);
      return secret ? { secret } : { missing: 'an earlier delivery of this alert was taken without it' };
    }
    if (!this.github) return { missing: 'no secretScanning vendor in runbooks/providers.yaml' };
    const what = `alert #${ref.alertNumber} in ${ref.repository}`;
    try {
      const secret = await deadline(this.github.reader.describeSecret({ idempotencyKey: `intake/${ref.alertKey}`, incidentId: '' }, ref), this.github.timeoutMs);
      return { secret };
    } catch (err) {
      const missing = err instanceof ApplicationFailure ? `${err.type ?? 'error'}: ${err.message}` : (err as Error).message;
      this.log.warn(`github ${what}: the secret was not read (${missing}); the incident is keyed by repository and alert number`);
      return { missing };
    }
  }
}

function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`GitHub did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
