// How `palisade playbook test <folder>` runs a team's playbook tests: the engine's test setup
// (a real Temporal and Postgres, the workflow bundle with the folder's playbooks, the
// time-skipping server) on the test files of the folders PALISADE_PLAYBOOKS_DIR names.
import * as path from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { loadConfig } from '../../lib/config/env';
import { teamModules } from './team-modules';

const engine = path.resolve(__dirname, '../..');
const teamDirs = loadConfig(process.env, engine).playbooks.teamDirs;

export default defineConfig({
  root: engine,
  plugins: [swc.vite({ module: { type: 'es6' } }), teamModules(teamDirs)],
  server: { fs: { allow: [engine, ...teamDirs] } },
  test: {
    dir: teamDirs[0],
    include: teamDirs.map((d) => path.join(d, '**/*.test.ts')),
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    globalSetup: [path.join(engine, 'test/setup/global-setup.ts')],
    setupFiles: [path.join(engine, 'test/setup/quiet-temporal.ts')],
  },
});
