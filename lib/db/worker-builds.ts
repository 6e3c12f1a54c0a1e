import { gunzipSync, gzipSync } from 'node:zlib';
import type { DataSource } from 'typeorm';

/**
 * Keeps a worker version's workflow bundle in Postgres, once per build id: a promotion replays
 * the open incidents on the candidate's very code (apps/api/deploys/), wherever its worker runs.
 * The same build id is the same code (lib/temporal/build-id.ts), so a second worker of it sends nothing.
 */
export async function registerBuild(db: DataSource, deploymentName: string, buildId: string, code: string): Promise<void> {
  const [known] = await db.query<unknown[]>(`SELECT 1 FROM worker_builds WHERE deployment_name = $1 AND build_id = $2`, [deploymentName, buildId]);
  if (known) return;
  await db.query(`INSERT INTO worker_builds (deployment_name, build_id, bundle) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [deploymentName, buildId, gzipSync(code, { level: 1 })]);
}

/** The workflow bundle a version's worker registered, or undefined when none did. */
export async function registeredBundle(db: DataSource, deploymentName: string, buildId: string): Promise<{ code: string } | undefined> {
  const [row] = await db.query<{ bundle: Buffer }[]>(`SELECT bundle FROM worker_builds WHERE deployment_name = $1 AND build_id = $2`, [deploymentName, buildId]);
  return row ? { code: gunzipSync(row.bundle).toString('utf8') } : undefined;
}
