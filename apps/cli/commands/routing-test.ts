import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PalisadeError } from '../../../lib/errors';
import { SOURCES, type Alert, type SourceName } from '../../../lib/intake/alert';
import { Redactor } from '../../../lib/intake/redact';
import { loadRouting, route } from '../../../lib/intake/routing';
import { loadPlaybooks } from '../../playbooks/load';
import { incidentSeverity } from '../../../lib/domain/incident';
import { decidePaging, describePaging, loadPagingPolicy } from '../../../lib/paging/policy';
import { loadProvidersConfig } from '../../../lib/providers/providers-file';
import { PayloadError } from '../../../lib/intake/source';
import { SOURCE_ADAPTERS } from '../../../lib/intake/sources';

/**
 * `palisade routing test <source> <file>`: parses a vendor payload as the door would (without
 * the signature check) and prints, per alert, the rule that matches and the incident it joins.
 */
export async function routingTest(config: PalisadeConfig, source: string, file: string, headers: Record<string, string>): Promise<string> {
  if (!(SOURCES as readonly string[]).includes(source)) {
    throw new PalisadeError('unknown_source', `There is no webhook source '${source}'.`, `Known sources: ${SOURCES.join(', ')}.`);
  }
  const name = source as SourceName;
  const adapter = SOURCE_ADAPTERS[name];
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PalisadeError('unreadable_payload', `${file} is not a readable JSON file: ${(err as Error).message}.`, 'Save the payload the vendor sends as a JSON file.');
  }
  const routing = loadRouting(config.intake.routingFile, (await loadPlaybooks(config.playbooks.teamDirs)).catalogue);
  const paging = loadPagingPolicy(config.playbooks.pagingFile);
  const providers = loadProvidersConfig(config.playbooks.providersFile);
  const none = (v: string) => (v === 'none' ? null : v);
  const vendors = { page: none(providers.vendors.paging.default), ticket: none(providers.vendors.ticketing.default), chat: config.slack !== undefined };
  const receivedAt = new Date().toISOString();
  const redactor = new Redactor(config.intake.redactionKey ? Buffer.from(config.intake.redactionKey) : randomBytes(32));
  const request = { headers, query: {}, receivedAt };
  let parsed;
  try {
    parsed = adapter.parse(body, request, { redactor, receivedAt });
  } catch (err) {
    if (err instanceof PayloadError) throw new PalisadeError('invalid_payload', err.message, adapter.setupHint);
    throw err;
  }
  if (parsed.kind === 'control') return `${source}: no alert in this delivery (${parsed.message}).`;

  const lines = [`${parsed.alerts.length} alert(s) from ${source}, routed by ${routing.file}:`];
  for (const [i, p] of parsed.alerts.entries()) {
    const alert: Alert = { ...p, id: `alert-${i + 1}`, source: name, deliveryId: 'routing-test', receivedAt, raw: {} };
    const decision = route(routing, alert);
    lines.push(`  ${i + 1}. ${alert.title}`);
    lines.push(`     ${alert.severity} ${alert.category}, entity ${alert.entity.kind} ${alert.entity.key}`);
    lines.push(
      decision.kind === 'ignore'
        ? `     rule '${decision.rule}': ignored (stored, answered suppressed)`
        : `     rule '${decision.rule}': playbook ${decision.playbook}, entity key ${decision.entityKey}, workflow id ${decision.workflowId}`,
    );
    if (decision.kind === 'playbook') {
      const subject = { rule: decision.rule, playbook: decision.playbook, category: alert.category, severity: incidentSeverity(alert.severity) };
      lines.push(`     ${describePaging(decidePaging(paging, subject), vendors)} (when it opens an incident)`);
    }
  }
  return lines.join('\n');
}
