import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedAlert } from '../../../lib/intake/alert';
import { fingerprintOf } from '../../../lib/intake/source';
import { securityhubCategory, securityhubSource } from '../../../lib/intake/sources/securityhub';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { ctx, req, fixture, parse, problemsOf } = adapterHarness(securityhubSource, { receivedAt: '2024-07-03T06:20:00.000Z' });
const ACCOUNT = '123456789012';

describe('securityhub source', () => {
  it('maps a batch to one alert per finding', () => {
    const batch = fixture('findings-batch');
    const [control, cve, backdoor] = batch.detail.findings;
    const alerts = parse(batch);
    expect(alerts).toHaveLength(3);
    expect(alerts[0]).toEqual({
      title: 'S3 general purpose buckets should block public access',
      description: expect.stringContaining('blocks public access at the bucket level'),
      severity: 'high',
      severityOriginal: 'HIGH',
      category: 'config-drift',
      entity: { kind: 'resource', key: 'arn:aws:s3:::acme-prod-invoices', display: 'AwsS3Bucket arn:aws:s3:::acme-prod-invoices' },
      observedAt: '2024-05-16T08:09:15.001Z',
      fingerprint: fingerprintOf('securityhub', control.ProductArn, control.Id),
      labels: {
        product: 'Security Hub',
        findingTypes: 'Software and Configuration Checks/Industry and Regulatory Standards',
        generatorId: 'security-control/S3.8',
        accountId: ACCOUNT,
        region: 'us-east-1',
        resourceType: 'AwsS3Bucket',
        severityLabel: 'HIGH',
        complianceStatus: 'FAILED',
        workflowStatus: 'NEW',
        recordState: 'ACTIVE',
      },
    });
    expect(alerts[1]).toMatchObject({
      title: 'CVE-2024-6387 - openssh-server, openssh-client',
      severity: 'high',
      category: 'vulnerability',
      entity: { kind: 'host', key: 'i-0b2c3d4e5f6a7b8c9', display: 'i-0b2c3d4e5f6a7b8c9' },
      observedAt: '2024-07-03T06:15:02.000Z',
      fingerprint: fingerprintOf('securityhub', cve.ProductArn, cve.Id),
      labels: { product: 'Inspector', findingTypes: 'Software and Configuration Checks/Vulnerabilities/CVE', resourceType: 'AwsEc2Instance' },
    });
    expect(alerts[1].labels.complianceStatus).toBeUndefined();
    expect(alerts[2]).toMatchObject({
      severity: 'high',
      severityOriginal: '8',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'i-0e1f2a3b4c5d6e7f8' },
      fingerprint: fingerprintOf('securityhub', backdoor.ProductArn, backdoor.Id),
      labels: { product: 'GuardDuty', severityLabel: 'HIGH' },
    });
  });

  it('maps a credential finding from an SNS notification', () => {
    const body = fixture('credential-exfiltration.sns');
    expect(parse(body)).toEqual([
      expect.objectContaining({
        title: 'Credentials for instance role web-prod-role used from external IP address.',
        category: 'secret-leak',
        entity: { kind: 'credential', key: 'ASIASZ4SI7REXAMPLE8K', display: 'web-prod-role (access key …LE8K)' },
        observedAt: '2024-05-15T17:43:11.000Z',
      }),
    ]);
    expect(securityhubSource.deliveryId(body, req)).toBe('c5e7a9b1-3d6f-4a8c-9e1b-5d7f9a2c4e6b');
  });

  it('parses the batch the same bare and enveloped; the delivery id is the event id or the SNS MessageId', () => {
    const bare = fixture('findings-batch');
    const sns = fixture('findings-batch.sns');
    expect(parse(sns)).toEqual(parse(bare));
    expect(securityhubSource.deliveryId(bare, req)).toBe('3d8e0a4f-6b1c-9d2e-4f7a-8b5c1d0e3f62');
    expect(securityhubSource.deliveryId(sns, req)).toBe('a1c3e5f7-9b2d-4f6a-8c0e-1b3d5f7a9c2e');
    expect(securityhubSource.deliveryId({ nothing: true }, req)).toBeUndefined();
  });

  it('maps findings an analyst sends through a custom action (detail-type "Security Hub Findings - Custom Action"), with the action as labels', () => {
    const body = fixture('custom-action');
    const [backdoor, credential] = body.detail.findings;
    const alerts = parse(body);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      category: 'host-compromise',
      entity: { kind: 'host', key: 'i-0e1f2a3b4c5d6e7f8' },
      fingerprint: fingerprintOf('securityhub', backdoor.ProductArn, backdoor.Id),
      labels: { product: 'GuardDuty', customAction: 'SendToPalisade', detailType: 'Security Hub Findings - Custom Action' },
    });
    expect(alerts[1]).toMatchObject({
      category: 'secret-leak',
      entity: { kind: 'credential', key: 'ASIASZ4SI7REXAMPLE8K' },
      fingerprint: fingerprintOf('securityhub', credential.ProductArn, credential.Id),
    });
    // The same finding imported and pushed by hand is one finding.
    expect(alerts[0].fingerprint).toBe(parse(fixture('findings-batch'))[2].fingerprint);
    expect(securityhubSource.deliveryId(body, req)).toBe(body.id);
  });

  it('maps insight results (detail-type "Security Hub Insight Results") to one alert per result, the grouped resource as the entity', () => {
    const body = fixture('insight-results');
    const alerts = parse(body);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      title: 'EC2 instances that have ports accessed from outside the network',
      description: expect.stringContaining('5 findings'),
      severity: 'medium',
      severityOriginal: 'unspecified',
      category: 'other',
      entity: { kind: 'host', key: 'i-0e1f2a3b4c5d6e7f8' },
      labels: { insightArn: body.detail.insightArn, resultType: 'ResourceId', findingCount: '5', customAction: 'SendToPalisade' },
    });
    expect(alerts[1].entity).toMatchObject({ kind: 'host', key: 'i-0b2c3d4e5f6a7b8c9' });
    expect(alerts[0].fingerprint).not.toBe(alerts[1].fingerprint);
  });

  it.each([
    ['AwsAccountId', '210987654321', { kind: 'account', key: '210987654321' }],
    ['ResourceAwsIamAccessKeyUserName', 'deploy-bot', { kind: 'account', key: 'deploy-bot' }],
    ['ResourceId', 'arn:aws:s3:::acme-prod-invoices', { kind: 'resource', key: 'arn:aws:s3:::acme-prod-invoices' }],
    ['ResourceAwsEc2InstanceIpV4Addresses', '10.0.3.17', { kind: 'host', key: '10.0.3.17' }],
  ])('takes an insight grouped by %s as naming the thing to act on', (resultType, value, entity) => {
    const body = fixture('insight-results');
    body.detail.resultType = resultType;
    body.detail.insightResults = [{ [value]: 3 }];
    expect(parse(body)[0].entity).toMatchObject(entity);
  });

  it('leaves out an insight group whose value is empty, and refuses an insight with nothing else', () => {
    const body = fixture('insight-results');
    body.detail.insightResults = [{ '': 2 }, { '  ': 1 }, { 'arn:aws:ec2:us-east-1:123456789012:instance/i-0b2c3d4e5f6a7b8c9': 2 }];
    const alerts = parse(body);
    expect(alerts.map((a) => a.entity.key)).toEqual(['i-0b2c3d4e5f6a7b8c9']);
    body.detail.insightResults = [{ '': 2 }];
    expect(() => parse(body)).toThrow(/detail\.insightResults: .*no group with a value/);
  });

  it('says which attribute an insight is grouped by when it names no resource', () => {
    const body = fixture('insight-results');
    body.detail.resultType = 'SeverityLabel';
    body.detail.insightResults = [{ CRITICAL: 4 }];
    const [alert] = parse(body);
    expect(alert.entity.kind).toBe('resource');
    expect(alert.entity.key).toBe(`${body.detail.insightArn}:SeverityLabel=CRITICAL`);
    expect(alert.entity.display).toContain('grouped by SeverityLabel');
  });

  it('reads Severity.Normalized when a finding has no Label, and does without CreatedAt, GeneratorId and Types', () => {
    const batch = fixture('findings-batch');
    const f = batch.detail.findings[0];
    f.Severity = { Normalized: 90 };
    delete f.CreatedAt;
    delete f.GeneratorId;
    delete f.Types;
    expect(parse(batch)[0]).toMatchObject({ severity: 'critical', severityOriginal: 'Normalized 90' });
  });

  it('keeps fingerprints stable across updates of a finding', () => {
    const batch = fixture('findings-batch');
    const updated = structuredClone(batch);
    updated.id = 'f0f0f0f0-0000-4000-8000-000000000000';
    updated.detail.findings[0].UpdatedAt = '2024-06-01T00:00:00.000Z';
    updated.detail.findings[0].Compliance.Status = 'PASSED';
    updated.detail.findings[0].Workflow.Status = 'RESOLVED';
    expect(parse(updated)[0].fingerprint).toBe(parse(batch)[0].fingerprint);
  });

  it.each([
    ['INFORMATIONAL', 'info'],
    ['LOW', 'low'],
    ['MEDIUM', 'medium'],
    ['HIGH', 'high'],
    ['CRITICAL', 'critical'],
  ])('maps Severity.Label %s to %s, keeping Original or else the label', (label, severity) => {
    const batch = fixture('findings-batch');
    batch.detail.findings[0].Severity = { Label: label };
    expect(parse(batch)[0]).toMatchObject({ severity, severityOriginal: label, labels: { severityLabel: label } });
  });

  it.each([
    [['Software and Configuration Checks/Vulnerabilities/CVE'], 'AwsEcrContainerImage', 'vulnerability'],
    [['Sensitive Data Identifications/Passwords/AWSSecretKey'], 'AwsS3Bucket', 'secret-leak'],
    [['TTPs/Credential Access/CredentialAccess:IAMUser-AnomalousBehavior'], 'AwsIamUser', 'secret-leak'],
    [['TTPs/Initial Access/UnauthorizedAccess:IAMUser-ConsoleLogin'], 'AwsIamAccessKey', 'secret-leak'],
    [['Unusual Behaviors/VM/Anomalous process'], 'AwsEc2Instance', 'host-compromise'],
    [['Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B'], 'AwsEc2Instance', 'host-compromise'],
    [['TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller'], 'AwsIamUser', 'other'],
    [['Software and Configuration Checks/AWS Security Best Practices'], 'AwsAccount', 'config-drift'],
    [[], 'AwsAccount', 'other'],
  ])('categorizes %j on %s as %s', (types, resourceType, category) => {
    expect(securityhubCategory({ Types: types }, resourceType)).toBe(category);
  });

  it('treats a finding with Compliance as config drift', () => {
    expect(securityhubCategory({ Types: ['Industry and Regulatory Standards/CIS AWS Foundations Benchmark'], Compliance: { Status: 'FAILED' } }, 'AwsAccount')).toBe(
      'config-drift',
    );
  });

  it('maps an AwsAccount resource to the account entity', () => {
    const batch = fixture('findings-batch');
    batch.detail.findings[0].Resources = [{ Type: 'AwsAccount', Id: `AWS::::Account:${ACCOUNT}`, Partition: 'aws', Region: 'us-east-1' }];
    expect(parse(batch)[0].entity).toEqual({ kind: 'account', key: ACCOUNT, display: `AWS account ${ACCOUNT}` });
  });

  it('returns the SNS subscription handshake as a control result', () => {
    const body = fixture('subscription-confirmation');
    expect(securityhubSource.parse(body, req, ctx)).toEqual({ kind: 'control', message: expect.any(String), subscribeUrl: body.SubscribeURL, topicArn: body.TopicArn });
  });

  it('names the fields that do not match', () => {
    const batch = fixture('findings-batch');
    batch.detail.findings[1].Severity.Label = 'SEVERE';
    batch.detail.findings[2].Resources = [];
    expect(problemsOf(batch)).toEqual([
      expect.stringMatching(/^detail\.findings\.1\.Severity\.Label: /),
      expect.stringMatching(/^detail\.findings\.2\.Resources: /),
    ]);
    const empty = fixture('findings-batch');
    empty.detail.findings = [];
    expect(problemsOf(empty)).toEqual([expect.stringMatching(/^detail\.findings: /)]);
    const sns = fixture('findings-batch.sns');
    const event = JSON.parse(sns.Message);
    delete event.detail.findings[0].AwsAccountId;
    expect(problemsOf({ ...sns, Message: JSON.stringify(event) })).toEqual([expect.stringMatching(/^Message\.detail\.findings\.0\.AwsAccountId: /)]);
  });

  it('says which detail-types it expected when a GuardDuty event arrives', () => {
    expect(problemsOf(fixture('crypto-mining', 'guardduty'))).toEqual([
      'detail-type: expected "Security Hub Findings - Imported", "Security Hub Findings - Custom Action" or "Security Hub Insight Results", got "GuardDuty Finding" (a guardduty event: send it to /webhooks/guardduty)',
    ]);
  });

  it('redacts secrets in the finding text', () => {
    const token = `ghp_${'Zx9Yw8Vu7T'.repeat(3)}s6R5q4`;
    const batch = fixture('findings-batch');
    batch.detail.findings[0].Description = `The bucket policy embeds ${token}.`;
    batch.detail.findings[0].Title = `Token ${token} exposed`;
    batch.detail.findings[0].GeneratorId = token;
    const result = securityhubSource.parse(batch, req, ctx);
    expect(JSON.stringify(result)).not.toContain(token);
    expect((result as { alerts: ParsedAlert[] }).alerts[0].secrets).toEqual([
      expect.objectContaining({ type: 'github_token', last4: token.slice(-4) }),
      expect.objectContaining({ type: 'github_token' }),
      expect.objectContaining({ type: 'github_token' }),
    ]);
  });

  describe('never fails with anything but a PayloadError', () => {
    const check = (bodies: fc.Arbitrary<unknown>) => expectOnlyAlertsOrPayloadError(securityhubSource, bodies, { numRuns: 300, req, ctx });

    it('for any value', () => {
      for (const bodies of anyBodies()) check(bodies);
      check(fc.anything().map((v) => ({ ...fixture('findings-batch.sns'), Message: JSON.stringify(v) ?? '' })));
    });

    it('for fixtures with a field replaced by any JSON value', () => {
      const names = ['findings-batch', 'findings-batch.sns', 'credential-exfiltration.sns', 'subscription-confirmation', 'custom-action', 'insight-results'];
      check(mutatedFixtures(names.map((name) => fixture(name)), { insideSnsMessage: true }));
    });
  });
});
