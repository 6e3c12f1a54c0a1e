import { HttpStatus } from '@nestjs/common';
import { registeredBundle } from '../../../lib/db/worker-builds';
import { liveReplayCheck, type LiveReplayCheck } from '../../../lib/temporal/live-replay';
import { ApiError } from '../common/error.filter';
import { isTemporalUnreachable, temporalUnavailable } from '../common/temporal-errors';
import type { DeployChanged, DeploysService } from './deploys.service';

/**
 * Makes a version current: every new run starts on it, and each open AUTO_UPGRADE run moves to it
 * at its next workflow task. First the open incidents' histories, exported from Temporal as they
 * are now, are replayed on the version's own code (its worker registered it: lib/db/worker-builds.ts);
 * when one does not replay, the promotion is refused naming the incident and the first command
 * that diverges, since that run would be stuck on the new version. `force` promotes anyway. A
 * version no worker of which polls now is refused before that (`allowNoPollers` goes ahead).
 */
export async function promote(deploys: DeploysService, req: { version?: string; force: boolean; allowNoPollers: boolean; reason?: string }, actor: string): Promise<DeployChanged> {
  const done = await deploys.exclusive(async () => {
    const state = await deploys.state();
    const version = req.version ?? state.ramping?.buildId;
    if (!version) {
      throw new ApiError(HttpStatus.CONFLICT, 'nothing_ramping', 'No version is ramping, and none was named.', 'Name the version to promote (GET /deploys lists them), or ramp it first.');
    }
    deploys.requireVersion(state, version);
    const ramping = state.ramping?.buildId === version ? null : state.ramping;
    if (state.current === version && !ramping) return { version, previous: version, replayCheck: null };

    await deploys.requirePollers(version, 'making it current', req.allowNoPollers);
    const check = await checkOpenIncidents(deploys, version);
    const divergences = check.replayed.filter((o) => !o.ok).map((o) => ({ incidentId: o.incidentId, workflowId: o.workflowId, workflowType: o.workflowType, reason: o.reason }));
    if (divergences.length > 0 && !req.force) {
      const [first] = divergences;
      throw new ApiError(
        HttpStatus.CONFLICT,
        'replay_diverged',
        `Version ${version} would break ${divergences.length} open incident${divergences.length === 1 ? '' : 's'}: incident ${first.incidentId} (${first.workflowType}, workflow ${first.workflowId}) does not replay on its code: ${first.reason}` +
          (divergences.length > 1 ? ` Also: ${divergences.slice(1, 5).map((d) => `incident ${d.incidentId}`).join(', ')}${divergences.length > 5 ? ', …' : ''}.` : ''),
        'Put the change behind patched() (README: "Changing a playbook that has incidents running"), ship that as a new version and promote it; or wait until these incidents close. force: true promotes anyway, and those incidents are stuck until a rollback.',
      );
    }
    await deploys.change('promote', { current: version, ramping }, { actor, version, previous: state.current, reason: req.reason, detail: { forced: divergences.length > 0, divergences: divergences.map((d) => d.incidentId) } });
    return { version, previous: state.current, replayCheck: { replayed: check.replayed.length, skipped: check.skipped.length, forced: divergences.length > 0, divergences } };
  });
  // Pollers read again: the replay of every open incident may have taken a while since the check.
  return { action: 'promote', ...done, status: await deploys.status() };
}

async function checkOpenIncidents(deploys: DeploysService, version: string): Promise<LiveReplayCheck> {
  const bundle = await registeredBundle(deploys.db, deploys.deploymentName, version);
  if (!bundle) {
    throw new ApiError(
      HttpStatus.CONFLICT,
      'code_not_registered',
      `No worker of version ${version} registered its workflow code, so the open incidents cannot be replayed on it.`,
      'Workers register their code as they start (against this database); start one of that version, or check it from its checkout with `palisade replay check --live` and promote with force: true.',
    );
  }
  const runs = await deploys.db.query<{ incidentId: string; workflowId: string }[]>(
    `SELECT id AS "incidentId", workflow_id AS "workflowId" FROM incidents WHERE status NOT IN ('resolved', 'cancelled') ORDER BY created_at`,
  );
  try {
    return await liveReplayCheck(deploys.temporal, runs, bundle);
  } catch (err) {
    if (isTemporalUnreachable(err)) throw temporalUnavailable(`Temporal did not answer, so Palisade could not export the open incidents' histories to replay them on ${version}; nothing was promoted.`);
    throw err;
  }
}
