import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert, AlertCategory, SourceName } from '../../lib/intake/alert';
import { toOcsfDetectionFinding } from '../../lib/intake/ocsf';
import { Redactor } from '../../lib/intake/redact';
import type { ParseContext, SourceAdapter, WebhookRequest } from '../../lib/intake/source';
import { genericSource } from '../../lib/intake/sources/generic';
import { githubSource } from '../../lib/intake/sources/github';
import { sentinelSource } from '../../lib/intake/sources/sentinel';

const receivedAt = '2024-05-03T16:00:00.000Z';
const redactor = new Redactor(Buffer.from('test-key'));
const ctx: ParseContext = { redactor, receivedAt };
const req: WebhookRequest = { headers: { 'x-github-event': 'secret_scanning_alert' }, query: {}, receivedAt };
const fixture = (source: SourceName, name: string): any =>
  JSON.parse(readFileSync(path.join(__dirname, '../fixtures/webhooks', source, `${name}.json`), 'utf8'));

/** The alert the intake would store for the fixture's first finding. */
function alertFrom(adapter: SourceAdapter, name: string, index = 0): Alert {
  const body = fixture(adapter.name, name);
  const result = adapter.parse(body, req, ctx);
  if (result.kind !== 'alerts') throw new Error('expected alerts');
  return {
    ...result.alerts[index],
    id: `alert-${adapter.name}-${name}-${index}`,
    source: adapter.name,
    deliveryId: `delivery-${name}`,
    receivedAt,
    raw: { ...redactor.redactDeep(body), marker: 'RAW-BODY-MARKER' },
  };
}

const BY_CATEGORY: [AlertCategory, Alert][] = [
  ['host-compromise', alertFrom(sentinelSource, 'incident-host')],
  ['secret-leak', alertFrom(githubSource, 'secret-scanning-created-public')],
  ['config-drift', alertFrom(genericSource, 'batch', 0)],
  ['vulnerability', alertFrom(genericSource, 'single')],
  ['other', alertFrom(sentinelSource, 'common-sev2-fired')],
];
const SEVERITY_IDS = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

describe('OCSF detection finding', () => {
  it.each(BY_CATEGORY)('maps a %s alert', (category, alert) => {
    expect(alert.category).toBe(category);
    const finding = toOcsfDetectionFinding(alert);
    expect(finding).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: SEVERITY_IDS[alert.severity],
      status_id: 1,
      time: Date.parse(alert.observedAt),
      metadata: {
        version: '1.3.0',
        product: { name: 'Palisade', vendor_name: 'Palisade' },
        original_time: alert.observedAt,
        uid: alert.id,
        correlation_uid: alert.fingerprint,
        log_name: alert.source,
      },
      finding_info: { uid: alert.fingerprint, title: alert.title, desc: alert.description, created_time: Date.parse(alert.observedAt), types: [category] },
      resources: [{ uid: alert.entity.key, name: alert.entity.display, type: alert.entity.kind }],
      unmapped: { labels: alert.labels, severity_original: alert.severityOriginal },
    });
    expect(Number.isInteger(finding.time)).toBe(true);
    const json = JSON.stringify(finding);
    expect(JSON.parse(json)).toEqual(finding);
    expect(json).not.toContain('RAW-BODY-MARKER');
  });

  it('names severities as OCSF does', () => {
    const base = BY_CATEGORY[0][1];
    const names = (['info', 'low', 'medium', 'high', 'critical'] as const).map((severity) => toOcsfDetectionFinding({ ...base, severity }).severity);
    expect(names).toEqual(['Informational', 'Low', 'Medium', 'High', 'Critical']);
  });

  it('carries a leaked secret only as its descriptor', () => {
    const alert = BY_CATEGORY[1][1];
    const secret: string = fixture('github', 'secret-scanning-created-public').alert.secret;
    const finding = toOcsfDetectionFinding(alert);
    const json = JSON.stringify(finding);
    expect(json).not.toContain(secret);
    expect(finding.unmapped.secrets).toEqual([redactor.describe('github_personal_access_token', secret)]);
  });

  it('falls back to the receive time when the observation time does not parse', () => {
    const finding = toOcsfDetectionFinding({ ...BY_CATEGORY[0][1], observedAt: 'not a time' });
    expect(finding.time).toBe(Date.parse(receivedAt));
    expect(finding.metadata.original_time).toBe('not a time');
  });
});
