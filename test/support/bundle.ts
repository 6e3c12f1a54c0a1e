// The bundles tests run: every shipped playbook as the worker bundles it, and single workflow
// files (the replay test's fixtures).
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
export { bundleAllPlaybooks } from '../../apps/playbooks/bundle';

/** One workflow file bundled on its own, printing only the bundler's warnings and errors. */
export function bundleWorkflowFile(workflowsPath: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m) => console.warn(m), error: (m) => console.error(m) },
  });
}
