import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';

export interface GoInstall {
  /** The `go` binary. */
  go: string;
  /** `module/path/cmd/x@version`. */
  pkg: string;
  /** The binary `go install` writes (the package's last path element). */
  binary: string;
  /** Where the binary goes. */
  target: string;
  /** What is built, for the person waiting ("the Temporal CLI v1.5.1"). */
  what: string;
  /** How long the first build takes, for the person waiting ("3 to 6 minutes"). */
  takes: string;
  /** What to do when the build fails, after the cause. */
  hint: string;
  /** The error's code when the build fails. */
  failure: string;
  env: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

/**
 * `go install` into the project's cache. Builds into a scratch folder and moves the binary
 * into place, so an interrupted build never leaves a half-written binary where the next start
 * would trust it.
 */
export async function goInstall(opts: GoInstall): Promise<void> {
  const scratch = `${path.dirname(opts.target)}.building-${process.pid}-${opts.binary}`;
  mkdirSync(scratch, { recursive: true });
  opts.say(`Building ${opts.what} with Go into ${path.dirname(opts.target)} (first run only: this takes ${opts.takes}; later starts reuse it)...`);
  const started = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(opts.go, ['install', opts.pkg], {
      env: { ...opts.env, GOBIN: scratch, GOFLAGS: opts.env.GOFLAGS ?? '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !isExecutable(path.join(scratch, opts.binary))) {
    rmSync(scratch, { recursive: true, force: true });
    const tail = output.filter((l) => !l.startsWith('go: downloading')).slice(-15);
    throw new PalisadeError(
      opts.failure,
      `Building ${opts.what} failed (go install exited ${code}). Its last lines:\n  ${tail.join('\n  ')}`,
      `Fix the cause above and retry: GOBIN=${path.dirname(opts.target)} go install ${opts.pkg} — ${opts.hint}`,
    );
  }
  mkdirSync(path.dirname(opts.target), { recursive: true });
  renameSync(path.join(scratch, opts.binary), opts.target);
  rmSync(scratch, { recursive: true, force: true });
  opts.say(`Built ${opts.what} in ${Math.round((Date.now() - started) / 1000)} s.`);
}

export function findOnPath(binary: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
