import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { eventually, postJson } from './engine';
import { sendGeneric } from './webhooks';

/** What the paging tests share: their runbooks, an incident opened by an alert, resolved once its playbook runs. */

/** The tests' policy: host compromises page secops-oncall, config drift opens a ticket in SEC. */
export const PAGE_COMPROMISE_TICKET_DRIFT = [
  '{ name: page-compromise, match: { category: host-compromise }, page: { service: secops-oncall } }',
  '{ name: ticket-drift, match: { category: config-drift }, ticket: { project: SEC } }',
];

/** runbooks/providers.yaml with every capability simulated but paging and ticketing, and a paging policy, in a folder of their own. */
export function pagingRunbooks(vendors: { paging: string; ticketing: string }, settings: string[], policies: string[]): { providers: string; paging: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-paging-'));
  const providers = path.join(dir, 'providers.yaml');
  writeFileSync(
    providers,
    [
      'vendors: { inventory: simulated, hostIsolation: simulated, evidence: simulated, credentials: simulated, identity: simulated,',
      `  configBaseline: simulated, patching: simulated, metrics: simulated, notify: simulated, paging: ${vendors.paging}, ticketing: ${vendors.ticketing} }`,
      'settings:',
      ...settings.map((s) => `  ${s}`),
    ].join('\n'),
  );
  const paging = path.join(dir, 'paging.yaml');
  writeFileSync(paging, ['policies:', ...policies.map((p) => `  - ${p}`)].join('\n'));
  return { providers, paging };
}

/** Sends one generic alert and answers the incident it opened or joined. */
export async function openIncident(baseUrl: string, alert: Record<string, unknown>): Promise<string> {
  const sent = await sendGeneric(baseUrl, alert, { delivery: randomUUID() });
  expect(sent.status).toBe(202);
  return sent.body.incidentId as string;
}

/** Resolves once its playbook runs (until then the API answers 409 playbook_not_running). */
export async function resolveIncident(baseUrl: string, incidentId: string, reason: string): Promise<void> {
  await eventually('resolve accepted', async () => ((await postJson(`${baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason })).status === 202 ? true : undefined), 60_000);
}

