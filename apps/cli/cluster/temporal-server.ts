import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { PalisadeError } from '../../../lib/errors';
import { findOnPath, goInstall, isExecutable } from '../start/go-install';

/** The server release the dev server of Temporal CLI v1.5.1 embeds: the same code npm start runs on. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';

export interface TemporalServerBuild {
  /** `temporal-server`: each service (frontend, history, matching, worker) runs it with `start --service`. */
  server: string;
  /** `temporal-sql-tool`: creates and migrates the persistence and visibility schemas. */
  sqlTool: string;
  /** The module's `schema/postgresql/v12` (temporal/ and visibility/ with their versioned steps). */
  schemaDir: string;
}

/**
 * Temporal's real server and schema tool, built once with `go install` into the project's
 * cache (like the CLI for `npm start`), with the PostgreSQL schemas of the same release
 * copied beside them.
 */
export async function resolveTemporalServer(opts: { cacheDir: string; env: NodeJS.ProcessEnv; say: (line: string) => void }): Promise<TemporalServerBuild> {
  const dir = path.join(opts.cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
  const build: TemporalServerBuild = {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
  if (isExecutable(build.server) && isExecutable(build.sqlTool) && existsSync(build.schemaDir)) return build;

  const go = findOnPath('go', opts.env.PATH ?? '');
  if (!go) {
    throw new PalisadeError(
      'go_missing',
      `npm run cluster builds Temporal's server ${TEMPORAL_SERVER_VERSION} with Go, and Go is not installed.`,
      `Install Go (https://go.dev/dl), or put temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} and the release's schema/postgresql/v12 folder into ${dir}.`,
    );
  }
  const common = { go, env: opts.env, say: opts.say, failure: 'temporal_server_build_failed', hint: 'or copy the binaries into the folder above.' };
  if (!isExecutable(build.server)) {
    await goInstall({ ...common, pkg: `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, binary: 'server', target: build.server, what: `Temporal's server ${TEMPORAL_SERVER_VERSION}`, takes: '5 to 20 minutes' });
  }
  if (!isExecutable(build.sqlTool)) {
    await goInstall({ ...common, pkg: `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`, binary: 'sql', target: build.sqlTool, what: `Temporal's SQL schema tool ${TEMPORAL_SERVER_VERSION}`, takes: 'a minute or two' });
  }
  if (!existsSync(build.schemaDir)) {
    // The module is in Go's cache after the build; `go mod download -json` says where.
    const { Dir } = JSON.parse(execFileSync(go, ['mod', 'download', '-json', `${MODULE}@${TEMPORAL_SERVER_VERSION}`], { env: opts.env, encoding: 'utf8' })) as { Dir: string };
    mkdirSync(path.dirname(build.schemaDir), { recursive: true });
    cpSync(path.join(Dir, 'schema', 'postgresql', 'v12'), build.schemaDir, { recursive: true });
  }
  return build;
}
