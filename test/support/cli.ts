import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** A CLI child process's exit status and output. */
export function finished(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Spawns `palisade <args>` from the checkout's source with `env` (this process's when not given). */
export function spawnCli(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `palisade <args>` as a user runs it: a child process from the checkout's source, with none of
 * this process's PALISADE_* variables, pointed at `apiUrl` with `token`.
 */
export function palisadeCli(args: string[], opts: { apiUrl: string; token: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_'))),
    PALISADE_API_URL: opts.apiUrl,
    PALISADE_TOKEN: opts.token,
    ...opts.env,
  };
  return finished(spawnCli(args, env));
}
