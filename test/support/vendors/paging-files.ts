import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, postJson } from '../engine';
import { sendGeneric } from '../webhooks';

const SIMULATED = ['inventory', 'hostIsolation', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'metrics', 'notify'];

/**
 * Writes `<dir>/providers.yaml`: the simulated fleet for every playbook capability, the page and
 * ticket vendors given, and their settings (YAML lines under `settings:`). Returns its path.
 */
export function pagingProvidersFile(dir: string, vendors: { paging?: string; ticketing?: string }, settings: string[]): string {
  const file = path.join(dir, 'providers.yaml');
  const chosen = [...SIMULATED.map((c) => `${c}: simulated`), ...Object.entries(vendors).map(([c, v]) => `${c}: ${v}`)];
  writeFileSync(file, [`vendors: { ${chosen.join(', ')} }`, settings.length > 0 ? 'settings:' : 'settings: {}', ...settings.map((l) => `  ${l}`)].join('\n'));
  return file;
}

/** Sends one generic alert and answers the incident it opened or joined. */
export async function openIncident(baseUrl: string, alert: Record<string, unknown>): Promise<string> {
  const sent = await sendGeneric(baseUrl, alert, { delivery: randomUUID() });
  if (sent.status !== 202) throw new Error(`the alert was answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  return sent.body.incidentId as string;
}

/** Resolves an incident once its playbook runs (until then the API answers 409 playbook_not_running). */
export async function resolveWhenRunning(baseUrl: string, incidentId: string, reason: string): Promise<void> {
  await eventually('resolve accepted', async () => ((await postJson(`${baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason })).status === 202 ? true : undefined), 60_000);
}
