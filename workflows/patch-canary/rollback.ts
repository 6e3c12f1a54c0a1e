import { CancellationScope } from '@temporalio/workflow';
// The runner's own step: a compensation's name was checked against the playbook's steps when it was registered.
import { step } from '../shared/steps';
import type { CanaryRun } from './playbook';

/**
 * Rolls back every patched wave now, newest first, where a cancel cannot cut it short. Each
 * wave's rollback is the compensation registered as it was patched (the only compensations
 * this playbook registers); it leaves the run's list once it has run, so a later cancel or
 * failure never runs it twice. A rollback that fails stays on the list for the failure path.
 */
export async function rollBackEveryWave(run: CanaryRun, why: string): Promise<string[]> {
  return CancellationScope.nonCancellable(async () => {
    const done: string[] = [];
    for (let c = run.compensations.at(-1); c; c = run.compensations.at(-1)) {
      await run.timeline.record('compensation.started', `Undoing (${why}): ${c.name}`, { data: { compensation: c.name, reason: 'breach' } });
      await step(run, c.name, c.action);
      run.compensations.pop();
      done.push(c.name);
    }
    return done;
  });
}
