// The test engine (in-process API and worker, a database of its own) as a DrillCluster, so
// npm test can run the drills' short versions. No process control: `processes` is empty.
import { inject } from 'vitest';
import type { DrillCluster } from '../../bench/drills/drill';
import { webhookSecretVariable } from '../../lib/config/env';
import { SOURCES } from '../../lib/intake/alert';
import { startTestEngine, testSecret, TEST_ADMIN_TOKEN, TEST_REDACTION_KEY, type TestEngine } from './engine';

export interface DrillTarget {
  cluster: DrillCluster;
  engine: TestEngine;
  close: () => Promise<void>;
}

/** Appends what `stream` writes to `into` (still writing it through); returns the undo. */
function capture(stream: NodeJS.WriteStream, into: string[]): () => void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  });
  return () => {
    stream.write = original;
  };
}

/**
 * Starts a test engine with the API's logs on and this process's stdout and stderr captured
 * (the API and worker log there): `cluster.logs()` is everything written since.
 */
export async function startDrillTarget(env: NodeJS.ProcessEnv = {}): Promise<DrillTarget> {
  const logs: string[] = [];
  const restore = [capture(process.stdout, logs), capture(process.stderr, logs)];
  let engine: TestEngine;
  try {
    engine = await startTestEngine({ env, apiLogs: true });
  } catch (err) {
    restore.forEach((r) => r());
    throw err;
  }
  const secrets: Record<string, string | undefined> = {
    ...Object.fromEntries(SOURCES.map((s) => [webhookSecretVariable(s), testSecret(s)])),
    PALISADE_REDACTION_KEY: TEST_REDACTION_KEY,
    PALISADE_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
    ...env,
  };
  const cluster: DrillCluster = {
    apiUrl: engine.baseUrl,
    databaseUrl: engine.databaseUrl,
    temporalAddress: inject('temporalAddress'),
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: engine.taskQueue,
    adminToken: TEST_ADMIN_TOKEN,
    secret: (variable) => {
      const value = secrets[variable];
      if (value === undefined) throw new Error(`the test engine runs without ${variable}`);
      return value;
    },
    logs: () => logs.join(''),
    processes: {},
  };
  return {
    cluster,
    engine,
    close: async () => {
      try {
        await engine.close();
      } finally {
        restore.forEach((r) => r());
      }
    },
  };
}
