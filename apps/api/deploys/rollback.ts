import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/error.filter';
import type { DeployChanged, DeploysService, Pollers } from './deploys.service';

/**
 * Undoes the last deploy: a ramp under way ends (every new run on the current version again);
 * with none, the version that was current before the last promotion (or rollback) through the
 * API is current again. No replay check: the version going back is the one that ran these
 * incidents before; a run started on the newer code that does not replay on the older is what
 * the stuck alarm reports. A version no worker of which polls now is refused, as for a promotion.
 */
export async function rollback(deploys: DeploysService, req: { allowNoPollers: boolean; reason?: string }, actor: string): Promise<DeployChanged> {
  // The pollers the refusal check read: the answer's status shows them rather than asking Temporal again.
  let pollers: Pollers | undefined;
  const { previous, target } = await deploys.exclusive(async () => {
    const state = await deploys.state();
    // A ramp under way is the change to undo; otherwise the last promotion.
    const target = state.ramping ? state.current : await deploys.rollbackTarget(state.current);
    if (!target) {
      throw new ApiError(
        HttpStatus.CONFLICT,
        'nothing_to_roll_back',
        `Nothing to roll back: ${state.current ?? 'no version'} is current and was not made current through Palisade, and no version is ramping.`,
        'Promote the version you want by name (POST /deploys/promote with its version); GET /deploys lists them.',
      );
    }
    pollers = await deploys.requirePollers(target, 'rolling back to it', req.allowNoPollers);
    await deploys.change('rollback', { current: target, ramping: null }, { actor, version: target, previous: state.current, reason: req.reason, detail: { endedRamp: state.ramping?.buildId ?? null } });
    return { previous: state.current, target };
  });
  return { action: 'rollback', version: target, previous, replayCheck: null, status: await deploys.status(pollers) };
}
