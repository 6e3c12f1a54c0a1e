import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedAlert } from '../../../lib/intake/alert';
import { fingerprintOf } from '../../../lib/intake/source';
import { guarddutyCategory, guarddutySource } from '../../../lib/intake/sources/guardduty';
import { adapterHarness, anyBodies, expectOnlyAlertsOrPayloadError, mutatedFixtures } from '../../support/adapters';

const { ctx, req, fixture, parse, problemsOf } = adapterHarness(guarddutySource, { receivedAt: '2024-05-20T12:00:00.000Z' });
const FINDINGS = ['ssh-brute-force', 'crypto-mining', 'credential-exfiltration', 's3-block-public-access-disabled'];
const VARIANTS = [
  'console-login-anomaly', 'eks-runtime-new-binary', 'eks-audit-exec-kube-system', 'ecs-fargate-reverse-shell', 'lambda-c2-activity',
  'rds-anomalous-login', 's3-malicious-object', 'attack-sequence-compromised-credentials',
];
const ACCOUNT = '123456789012';

/** An SNS notification carrying `event`, as SNS would deliver it. */
function enveloped(event: unknown): any {
  return { ...fixture('ssh-brute-force.sns'), Message: JSON.stringify(event) };
}

const labels = (findingType: string, resourceType: string, count: string) => ({ findingType, accountId: ACCOUNT, region: 'us-east-1', resourceType, count });

