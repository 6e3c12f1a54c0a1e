import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerEntry, workerProcessEnv } from '../../apps/cli/start/worker-env';

// Issue 22, a worker within 300 MB: the worker process starts with glibc's malloc in two
// arenas (mid-burst its Rust core's threads held 124 MiB in ten of their own), fixed mmap and
// trim thresholds, and V8 flags for a small young generation and a tight old one. Checked on a
// process started the way npm start starts the worker, not by restating the constants.
const PROBE = path.resolve(__dirname, '../fixtures/worker-env/young-generation.cjs');

function probe(command: string, args: string[], env: NodeJS.ProcessEnv): { youngMiB: number; mallocArenaMax: string | null } {
  const run = spawnSync(command, args, { env, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { youngMiB: number; mallocArenaMax: string | null };
}

describe('the worker process', () => {
  const plainEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));

  it("keeps its young generation at 4 MiB where node's default grows it to 32, and runs with malloc's two arenas", () => {
    const entry = workerEntry(PROBE);
    const worker = probe(entry.command, entry.args, workerProcessEnv(plainEnv));
    const plain = probe(process.execPath, [PROBE], plainEnv);
    expect(plain).toMatchObject({ mallocArenaMax: null });
    expect(plain.youngMiB).toBeGreaterThan(8);
    expect(worker.mallocArenaMax).toBe('2');
    expect(worker.youngMiB).toBeLessThanOrEqual(4);
  });

  it("keeps an operator's own malloc settings", () => {
    const env = workerProcessEnv({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '0' });
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '0' });
    const entry = workerEntry(PROBE);
    expect(probe(entry.command, entry.args, { ...plainEnv, ...env }).mallocArenaMax).toBe('4');
  });

  it('passes the V8 flags before @swc-node when it runs TypeScript (node reads its own flags first)', () => {
    const { args } = workerEntry('apps/worker/main.ts');
    expect(args.indexOf('-r')).toBeGreaterThan(args.findIndex((a) => a.startsWith('--max-semi-space-size')));
    expect(args.slice(-3)).toEqual(['-r', '@swc-node/register', 'apps/worker/main.ts']);
  });
});
