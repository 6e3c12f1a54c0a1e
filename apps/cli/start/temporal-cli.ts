import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';
import { findOnPath, goInstall, isExecutable } from './go-install';


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
  await goInstall({
    go,
    pkg: `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`,
    binary: 'temporal',
    target: cachedCliPath(opts.cacheDir),
    what: `the Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    takes: '3 to 6 minutes',
    hint: 'or set TEMPORAL_CLI_PATH to a temporal binary.',
    failure: 'temporal_cli_build_failed',
    env: opts.env,
    say: opts.say,
  });
}