describe('guardduty source', () => {
  it('maps SSH brute force against an instance', () => {
    expect(parse(fixture('ssh-brute-force'))).toEqual([
      {
        title: '198.51.100.23 is performing SSH brute force attacks against i-0a1b2c3d4e5f67890.',
        description: expect.stringContaining('guessing the SSH password'),
        severity: 'low',
        severityOriginal: '2.0',
        category: 'host-compromise',
        entity: { kind: 'host', key: 'i-0a1b2c3d4e5f67890', display: 'i-0a1b2c3d4e5f67890' },
        observedAt: '2024-05-12T10:21:33.417Z',
        fingerprint: fingerprintOf('guardduty', ACCOUNT, '8ac7d2f5e91b3c4d0a6e7f8b9c1d2e3f'),
        labels: labels('UnauthorizedAccess:EC2/SSHBruteForce', 'Instance', '14'),
      },
    ]);
  });

  it('maps crypto mining on an instance', () => {
    const [alert] = parse(fixture('crypto-mining'));
    expect(alert).toMatchObject({
      title: 'Bitcoin-related domain name queried by EC2 instance i-0d4c3b2a1f0e9d8c7.',
      severity: 'high',
      severityOriginal: '8.0',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'i-0d4c3b2a1f0e9d8c7' },
      observedAt: '2024-05-14T03:07:12.006Z',
      labels: labels('CryptoCurrency:EC2/BitcoinTool.B!DNS', 'Instance', '37'),
    });
  });

  it('maps an IAM user finding to a takeover of that account, the access key only in its display', () => {
    const [alert] = parse(fixture('console-login-anomaly'));
    expect(alert).toMatchObject({
      title: 'Unusual console login was seen for principal dave.',
      severity: 'medium',
      category: 'identity',
      entity: { kind: 'account', key: 'dave', display: 'IAM user dave (access key …LE2Q)' },
      labels: labels('UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B', 'AccessKey', '1'),
    });
    // The same finding about a role session or the root user is no account Palisade can disable.
    for (const userType of ['AssumedRole', 'Root', undefined]) {
      const event = fixture('console-login-anomaly');
      event.detail.resource.accessKeyDetails.userType = userType;
      expect(parse(event)[0]).toMatchObject({ category: 'other', entity: { kind: 'credential', key: 'ASIASZ4SI7REXAMPLE2Q' } });
    }
  });

  it('maps instance credential exfiltration to a leaked credential', () => {
    const [alert] = parse(fixture('credential-exfiltration'));
    expect(alert).toMatchObject({
      title: 'Credentials for instance role web-prod-role used from external IP address.',
      severity: 'high',
      category: 'secret-leak',
      entity: { kind: 'credential', key: 'ASIASZ4SI7REXAMPLE8K', display: 'web-prod-role (access key …LE8K)' },
      labels: labels('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'AccessKey', '3'),
    });
  });

  it('maps an S3 policy finding to config drift on the bucket', () => {
    const [alert] = parse(fixture('s3-block-public-access-disabled'));
    expect(alert).toMatchObject({
      severity: 'low',
      severityOriginal: '2.0',
      category: 'config-drift',
      entity: { kind: 'resource', key: 'arn:aws:s3:::acme-prod-invoices', display: 'S3 bucket acme-prod-invoices' },
      observedAt: '2024-05-16T08:02:31.644Z',
      labels: labels('Policy:S3/BucketBlockPublicAccessDisabled', 'S3Bucket', '1'),
    });
  });

  it.each(FINDINGS)('parses %s the same bare and inside an SNS notification', (name) => {
    const bare = fixture(name);
    const sns = fixture(`${name}.sns`);
    expect(parse(sns)).toEqual(parse(bare));
    expect(guarddutySource.deliveryId(bare, req)).toBe(bare.id);
    expect(guarddutySource.deliveryId(sns, req)).toBe(sns.MessageId);
    expect(sns.MessageId).not.toBe(bare.id);
  });

  it('keeps the fingerprint when GuardDuty updates a finding, and tells accounts apart', () => {
    const original = fixture('ssh-brute-force');
    const updated = structuredClone(original);
    updated.id = 'another-event-id';
    updated.detail.updatedAt = '2024-05-12T11:40:02.000Z';
    updated.detail.service.count = 40;
    updated.detail.severity = 5;
    expect(parse(updated)[0].fingerprint).toBe(parse(original)[0].fingerprint);
    const otherAccount = structuredClone(original);
    otherAccount.detail.accountId = '210987654321';
    expect(parse(otherAccount)[0].fingerprint).not.toBe(parse(original)[0].fingerprint);
  });

  it.each([
    [0.5, 'info', '0.5'],
    [1, 'low', '1.0'],
    [3.9, 'low', '3.9'],
    [4, 'medium', '4.0'],
    [6.9, 'medium', '6.9'],
    [7, 'high', '7.0'],
    [8.9, 'high', '8.9'],
    [9, 'critical', '9.0'],
  ])('maps severity %s to %s, keeping "%s"', (value, severity, original) => {
    const event = fixture('ssh-brute-force');
    event.detail.severity = value;
    expect(parse(event)[0]).toMatchObject({ severity, severityOriginal: original });
  });

  it.each([
    ['Backdoor:EC2/C&CActivity.B!DNS', 'host-compromise'],
    ['Trojan:EC2/DNSDataExfiltration', 'host-compromise'],
    ['Execution:Runtime/NewBinaryExecuted', 'host-compromise'],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS', 'secret-leak'],
    ['Stealth:IAMUser/CloudTrailLoggingDisabled', 'config-drift'],
    ['Policy:IAMUser/RootCredentialUsage', 'config-drift'],
    ['Recon:IAMUser/MaliciousIPCaller', 'other'],
    ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B', 'other'],
    ['Recon:EC2/PortProbeUnprotectedPort', 'other'],
    ['AttackSequence:IAM/CompromisedCredentials', 'secret-leak'],
    ['AttackSequence:EC2/CompromisedInstanceGroup', 'host-compromise'],
    ['AttackSequence:S3/CompromisedData', 'other'],
    ['Execution:EC2/MaliciousFile', 'host-compromise'],
    ['Object:S3/MaliciousFile', 'other'],
    ['not a finding type', 'other'],
  ])('categorizes %s as %s', (type, category) => {
    expect(guarddutyCategory(type)).toBe(category);
  });

  it.each([
    ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B', 'identity'],
    ['UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom', 'identity'],
    ['CredentialAccess:IAMUser/AnomalousBehavior', 'identity'],
    ['Persistence:IAMUser/AnomalousBehavior', 'identity'],
    ['PrivilegeEscalation:IAMUser/AnomalousBehavior', 'identity'],
    ['InitialAccess:IAMUser/AnomalousBehavior', 'identity'],
    ['PenTest:IAMUser/KaliLinux', 'identity'],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'secret-leak'],
    ['Recon:IAMUser/TorIPCaller', 'other'],
    ['Discovery:IAMUser/AnomalousBehavior', 'other'],
    ['Stealth:IAMUser/PasswordPolicyChange', 'config-drift'],
    ['UnauthorizedAccess:EC2/SSHBruteForce', 'host-compromise'],
  ])('categorizes %s with an IAM user principal as %s', (type, category) => {
    expect(guarddutyCategory(type, true)).toBe(category);
  });

  it('maps Runtime Monitoring on an EKS node to the node instance, with the cluster and pod in the display', () => {
    const [alert] = parse(fixture('eks-runtime-new-binary'));
    expect(alert).toMatchObject({
      severity: 'medium',
      category: 'host-compromise',
      entity: { kind: 'host', key: 'i-0f9e8d7c6b5a41302', display: 'i-0f9e8d7c6b5a41302 (EKS cluster shop-prod, pods shop/checkout-7d9f8b6c5-x2kqp)' },
      labels: { resourceType: 'EKSCluster', cluster: 'shop-prod', workload: 'pods shop/checkout-7d9f8b6c5-x2kqp' },
    });
  });

  it('maps an EKS audit log finding to the cluster, naming the workload', () => {
    const [alert] = parse(fixture('eks-audit-exec-kube-system'));
    expect(alert).toMatchObject({
      category: 'other',
      entity: {
        kind: 'resource',
        key: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/shop-prod`,
        display: 'EKS cluster shop-prod (pods kube-system/coredns-5d78c9869d-7xk2p)',
      },
      labels: { kubernetesUser: 'alice@example.com' },
    });
  });

  it.each([
    ['ecs-fargate-reverse-shell', 'host-compromise', `arn:aws:ecs:us-east-1:${ACCOUNT}:task/payments/0f1e2d3c4b5a69788a7b6c5d4e3f2a1b`, 'ECS task 0f1e2d3c4b5a69788a7b6c5d4e3f2a1b (cluster payments)'],
    ['lambda-c2-activity', 'other', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:resize-images`, 'Lambda function resize-images'],
    ['rds-anomalous-login', 'other', `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders-db-1`, 'RDS DB instance orders-db-1 (user app_admin)'],
    ['s3-malicious-object', 'other', 'arn:aws:s3:::acme-uploads/incoming/invoice-2024-06.pdf.exe', 'S3 object acme-uploads/incoming/invoice-2024-06.pdf.exe'],
  ])('maps %s to the resource a responder acts on', (name, category, key, display) => {
    expect(parse(fixture(name))[0]).toMatchObject({ category, entity: { kind: 'resource', key, display } });
  });

  it('maps an attack sequence on credentials to the access key, at critical severity', () => {
    expect(parse(fixture('attack-sequence-compromised-credentials'))[0]).toMatchObject({
      severity: 'critical',
      severityOriginal: '9.2',
      category: 'secret-leak',
      entity: { kind: 'credential', key: 'AKIAZ4SI7REXAMPLE7Q2', display: 'deploy-bot (access key …E7Q2)' },
    });
  });

  it('falls back to the principal, a resource the attack sequence names, then the account, saying which fields it looked at', () => {
    const noKey = fixture('credential-exfiltration');
    delete noKey.detail.resource.accessKeyDetails.accessKeyId;
    expect(parse(noKey)[0].entity).toEqual({ kind: 'account', key: 'web-prod-role', display: 'web-prod-role (AssumedRole; no access key id in the finding)' });

    const sequence = fixture('attack-sequence-compromised-credentials');
    sequence.detail.resource = { resourceType: 'AccessKey' };
    expect(parse(sequence)[0].entity).toMatchObject({ kind: 'credential', key: 'AKIAZ4SI7REXAMPLE7Q2' });

    const bare = fixture('ssh-brute-force');
    bare.detail.resource = { resourceType: 'Lambda' };
    expect(parse(bare)[0].entity).toEqual({
      kind: 'account',
      key: ACCOUNT,
      display: `AWS account ${ACCOUNT} (the Lambda finding names no resource: looked at resource.*Details and service.detection.sequence.resources)`,
    });
    delete bare.detail.resource.resourceType;
    delete bare.detail.title;
    expect(parse(bare)[0]).toMatchObject({ title: 'UnauthorizedAccess:EC2/SSHBruteForce', entity: { kind: 'account', key: ACCOUNT } });
  });

  it('returns the SNS subscription handshake as a control result', () => {
    const body = fixture('subscription-confirmation');
    expect(guarddutySource.parse(body, req, ctx)).toEqual({ kind: 'control', message: expect.stringContaining('palisade-security-findings'), subscribeUrl: body.SubscribeURL, topicArn: body.TopicArn });
    expect(guarddutySource.deliveryId(body, req)).toBe(body.MessageId);
    // An unsubscribe is news for responders: one alert on the topic, and an error for the log.
    const unsubscribe = guarddutySource.parse(fixture('unsubscribe-confirmation'), req, ctx);
    const topic = fixture('unsubscribe-confirmation').TopicArn;
    expect(unsubscribe).toMatchObject({ kind: 'alerts', alerts: [{ entity: { kind: 'resource', key: topic }, severity: 'high', labels: { snsMessageType: 'UnsubscribeConfirmation' } }], error: expect.stringContaining(topic) });
  });

  it('rejects a SubscribeURL that is not an https SNS URL', () => {
    const body = { ...fixture('subscription-confirmation'), SubscribeURL: 'https://evil.example.com/?Action=ConfirmSubscription' };
    expect(problemsOf(body)).toEqual([expect.stringMatching(/^SubscribeURL: expected an https URL on an Amazon SNS host/)]);
  });

  it('names the fields that do not match, inside the SNS Message too', () => {
    const event = fixture('ssh-brute-force');
    delete event.detail.severity;
    event.detail.updatedAt = 'yesterday';
    expect(problemsOf(event)).toEqual([expect.stringMatching(/^detail\.severity: /), expect.stringMatching(/^detail\.updatedAt: /)]);
    expect(problemsOf(enveloped(event))).toEqual([expect.stringMatching(/^Message\.detail\.severity: /), expect.stringMatching(/^Message\.detail\.updatedAt: /)]);

    expect(problemsOf({ ...fixture('crypto-mining.sns'), Message: 'not json' })).toEqual([expect.stringMatching(/^Message: expected the EventBridge event as a JSON string/)]);
    expect(problemsOf({ ...fixture('crypto-mining.sns'), Type: 'Bogus' })).toEqual([expect.stringMatching(/^Type: expected "Notification"/)]);
    expect(problemsOf([])).toEqual([expect.stringMatching(/^\(body\): /)]);
  });

  it('says which detail-type it expected when another event arrives', () => {
    const [problem] = problemsOf(fixture('findings-batch', 'securityhub'));
    expect(problem).toBe('detail-type: expected "GuardDuty Finding", got "Security Hub Findings - Imported" (a securityhub event: send it to /webhooks/securityhub)');
    expect(problemsOf(fixture('findings-batch.sns', 'securityhub'))[0]).toMatch(/^Message\.detail-type: expected "GuardDuty Finding"/);
    const foreign = { ...fixture('ssh-brute-force'), source: 'custom.app' };
    expect(problemsOf(foreign)).toEqual(['source: expected "aws.guardduty", got "custom.app"']);
  });

  it('redacts secrets in the finding text', () => {
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8z7`;
    const event = fixture('credential-exfiltration');
    event.detail.description += ` Found token ${token} in user data.`;
    event.detail.title = `Leak of ${token}`;
    event.detail.resource.accessKeyDetails.userName = token;
    const result = guarddutySource.parse(enveloped(event), req, ctx);
    const json = JSON.stringify(result);
    expect(json).not.toContain(token);
    expect(json).toContain('[REDACTED github_token');
    const [alert] = (result as { alerts: ParsedAlert[] }).alerts;
    expect(alert.secrets?.map((s) => s.type)).toContain('github_token');
  });

  describe('never fails with anything but a PayloadError', () => {
    const check = (bodies: fc.Arbitrary<unknown>) => expectOnlyAlertsOrPayloadError(guarddutySource, bodies, { numRuns: 300, req, ctx });

    it('for any value', () => {
      for (const bodies of anyBodies()) check(bodies);
      check(fc.anything().map((v) => ({ ...fixture('ssh-brute-force.sns'), Message: JSON.stringify(v) ?? '' })));
    });

    it('for fixtures with a field replaced by any JSON value', () => {
      const names = [...FINDINGS, ...FINDINGS.map((n) => `${n}.sns`), ...VARIANTS, 'subscription-confirmation', 'unsubscribe-confirmation'];
      check(mutatedFixtures(names.map((name) => fixture(name)), { insideSnsMessage: true }));
    });
  });
});
