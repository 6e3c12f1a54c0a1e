import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../lib/intake/source';
import { sentinelSource } from '../../../lib/intake/sources/sentinel';
import { adapterHarness, anyBodies, catchPayloadError, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { ctx, req, fixture, parseOne } = adapterHarness(sentinelSource, { receivedAt: '2024-05-03T16:00:00.000Z', query: { token: 'query-token' } });

const SUB = '/subscriptions/11111111-2222-3333-4444-555555555555';
const FIXTURES = [
  'common-sev0-fired', 'common-sev1-fired', 'common-sev2-fired', 'common-sev3-fired', 'common-sev3-resolved', 'common-log-alerts-v2-computer',
  'common-activity-log-security', 'common-budget', 'common-service-health', 'common-smart-detector', 'incident-host', 'incident-account', 'incident-signin-risk',
  'incident-azure-resource',
];

describe('sentinel source: Azure Monitor common alert schema', () => {
  it.each([
    ['common-sev0-fired', 'Sev0', 'critical', 'Ransomware note dropped on VM on vm-prod-web-01', 'vm-prod-web-01', '2024-05-02T08:00:41.3713213Z'],
    ['common-sev1-fired', 'Sev1', 'high', 'Key Vault secret read by unknown principal on kv-prod-payments', 'kv-prod-payments', '2024-05-02T09:12:03.1200000Z'],
    ['common-sev2-fired', 'Sev2', 'medium', 'NSG allows RDP from the internet on nsg-staging-jump', 'nsg-staging-jump', '2024-05-02T10:30:00Z'],
    ['common-sev3-fired', 'Sev3', 'low', 'High CPU on AKS node pool on aks-prod-east', 'aks-prod-east', '2024-05-02T11:45:10.5Z'],
  ])('maps %s', (name, sev, severity, title, item, observedAt) => {
    const body = fixture(name);
    const alert = parseOne(body);
    const e = body.data.essentials;
    expect(alert).toEqual({
      title,
      description: e.description,
      severity,
      severityOriginal: sev,
      category: 'other',
      entity: { kind: 'resource', key: (e.alertTargetIDs[0] as string).toLowerCase(), display: item },
      observedAt,
      fingerprint: fingerprintOf('sentinel', e.alertId),
      labels: {
        alertRule: e.alertRule,
        monitorCondition: 'Fired',
        signalType: e.signalType,
        monitoringService: e.monitoringService,
        alertTargetId: e.alertTargetIDs[0],
      },
    });
    expect(sentinelSource.deliveryId(body, req)).toBe(`${e.alertId}:Fired`);
  });

  it('maps a resolved alert to the fired one’s fingerprint, as a separate delivery', () => {
    const fired = fixture('common-sev3-fired');
    const resolvedBody = fixture('common-sev3-resolved');
    const resolved = parseOne(resolvedBody);
    expect(resolved).toMatchObject({
      title: 'High CPU on AKS node pool on aks-prod-east (resolved)',
      severity: 'low',
      observedAt: '2024-05-02T12:20:44.1Z',
      labels: { monitorCondition: 'Resolved' },
    });
    expect(resolved.fingerprint).toBe(parseOne(fired).fingerprint);
    expect(sentinelSource.deliveryId(resolvedBody, req)).not.toBe(sentinelSource.deliveryId(fired, req));
  });

  it('maps a log search alert on a workspace to the computer its Computer dimension names', () => {
    const body = fixture('common-log-alerts-v2-computer');
    expect(parseOne(body)).toMatchObject({
      title: 'Failed logons over threshold on SQL-PROD-02',
      severity: 'high',
      entity: { kind: 'host', key: 'sql-prod-02', display: 'SQL-PROD-02 (dimension Computer)' },
      labels: { alertTargetId: body.data.essentials.alertTargetIDs[0], monitoringService: 'Log Alerts V2' },
    });
  });

  it('maps a Defender for Cloud alert through the activity log to the compromised VM, as host compromise', () => {
    expect(parseOne(fixture('common-activity-log-security'))).toMatchObject({
      severity: 'high',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'vm-prod-web-04', display: 'vm-prod-web-04 (compromisedEntity, Virtual Machine)' },
      description: expect.stringContaining('Virus'),
    });
  });

  it('maps a budget alert (no rule, severity or target) to the budget', () => {
    const body = fixture('common-budget');
    expect(parseOne(body)).toMatchObject({
      title: 'Budget team-platform-monthly',
      description: body.data.essentials.description,
      severity: 'medium',
      severityOriginal: 'unspecified',
      category: 'other',
      entity: {
        kind: 'resource',
        key: `${SUB}/providers/microsoft.consumption/budgets/team-platform-monthly`,
        display: `budget team-platform-monthly (${SUB}/)`,
      },
      labels: { monitoringService: 'CostAlerts', monitorCondition: 'Fired' },
    });
  });

  it('maps a service health alert to the subscription, described by the health event', () => {
    expect(parseOne(fixture('common-service-health'))).toMatchObject({
      title: 'Service issues in East US',
      description: 'Azure Storage - East US - Degraded availability',
      severity: 'medium',
      entity: { kind: 'account', key: SUB, display: 'Azure subscription 11111111-2222-3333-4444-555555555555' },
    });
  });

  it('maps a smart detector alert to its Application Insights resource', () => {
    const body = fixture('common-smart-detector');
    expect(parseOne(body).entity).toEqual({ kind: 'resource', key: body.data.essentials.alertTargetIDs[0], display: 'shop-web' });
  });

  it('says which fields it looked at when an alert names no target', () => {
    const body = fixture('common-sev3-fired');
    body.data.essentials.alertTargetIDs = null;
    body.data.essentials.configurationItems = [];
    expect(parseOne(body).entity).toEqual({
      kind: 'resource',
      key: 'alert-rule:high cpu on aks node pool',
      display: 'alert rule "High CPU on AKS node pool" (no alertTargetIDs, configurationItems or host dimension in the alert)',
    });
  });

  it('maps Sev4 to info', () => {
    const body = fixture('common-sev3-fired');
    body.data.essentials.severity = 'Sev4';
    expect(parseOne(body)).toMatchObject({ severity: 'info', severityOriginal: 'Sev4' });
  });

  it('names the fields that do not match', () => {
    const body = fixture('common-sev0-fired');
    body.data.essentials.severity = 'Sev9';
    delete body.data.essentials.firedDateTime;
    const err = catchPayloadError(() => sentinelSource.parse(body, req, ctx));
    expect(err.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^data\.essentials\.severity: .*"Sev0"\|"Sev1"/), expect.stringMatching(/^data\.essentials\.firedDateTime: /)]),
    );
  });
});

