import path from 'node:path';
import { freePort } from '../../apps/cli/start/ports';
import { spawnCollecting } from './processes';
import { pythonTool } from './python-tool';

/**
 * moto's server mode (https://docs.getmoto.org/en/latest/docs/server_mode.html): a real HTTP
 * endpoint that speaks the AWS APIs with real state, for the AWS providers' tests.
 * Installed once into `.cache/moto/<version>` (git-ignored); MOTO_SERVER_PATH may name an
 * existing `moto_server` executable instead.
 */
export const MOTO_VERSION = '5.2.5';
export const MOTO_REGION = 'us-east-1';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const HOST = '127.0.0.1';
const INSTALL_HINT =
  `Install Python 3 with venv and pip (Debian: apt-get install python3-venv python3-pip) so the tests can run ` +
  `pip install 'moto[server]==${MOTO_VERSION}' themselves, or install moto yourself (pip install 'moto[server]') ` +
  `and set MOTO_SERVER_PATH to its moto_server executable.`;

export interface Moto {
  endpoint: string;
  region: string;
  stop(): Promise<void>;
}

/** Client settings for SDK v3 clients pointed at moto: fixed test credentials, never process.env. */
export function motoClientConfig(moto: Pick<Moto, 'endpoint' | 'region'>): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  return { endpoint: moto.endpoint, region: moto.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
}

/**
 * Starts a fresh moto server on a free loopback port (installing moto the first time). Safe to
 * call concurrently. `env` adds moto settings, e.g. MOTO_IAM_LOAD_MANAGED_POLICIES=true for
 * AWS managed policies such as AdministratorAccess (moto/settings.py, load_iam_aws_managed_policies).
 */
export async function startMoto(opts: { env?: Record<string, string> } = {}): Promise<Moto> {
  const command = process.env.MOTO_SERVER_PATH
    ? [process.env.MOTO_SERVER_PATH]
    : [await pythonTool({ name: 'moto', version: MOTO_VERSION, requirement: `moto[server]==${MOTO_VERSION}`, hint: INSTALL_HINT }), '-m', 'moto.server'];
  const port = await freePort(HOST);
  const [exe, ...pre] = command as [string, ...string[]];
  const spawned = spawnCollecting(exe, [...pre, '-p', String(port), '-H', HOST], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env, PYTHONUNBUFFERED: '1' } });
  spawned.child.once('error', () => undefined); // surfaced below through `exited`
  let exitCode: number | null | undefined;
  void spawned.exited.then((code) => (exitCode = code));
  const endpoint = `http://${HOST}:${port}`;
  const kill = (): void => {
    if (exitCode === undefined && spawned.child.pid) {
      try {
        process.kill(-spawned.child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', kill);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`moto_server exited (code ${exitCode}) before answering:\n${spawned.output().slice(-2000)}\n${INSTALL_HINT}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`moto_server did not answer on ${endpoint} within 30 s:\n${spawned.output().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  return {
    endpoint,
    region: MOTO_REGION,
    async stop() {
      process.removeListener('exit', kill);
      if (exitCode !== undefined) return;
      kill();
      const killer = setTimeout(() => {
        try {
          if (spawned.child.pid) process.kill(-spawned.child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 5000);
      await spawned.exited;
      clearTimeout(killer);
    },
  };
}
