import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { PalisadeConfig } from '../../../lib/config/env';
import { ENGINE_ROOT } from '../../playbooks/kit-resolution';
import { CliError, EXIT } from './exit-codes';

/**
 * `palisade playbook test [DIR]`: runs the tests of a team's playbook folder (`*.test.ts`)
 * with the engine's vitest and test setup (a real Temporal and Postgres, the worker bundle
 * with the folder's playbooks, the time-skipping server), as the engine's own playbook tests
 * run. Extra arguments go to vitest (a file filter, `-t <name>`). Exit 0: they pass; 9: one failed.
 */
export async function playbookTest(config: PalisadeConfig, dirArg: string | undefined, vitestArgs: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const dir = dirArg ? path.resolve(dirArg) : config.playbooks.teamDirs[0];
  if (!dir) throw new CliError(EXIT.usage, 'no_playbooks_dir', 'Which playbooks? No folder was given and PALISADE_PLAYBOOKS_DIR is not set.', 'Pass the folder of your playbooks: `palisade playbook test <dir>`.');
  if (!existsSync(dir)) throw new CliError(EXIT.usage, 'not_a_folder', `${dir} is not a folder.`, 'Pass the folder that holds your playbook folders.');
  const teamDirs = [...new Set([...config.playbooks.teamDirs, dir])];
  const vitest = path.join(ENGINE_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--config', path.join(ENGINE_ROOT, 'test', 'kit', 'vitest.team.mts'), '--dir', dir, ...vitestArgs];
  const child = spawn(process.execPath, args, { cwd: ENGINE_ROOT, env: { ...env, PALISADE_PLAYBOOKS_DIR: teamDirs.join(path.delimiter), VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) process.exitCode = EXIT.playbookCheckFailed;
}
