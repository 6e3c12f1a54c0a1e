import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC, not esbuild: NestJS needs decorator metadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    pool: 'forks',
    // Integration files mostly wait (on timers, gates, servers): more of them at once than cores.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    projects: [
      // Pure code and files: no servers.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Recorded histories (test/histories/) replayed on the current workflow code: no servers.
      {
        extends: true,
        test: { name: 'replay', include: ['test/replay/**/*.test.ts'], setupFiles: ['test/setup/quiet-temporal.ts'] },
      },
      // Real Temporal and real Postgres, started once per run by the global setup.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          setupFiles: ['test/setup/quiet-temporal.ts'],
        },
      },
    ],
  },
});
