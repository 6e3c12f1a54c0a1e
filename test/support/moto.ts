import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../apps/cli/start/ports';
import { spawnCollecting } from './processes';

/**
 * moto's server mode (https://docs.getmoto.org/en/latest/docs/server_mode.html): a real HTTP
 * endpoint that speaks the AWS APIs with real state, for the AWS providers' tests.
 * Installed once into `.cache/moto/<version>` (git-ignored); MOTO_SERVER_PATH may name an
 * existing `moto_server` executable instead.
 */
export const MOTO_VERSION = '5.2.5';
export const MOTO_REGION = 'us-east-1';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'moto');
const HOST = '127.0.0.1';
const INSTALL_HINT =
  `Install Python 3 with venv and pip (Debian: apt-get install python3-venv python3-pip) so the tests can run ` +
  `pip install 'moto[server]==${MOTO_VERSION}' themselves, or install moto yourself (pip install 'moto[server]') ` +
  `and set MOTO_SERVER_PATH to its moto_server executable.`;

const run = promisify(execFile);

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
  const command = process.env.MOTO_SERVER_PATH ? [process.env.MOTO_SERVER_PATH] : [path.join(await ensureVenv(), 'bin', 'python'), '-m', 'moto.server'];
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

/**
 * The venv holding the pinned moto, built in a private directory and renamed into place, so
 * test files installing at the same time never see (or break) a half-built one. The venv is
 * used through `bin/python -m moto.server`, which survives the rename (script shebangs would not).
 */
async function ensureVenv(): Promise<string> {
  const venv = path.join(CACHE_DIR, MOTO_VERSION);
  if (existsSync(path.join(venv, 'bin', 'python'))) return venv;

  const python = process.env.PYTHON ?? 'python3';
  try {
    await run(python, ['--version']);
  } catch {
    throw new Error(`moto is needed for the AWS provider tests, but ${python} was not found. ${INSTALL_HINT}`);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const building = path.join(CACHE_DIR, `${MOTO_VERSION}.building-${process.pid}-${Date.now()}`);
  console.log(`Installing moto[server]==${MOTO_VERSION} into ${venv} (first run only, can take a minute)…`);
  try {
    await run(python, ['-m', 'venv', building]);
    await run(path.join(building, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    const detail = err instanceof Error ? err.message.slice(-2000) : String(err);
    throw new Error(`Could not install moto[server]==${MOTO_VERSION} into ${venv}: ${detail}\n${INSTALL_HINT}`);
  }
  try {
    renameSync(building, venv);
  } catch (err) {
    // Another test file finished first (the target exists and is not empty): use theirs.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(path.join(venv, 'bin', 'python'))) throw err;
  }
  return venv;
}
