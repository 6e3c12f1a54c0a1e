import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/error.filter';
import type { DeployChanged, DeploysService, Pollers } from './deploys.service';

/**
 * Ramps a version beside the current one: it takes `percent` of new runs (and of AUTO_UPGRADE
 * runs' next workflow tasks); the rest stay on the current version. A ramp is a trial: it is
 * not checked against the open incidents (a promotion is), and `rollback` ends it. A version no
 * worker of which polls now is refused (it would take runs nobody runs).
 */
export async function rampVersion(deploys: DeploysService, req: { version: string; percent: number; allowNoPollers: boolean; reason?: string }, actor: string): Promise<DeployChanged> {
  // The pollers the refusal check read: the answer's status shows them rather than asking Temporal again.
  let pollers: Pollers | undefined;
  const previous = await deploys.exclusive(async () => {
    const state = await deploys.state();
    deploys.requireVersion(state, req.version);
    if (state.current === req.version) {
      throw new ApiError(HttpStatus.CONFLICT, 'version_is_current', `${req.version} is the current version already: it takes every new run.`, 'Ramp a new version beside it, or roll back to the previous one.');
    }
    if (!state.current) {
      throw new ApiError(HttpStatus.CONFLICT, 'no_current_version', 'No version is current yet: there is nothing to ramp beside.', `Promote ${req.version} instead (POST /deploys/promote).`);
    }
    // A ramp of 0% sends nothing there yet.
    if (req.percent > 0) pollers = await deploys.requirePollers(req.version, `ramping ${req.percent}% of new runs to it`, req.allowNoPollers);
    await deploys.change('ramp', { current: state.current, ramping: { buildId: req.version, percent: req.percent } }, { actor, version: req.version, previous: state.current, percent: req.percent, reason: req.reason });
    return state.current;
  });
  return { action: 'ramp', version: req.version, previous, replayCheck: null, status: await deploys.status(pollers) };
}
