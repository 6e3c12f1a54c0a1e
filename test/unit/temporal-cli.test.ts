import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedCliPath, resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../../apps/cli/start/temporal-cli';
import { PalisadeError } from '../../lib/errors';
import { executable } from '../support/executables';

// Resolution order, exercised on real files and real child processes (a stand-in `go`).
describe('finding the Temporal CLI', () => {
  let dir: string;
  const said: string[] = [];
  const say = (line: string) => said.push(line);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-cli-'));
    said.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses TEMPORAL_CLI_PATH first, and says so when it is not executable', async () => {
    const cli = executable(path.join(dir, 'custom', 'temporal'));
    const onPath = executable(path.join(dir, 'bin', 'temporal'));
    await expect(resolveTemporalCli({ env: process.env, configuredPath: cli, searchPath: path.dirname(onPath), cacheDir: dir, say })).resolves.toEqual({
      path: cli,
      source: 'TEMPORAL_CLI_PATH',
    });
    const missing = path.join(dir, 'nope');
    await expect(resolveTemporalCli({ env: process.env, configuredPath: missing, searchPath: '', cacheDir: dir, say })).rejects.toThrow(
      `TEMPORAL_CLI_PATH is ${missing}, which is not an executable file.`,
    );
  });

  it('then `temporal` on PATH, then the cached build', async () => {
    const cached = executable(cachedCliPath(path.join(dir, 'cache')));
    const onPath = executable(path.join(dir, 'bin', 'temporal'));
    const emptyDir = path.join(dir, 'empty');
    mkdirSync(emptyDir);
    await expect(resolveTemporalCli({ env: process.env, searchPath: `${emptyDir}:${path.dirname(onPath)}`, cacheDir: path.join(dir, 'cache'), say })).resolves.toEqual({
      path: onPath,
      source: 'PATH',
    });
    await expect(resolveTemporalCli({ env: process.env, searchPath: emptyDir, cacheDir: path.join(dir, 'cache'), say })).resolves.toEqual({
      path: cached,
      source: 'cache',
    });
  });

  it('names the three ways to provide it when there is no CLI and no Go', async () => {
    const err = await resolveTemporalCli({ env: process.env, searchPath: path.join(dir, 'empty'), cacheDir: path.join(dir, 'cache'), say }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PalisadeError);
    const { message, hint } = err as PalisadeError;
    expect(message).toBe('The Temporal CLI was not found, and Go is not installed to build it.');
    expect(hint).toContain('set TEMPORAL_CLI_PATH');
    expect(hint).toContain('put `temporal` on PATH');
    expect(hint).toContain('install Go');
  });

  it('builds it with go install into the cache, announcing the wait', async () => {
    // A stand-in `go` that records its arguments and "builds" into $GOBIN, as go install does.
    const bin = path.join(dir, 'bin');
    executable(
      path.join(bin, 'go'),
      `#!/bin/sh\necho "$@" > "${dir}/go-args"\nprintf '#!/bin/sh\\necho built\\n' > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"\n`,
    );
    const cacheDir = path.join(dir, 'cache');
    const resolved = await resolveTemporalCli({ env: process.env, searchPath: bin, cacheDir, say });
    expect(resolved).toEqual({ path: cachedCliPath(cacheDir), source: 'built' });
    expect(said[0]).toContain(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go`);
    expect(said[0]).toContain('3 to 6 minutes');
    // The next start finds the cached build without Go.
    await expect(resolveTemporalCli({ env: process.env, searchPath: path.join(dir, 'empty'), cacheDir, say })).resolves.toMatchObject({ source: 'cache' });
  });

  it('shows the last lines of a failed go install and the command to retry', async () => {
    const bin = path.join(dir, 'bin');
    executable(
      path.join(bin, 'go'),
      '#!/bin/sh\necho "go: downloading example.com/x v1"\necho "build failed: disk quota exceeded" >&2\nexit 1\n',
    );
    const cacheDir = path.join(dir, 'cache');
    const err = (await resolveTemporalCli({ env: process.env, searchPath: bin, cacheDir, say }).catch((e: unknown) => e)) as PalisadeError;
    expect(err.code).toBe('temporal_cli_build_failed');
    expect(err.message).toContain('go install exited 1');
    expect(err.message).toContain('build failed: disk quota exceeded');
    expect(err.message).not.toContain('go: downloading');
    expect(err.hint).toContain(`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`);
    expect(err.hint).toContain(`GOBIN=${path.dirname(cachedCliPath(cacheDir))}`);
    // Nothing half-built is left where the next start would trust it.
    await expect(resolveTemporalCli({ env: process.env, searchPath: path.join(dir, 'empty'), cacheDir, say })).rejects.toThrow(/not found/);
  });
});
