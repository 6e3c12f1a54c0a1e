import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { PalisadeConfig } from '../../../lib/config/env';
import { OPEN_INCIDENT_STATUSES } from '../../../lib/domain/incident';
import { liveReplayCheck, type OpenRun } from '../../../lib/temporal/live-replay';
import { bundleAllPlaybooks } from '../../playbooks/bundle';
import type { ApiClient } from './api-client';
import { EXIT } from './exit-codes';
import { connectTemporal } from './history-export';
import { note, printJson, say, withSpinner } from './output';

/**
 * `palisade replay check --live`: the live engine's open incidents (from the API), their histories
 * exported from Temporal as they are now, replayed on this checkout's workflow code: what a
 * worker of this code would do with each at its next task. Run it before starting the new
 * version; `palisade deploy promote` does the same on the server with the version's registered
 * code. Exit 6, naming each incident and its first diverging command, when one does not replay.
 */
export async function replayCheckLive(api: ApiClient, config: PalisadeConfig, opts: { json?: boolean; teamDirs?: string[] }): Promise<void> {
  const runs = await openRuns(api);

  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await withSpinner('Bundling the playbooks…', !opts.json, () => bundleAllPlaybooks(opts.teamDirs));
  const client = await connectTemporal(config);
  let check;
  try {
    check = await withSpinner(`Replaying ${runs.length} open incidents on this code…`, !opts.json, () => liveReplayCheck(client, runs, bundle));
  } finally {
    await client.connection.close();
  }

  const failed = check.replayed.filter((o) => !o.ok);
  if (opts.json) printJson(check);
  else {
    for (const o of check.replayed) say(o.ok ? `  ✓ incident ${o.incidentId}  ${o.workflowType}, ${o.events} events` : `  ✗ incident ${o.incidentId}  ${o.workflowType}: ${o.reason}`);
    for (const s of check.skipped) say(`  - incident ${s.incidentId}  ${s.why}`);
    if (failed.length === 0) say(`All ${check.replayed.length} open incidents that would move to this code replay on it.`);
    else note(`palisade: ${failed.length} of ${check.replayed.length} open incidents do not replay on this code: they would be stuck on it.\n  Put the change behind patched() (README: "Changing a playbook that has incidents running").`);
  }
  if (failed.length > 0) process.exitCode = EXIT.replayFailed;
}

/** The live engine's open incidents (every status whose playbook still runs) and their runs. */
export async function openRuns(api: Pick<ApiClient, 'get'>): Promise<OpenRun[]> {
  const runs: OpenRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<{ incidents: { id: string; workflowId: string }[]; nextCursor: string | null }>('/incidents', { status: OPEN_INCIDENT_STATUSES.join(','), limit: 200, cursor });
    runs.push(...page.incidents.map((i) => ({ incidentId: i.id, workflowId: i.workflowId })));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return runs;
}
