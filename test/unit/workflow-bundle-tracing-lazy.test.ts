import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import type { WorkflowInfo } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { bundleAllPlaybooks } from '../../apps/playbooks/bundle';

/** The SDK's executor, opened to read one run's own module cache. */
class Probe extends ReusableVMWorkflowCreator {
  runModules(): Map<string, unknown> | undefined {
    return (this.context.__TEMPORAL_ACTIVATOR__ as { moduleCache?: Map<string, unknown> } | undefined)?.moduleCache;
  }
}

// Issue 22, a worker within 300 MB: the tracing interceptors imported OpenTelemetry's workflow
// interceptors at the top, so every run evaluated OpenTelemetry (123 modules, 0.25 MB of the
// 0.38 MB a cached run's modules take), traced or not. Only a run started with a trace context
// loads them now, when it starts.
describe('the tracing interceptors in the SDK’s reusable V8 context', () => {
  it('evaluate no OpenTelemetry module for a run until it is started traced', async () => {
    const bundle = await bundleAllPlaybooks();
    const otel = [...bundle.code.matchAll(/^\/\*{3}\/ "([^"]+)"/gm)].map((m) => m[1]).filter((id) => id.includes('interceptors-opentelemetry'));
    expect(otel.length).toBeGreaterThan(0);
    const creator = await Probe.create({ code: bundle.code, sourceMap: { version: 3, file: 'workflow-bundle.js', sources: [], names: [], mappings: '' }, filename: 'workflow-bundle.js' }, 5_000, new Set(), undefined);
    try {
      const info = {
        workflowId: 'incident-probe',
        runId: 'run-probe',
        workflowType: 'hostCompromise',
        taskQueue: 'probe',
        namespace: 'default',
        firstExecutionRunId: 'run-probe',
        attempt: 1,
        historyLength: 3,
        historySize: 0,
        continueAsNewSuggested: false,
        startTime: new Date(),
        runStartTime: new Date(),
        searchAttributes: {},
        typedSearchAttributes: { getAll: () => [] },
        memo: {},
        unsafe: { isReplaying: false, now: () => Date.now() },
        priority: {},
      } as unknown as WorkflowInfo;
      const run = await creator.createWorkflow({ info, randomnessSeed: [1, 2], now: Date.now(), showStackTraceSources: false });
      try {
        const modules = creator.runModules();
        expect(modules).toBeDefined();
        expect([...modules!.keys()].filter((id) => id.includes('tracing-interceptors')).length).toBe(1);
        expect([...modules!.keys()].filter((id) => id.includes('interceptors-opentelemetry') || id.includes('@opentelemetry'))).toEqual([]);
      } finally {
        await run.dispose();
      }
    } finally {
      await creator.destroy();
    }
  }, 180_000);
});