describe('sentinel source: incidents from a Logic App', () => {
  it('maps an incident trigger body with a Host entity', () => {
    const body = fixture('incident-host');
    const alert = parseOne(body);
    expect(alert).toEqual({
      title: 'Suspicious PowerShell download cradle on WEB-PROD-03',
      description: body.object.properties.description,
      severity: 'high',
      severityOriginal: 'High',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'web-prod-03', display: 'WEB-PROD-03.corp.acme.example' },
      observedAt: '2024-05-02T07:58:12.4412345Z',
      fingerprint: fingerprintOf('sentinel', body.object.id),
      labels: {
        incidentNumber: '1187',
        tactics: 'Execution,CommandAndControl',
        status: 'New',
        incidentUrl: body.object.properties.incidentUrl,
        alertsCount: '1',
        products: 'Microsoft Defender for Endpoint',
        sentinelLabels: 'prod,tier0',
      },
    });
    expect(sentinelSource.deliveryId(body, req)).toBe('6f1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d:2024-05-02T08:03:40.1234567Z');
  });

  it('maps a bare incident with only an Account entity', () => {
    const body = fixture('incident-account');
    const alert = parseOne(body);
    expect(alert).toMatchObject({
      title: 'Password spray followed by successful sign-in',
      severity: 'medium',
      severityOriginal: 'Medium',
      // Identity Protection on an account: a takeover of the account, not a leaked secret.
      category: 'identity',
      entity: { kind: 'account', key: 'j.smith@acme.example', display: 'Jane Smith' },
      observedAt: '2024-05-02T13:10:00Z',
      labels: { incidentNumber: '1190', status: 'Active', tactics: 'CredentialAccess', alertsCount: '2' },
    });
    expect(alert.fingerprint).toBe(fingerprintOf('sentinel', body.id));
    // The same incident, wrapped by the trigger, is the same finding.
    expect(parseOne({ objectSchemaType: 'Incident', object: body }).fingerprint).toBe(alert.fingerprint);
    expect(sentinelSource.deliveryId(body, req)).toBe('1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d:2024-05-02T13:25:31.5Z');
  });

  it('maps a sign-in risk incident on an account to identity, by product or by tactic; a host entity keeps it a host compromise', () => {
    const body = fixture('incident-signin-risk');
    expect(parseOne(body)).toMatchObject({
      title: 'Unfamiliar sign-in properties',
      severity: 'high',
      category: 'identity',
      entity: { kind: 'account', key: 'r.okafor@acme.example', display: 'Ruth Okafor' },
      labels: { incidentNumber: '1207', tactics: 'InitialAccess', products: 'Azure Active Directory Identity Protection' },
    });
    body.object.properties.additionalData.alertProductNames = ['Microsoft Entra ID Protection'];
    body.object.properties.additionalData.tactics = [];
    expect(parseOne(body).category).toBe('identity');
    body.object.properties.additionalData.alertProductNames = ['Microsoft Defender for Cloud Apps'];
    body.object.properties.additionalData.tactics = ['Persistence'];
    expect(parseOne(body).category).toBe('identity');
    body.object.properties.additionalData.tactics = ['Discovery'];
    expect(parseOne(body).category).toBe('other');
    body.object.properties.additionalData.tactics = ['InitialAccess'];
    body.object.properties.relatedEntities.push({ kind: 'Host', properties: { hostName: 'ws-17' } });
    expect(parseOne(body)).toMatchObject({ category: 'host-compromise', entity: { kind: 'host', key: 'ws-17' } });
  });

  it('keeps the fingerprint across updates, and falls back to a resource entity', () => {
    const body = fixture('incident-host');
    const first = parseOne(body);
    body.object.properties.lastModifiedTimeUtc = '2024-05-02T09:00:00Z';
    body.object.properties.status = 'Active';
    body.object.properties.relatedEntities = [];
    body.object.properties.additionalData.tactics = ['Discovery'];
    const updated = parseOne(body);
    expect(updated.fingerprint).toBe(first.fingerprint);
    expect(updated.category).toBe('other');
    expect(updated.entity).toEqual({
      kind: 'resource',
      key: (body.object.id as string).toLowerCase(),
      display: 'Sentinel incident #1187 (no Host, Account, Mailbox or AzureResource entity in relatedEntities)',
    });
    expect(updated.entity.key.startsWith(SUB)).toBe(true);
  });

  it('maps an incident whose only resource is an Azure resource (an Ip entity names no thing to act on)', () => {
    const body = fixture('incident-azure-resource');
    expect(parseOne(body)).toMatchObject({
      category: 'secret-leak',
      entity: {
        kind: 'resource',
        key: `${SUB}/resourcegroups/rg-prod-payments/providers/microsoft.keyvault/vaults/kv-prod-payments`,
        display: 'kv-prod-payments',
      },
    });
  });

  it('reads a Host by netBiosName or azureID, and a Mailbox by its primary address', () => {
    const body = fixture('incident-host');
    const [host, account] = body.object.properties.relatedEntities;
    host.properties = { netBiosName: 'WEBPROD03' };
    expect(parseOne(body).entity).toEqual({ kind: 'host', key: 'webprod03', display: 'WEBPROD03' });
    host.properties = { azureID: `${SUB}/resourceGroups/rg-prod-web/providers/Microsoft.Compute/virtualMachines/WEB-PROD-03` };
    expect(parseOne(body).entity).toMatchObject({ kind: 'host', key: `${SUB}/resourcegroups/rg-prod-web/providers/microsoft.compute/virtualmachines/web-prod-03` });
    body.object.properties.relatedEntities = [{ ...account, kind: 'Mailbox', properties: { mailboxPrimaryAddress: 'CFO@acme.example', displayName: 'CFO' } }];
    expect(parseOne(body).entity).toEqual({ kind: 'account', key: 'cfo@acme.example', display: 'CFO' });
  });

  it('names the fields that do not match', () => {
    const body = fixture('incident-host');
    body.object.properties.severity = 'Critical';
    delete body.object.properties.title;
    const err = catchPayloadError(() => sentinelSource.parse(body, req, ctx));
    expect(err.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^properties\.severity: .*"High"/), expect.stringMatching(/^properties\.title: /)]),
    );
  });

  it('returns or throws PayloadError for any input', () => {
    for (const bodies of [...anyBodies(), mutatedFixtures(FIXTURES.map((name) => fixture(name)))]) {
      expectOnlyAlertsOrPayloadError(sentinelSource, bodies, { numRuns: 300, req, ctx });
    }
  });
});
