import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { describe, expect, it } from 'vitest';
import { bundleAllPlaybooks } from '../../apps/playbooks/bundle';

/** The SDK's executor, opened to read the module cache of its context. */
class Probe extends ReusableVMWorkflowCreator {
  sharedModules(): Record<string, unknown> {
    return this.context.__webpack_module_cache__ as Record<string, unknown>;
  }
}

// Issue 22, a worker within 300 MB: every cached run evaluated zod again in the workflow
// thread (0.5 MB of the 1.05 MB a run's modules took). zod is now evaluated once per thread,
// shared by every run; the playbooks' own modules stay each run's own.
describe('the workflow bundle in the SDK’s reusable V8 context', () => {
  it('shares zod across runs and keeps each playbook module per run', async () => {
    const bundle = await bundleAllPlaybooks();
    const ids = [...bundle.code.matchAll(/^\/\*{3}\/ "([^"]+)"/gm)].map((m) => m[1]);
    const zod = ids.filter((id) => id.includes('/node_modules/zod/'));
    const playbook = ids.find((id) => id.endsWith('workflows/host-compromise/playbook.ts'));
    expect(zod.length).toBeGreaterThan(5);
    expect(playbook).toBeDefined();

    // The SDK's own executor (what the worker's workflow thread runs): before any run exists,
    // its module cache answers only for the modules every run shares.
    const creator = await Probe.create({ code: bundle.code, sourceMap: { version: 3, file: 'workflow-bundle.js', sources: [], names: [], mappings: '' }, filename: 'workflow-bundle.js' }, 5_000, new Set(), undefined);
    try {
      const shared = creator.sharedModules();
      expect(zod.filter((id) => shared[id] === undefined)).toEqual([]);
      expect(shared[playbook!]).toBeUndefined();
    } finally {
      await creator.destroy();
    }
  }, 180_000);
});
