import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { note, printJson, say, table, utc } from './output';

/** A deploy action waits for Temporal's routing change (up to a minute) and a promotion for its replay check too. */
const DEPLOY_TIMEOUT_MS = 180_000;

interface DeployVersionJson {
  version: string;
  status: string;
  createdAt: string | null;
  pollers: number;
  lastPollAt?: string | null;
  runningIncidents: number;
  codeRegistered: boolean;
}

interface DeployStatusJson {
  deployment: string;
  current: string | null;
  ramping: { version: string; percent: number } | null;
  updating: boolean;
  rollbackTo: string | null;
  versions: DeployVersionJson[];
}

interface DeployChangedJson {
  action: 'ramp' | 'promote' | 'rollback';
  version: string | null;
  previous: string | null;
  replayCheck: { replayed: number; skipped: number; forced: boolean; divergences: { incidentId: string; reason?: string }[] } | null;
  status: DeployStatusJson;
}

/** `palisade deploy status`: the versions of the worker deployment, where new runs go, who runs what. */
export async function deployStatus(client: ApiClient, opts: { json?: boolean }): Promise<void> {
  const status = await client.get<DeployStatusJson>('/deploys');
  if (opts.json) return printJson(status);
  printStatus(status);
}

/** `palisade deploy ramp <version> <percent>` (admin): the version takes that share of new runs beside the current one. */
export async function deployRamp(client: ApiClient, version: string, percent: string, opts: { allowNoPollers?: boolean; reason?: string; json?: boolean }): Promise<void> {
  const share = Number(percent.replace(/%$/, ''));
  if (!Number.isFinite(share) || share < 0 || share > 100) {
    throw new CliError(EXIT.usage, 'invalid_percent', `'${percent}' is not a percentage from 0 to 100.`, 'e.g. palisade deploy ramp b1234abcd5678ef90 10');
  }
  changed(await client.post<DeployChangedJson>('/deploys/ramp', { version, percent: share, ...allowNoPollers(opts), ...(opts.reason ? { reason: opts.reason } : {}) }, undefined, DEPLOY_TIMEOUT_MS), opts);
}

/**
 * `palisade deploy promote [<version>]` (admin): makes it (default: the ramping one) current,
 * after replaying the open incidents on its code; refused (exit 2) naming the incident and
 * the first diverging command when one does not replay.
 */
export async function deployPromote(client: ApiClient, version: string | undefined, opts: { force?: boolean; allowNoPollers?: boolean; reason?: string; json?: boolean }): Promise<void> {
  changed(await client.post<DeployChangedJson>('/deploys/promote', { ...(version ? { version } : {}), force: opts.force === true, ...allowNoPollers(opts), ...(opts.reason ? { reason: opts.reason } : {}) }, undefined, DEPLOY_TIMEOUT_MS), opts);
}

/** `palisade deploy rollback` (admin): ends the ramp, or makes the version current before the last promotion current again. */
export async function deployRollback(client: ApiClient, opts: { allowNoPollers?: boolean; reason?: string; json?: boolean }): Promise<void> {
  changed(await client.post<DeployChangedJson>('/deploys/rollback', { ...allowNoPollers(opts), ...(opts.reason ? { reason: opts.reason } : {}) }, undefined, DEPLOY_TIMEOUT_MS), opts);
}

/** `--allow-no-pollers`: go ahead although no worker of the version polls now (the API refuses otherwise). */
function allowNoPollers(opts: { allowNoPollers?: boolean }): { allowNoPollers?: true } {
  return opts.allowNoPollers ? { allowNoPollers: true } : {};
}

function changed(result: DeployChangedJson, opts: { json?: boolean }): void {
  if (opts.json) return printJson(result);
  switch (result.action) {
    case 'ramp':
      say(`Ramping ${result.version} at ${result.status.ramping?.percent ?? 0}% beside ${result.previous}.`);
      break;
    case 'promote': {
      const check = result.replayCheck;
      say(`${result.version} is current (was ${result.previous ?? 'none'}).`);
      if (check) say(`  ${check.replayed} open incident${check.replayed === 1 ? '' : 's'} replayed on its code, ${check.skipped} left where they are (pinned or ended).`);
      if (check?.forced) note(`palisade: forced: ${check.divergences.map((d) => `incident ${d.incidentId}`).join(', ')} did not replay and will be stuck until a rollback.`);
      break;
    }
    case 'rollback':
      say(result.version === result.previous ? `Ramp ended: every new run goes to ${result.version}.` : `Rolled back: ${result.version} is current again (was ${result.previous}).`);
      break;
  }
  say('');
  printStatus(result.status);
}

function printStatus(s: DeployStatusJson): void {
  say(`Deployment ${s.deployment}: current ${s.current ?? 'none'}${s.ramping ? `, ramping ${s.ramping.version} at ${s.ramping.percent}%` : ''}${s.updating ? ' (routing change under way)' : ''}.`);
  if (s.rollbackTo) say(`A rollback makes ${s.rollbackTo} current again.`);
  say(
    table(
      ['VERSION', 'STATUS', 'POLLERS', 'RUNNING INCIDENTS', 'CODE', 'CREATED (UTC)', 'LAST POLL (UTC)'],
      s.versions.map((v) => [v.version, v.status, String(v.pollers), String(v.runningIncidents), v.codeRegistered ? 'registered' : '-', utc(v.createdAt), v.lastPollAt ? utc(v.lastPollAt) : '-']),
    ),
  );
}
