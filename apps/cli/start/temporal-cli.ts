import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';

/**
 * The Temporal CLI release Palisade builds when none is provided. v1.5.1 is the newest tag
 * that plain `go install` accepts (later tags carry a local `replace` in their go.mod).
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export interface ResolveOptions {
  /** TEMPORAL_CLI_PATH, when set. */
  configuredPath?: string;
  /** The PATH to search for `temporal` and `go`. */
  searchPath: string;
  /** The environment `go install` runs with (GOPATH, proxies...). */
  env: NodeJS.ProcessEnv;
  /** The project's cache folder (PALISADE_CACHE_DIR). */
  cacheDir: string;
  /** Progress lines for the person waiting. */
  say: (line: string) => void;
}

export interface ResolvedCli {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export function goInstallCommand(cacheDir: string): string {
  return `GOBIN=${path.dirname(cachedCliPath(cacheDir))} go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`;
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH → `temporal` on PATH → the project's cached build
 * → `go install` into that cache when Go is present → an error naming the three ways.
 */
export async function resolveTemporalCli(opts: ResolveOptions): Promise<ResolvedCli> {
  if (opts.configuredPath) {
    if (!isExecutable(opts.configuredPath)) {
      throw new PalisadeError(
        'temporal_cli_not_executable',
        `TEMPORAL_CLI_PATH is ${opts.configuredPath}, which is not an executable file.`,
        'Point TEMPORAL_CLI_PATH at the `temporal` binary, or unset it to let Palisade find or build one.',
      );
    }
    return { path: opts.configuredPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal', opts.searchPath);
  if (onPath) return { path: onPath, source: 'PATH' };

  const cached = cachedCliPath(opts.cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const go = findOnPath('go', opts.searchPath);
  if (!go) {
    throw new PalisadeError(
      'temporal_cli_missing',
      'The Temporal CLI was not found, and Go is not installed to build it.',
      'Provide it one of three ways: set TEMPORAL_CLI_PATH to a `temporal` binary; put `temporal` on PATH ' +
        '(https://docs.temporal.io/cli); or install Go (https://go.dev/dl) and Palisade builds ' +
        `${TEMPORAL_CLI_VERSION} into ${path.dirname(cached)} on the next start.`,
    );
  }
  await buildWithGo(go, opts);
  return { path: cached, source: 'built' };
}

async function buildWithGo(go: string, opts: ResolveOptions): Promise<void> {
  const target = cachedCliPath(opts.cacheDir);
  // Build into a scratch folder and move into place, so an interrupted build never leaves
  // a half-written binary where the next start would trust it.
  const scratch = `${path.dirname(target)}.building-${process.pid}`;
  mkdirSync(scratch, { recursive: true });
  opts.say(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${path.dirname(target)} ` +
      '(first run only: this takes 3 to 6 minutes; later starts reuse it)...',
  );
  const started = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...opts.env, GOBIN: scratch, GOFLAGS: opts.env.GOFLAGS ?? '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !isExecutable(path.join(scratch, 'temporal'))) {
    rmSync(scratch, { recursive: true, force: true });
    const tail = output.filter((l) => !l.startsWith('go: downloading')).slice(-15);
    throw new PalisadeError(
      'temporal_cli_build_failed',
      `Building the Temporal CLI failed (go install exited ${code}). Its last lines:\n  ${tail.join('\n  ')}`,
      `Fix the cause above and retry: ${goInstallCommand(opts.cacheDir)} — or set TEMPORAL_CLI_PATH to a temporal binary.`,
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(scratch, 'temporal'), target);
  rmSync(scratch, { recursive: true, force: true });
  opts.say(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s.`);
}

export function findOnPath(binary: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
