import { Client as PgClient } from 'pg';
import { describeError, PalisadeError, redactUrl } from '../../../lib/errors';
import { temporalAnswers } from './temporal-dev-server';

/** Fails with the variable and the address tried when DATABASE_URL does not answer. */
export async function assertDatabaseReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new PgClient({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new PalisadeError(
      'database_unreachable',
      `Postgres at DATABASE_URL (${redactUrl(url)}) did not answer: ${describeError(err)}.`,
      'Start that server or correct DATABASE_URL; unset DATABASE_URL to use the embedded Postgres instead.',
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Fails with the variable and the address tried when TEMPORAL_ADDRESS does not answer. */
export async function assertTemporalReachable(address: string, timeoutMs = 5_000): Promise<void> {
  if (!(await temporalAnswers(address, timeoutMs))) {
    throw new PalisadeError(
      'temporal_unreachable',
      `Temporal at TEMPORAL_ADDRESS (${address}) did not answer within ${timeoutMs / 1000} s.`,
      'Start that server or correct TEMPORAL_ADDRESS (host:port of its frontend); unset it to let Palisade start a Temporal dev server.',
    );
  }
}
