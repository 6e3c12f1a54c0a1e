import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsConfigBaseline, SG_TAGS } from '../../activities/providers/config-baseline/aws-config';
import { KnownNetworks, usageFromEvent } from '../../activities/providers/credentials/aws-cloudtrail-usage';
import { AwsIamCredentials, quarantinePolicyName } from '../../activities/providers/credentials/aws-iam';
import { Redactor } from '../../lib/intake/redact';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { TEST_REDACTION_KEY } from '../support/engine';
import { motoClientConfig, startMoto, type Moto } from '../support/moto';
import { failure } from '../support/failures';

const INCIDENT = 'inc-iam-1';
const call = (key: string = randomUUID()) => ({ idempotencyKey: key, incidentId: INCIDENT });
/** How the door fingerprints a leaked secret (lib/intake/redact.ts), with the test engine's key. */
const redactor = new Redactor(Buffer.from(TEST_REDACTION_KEY));


describe('AWS IAM credentials against moto', () => {
  let moto: Moto;
  let iam: IAMClient;
  let secrets: SecretsManagerClient;
  let provider: AwsIamCredentials;

  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient(motoClientConfig(moto));
    secrets = new SecretsManagerClient(motoClientConfig(moto));
    provider = new AwsIamCredentials({ iam, secrets, cloudtrail: new CloudTrailClient(motoClientConfig(moto)) }, redactor, { knownNetworks: ['10.0.0.0/8'] });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  /** A user with one key (and an inline policy); the key's secret is returned to compare against, never printed. */
  async function userWithKey(name: string): Promise<{ keyId: string; secret: string }> {
    await iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: 'palisade:dependents', Value: 'ci-pipeline, deploy-service' }] }));
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'deploy', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { keyId: key.AccessKeyId!, secret: key.SecretAccessKey! };
  }

  const keysOf = async (user: string) => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];

  it('finds a leaked key by the fingerprint the door gave it, and nothing for an unknown one', async () => {
    await userWithKey('bystander');
    const { keyId } = await userWithKey('deploy-bot');
    const ref = redactor.describe('aws_access_key_id', keyId);

    const info = await provider.lookup(call(), ref);
    expect(info).toEqual({
      credentialId: keyId,
      type: 'aws_access_key_id',
      owner: 'deploy-bot',
      shared: false,
      scope: ['inline:deploy'],
      dependents: ['secretsmanager:palisade/rotated/deploy-bot', 'ci-pipeline', 'deploy-service'],
      status: 'active',
    });

    expect(await provider.lookup(call(), redactor.describe('aws_access_key_id', 'AKIAIOSFODNN7EXAMPLE'))).toBeNull();
    // Same last4, another key: the fingerprint decides.
    expect(await provider.lookup(call(), { ...ref, fingerprint: redactor.fingerprint(`AKIA${'0'.repeat(12)}${keyId.slice(-4)}`) })).toBeNull();
    expect(await provider.lookup(call(), { ...ref, type: 'github_token' })).toBeNull();
  });

  it('revokes: the key really becomes Inactive and the user gets a deny-all, twice without harm', async () => {
    const { keyId } = await userWithKey('leaky');
    const policy = quarantinePolicyName(INCIDENT);

    const first = await provider.revoke(call('revoke-1'), keyId, 'Palisade incident inc-iam-1: key in a public gist');
    expect(first).toMatchObject({ credentialId: keyId, owner: 'leaky', status: 'revoked' });
    expect((await keysOf('leaky')).map((k) => [k.AccessKeyId, k.Status])).toEqual([[keyId, 'Inactive']]);
    const doc = (await iam.send(new GetUserPolicyCommand({ UserName: 'leaky', PolicyName: policy }))).PolicyDocument!;
    expect(JSON.parse(decodeURIComponent(doc))).toEqual({ Version: '2012-10-17', Statement: [{ Sid: 'PalisadeQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }] });

    const again = await provider.revoke(call('revoke-1'), keyId, 'retried');
    expect(again.status).toBe('revoked');
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'leaky' }))).PolicyNames?.sort()).toEqual(['deploy', policy].sort());

    const missing = await failure(provider.revoke(call(), 'AKIAIOSFODNN7EXAMPLE', 'nope'));
    expect(missing.type).toBe(ProviderErrorType.NotFound);
    expect(missing.nonRetryable).toBe(true);
  });

  it('rotates: a new key in Secrets Manager, the old key gone, the deny-all lifted; a retry changes nothing', async () => {
    const { keyId, secret: oldSecret } = await userWithKey('rotating');
    await provider.revoke(call(), keyId, 'leaked');

    const result = await provider.rotate(call('rotate-1'), keyId);
    expect(result.credentialId).toBe(keyId);
    expect(result.newCredentialId).not.toBe(keyId);
    expect(result.updatedDependents).toEqual(['secretsmanager:palisade/rotated/rotating', 'ci-pipeline', 'deploy-service']);
    expect((await keysOf('rotating')).map((k) => [k.AccessKeyId, k.Status])).toEqual([[result.newCredentialId, 'Active']]);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'rotating' }))).PolicyNames).toEqual(['deploy']);

    const stored = JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: 'palisade/rotated/rotating' }))).SecretString!);
    expect(stored.accessKeyId).toBe(result.newCredentialId);
    expect(stored.replaces).toBe(keyId);
    expect(typeof stored.secretAccessKey).toBe('string');
    expect(stored.secretAccessKey.length).toBeGreaterThan(0);
    expect(stored.secretAccessKey === oldSecret).toBe(false); // compared, never printed
    expect(JSON.stringify(result).includes(stored.secretAccessKey)).toBe(false);

    // The worker died after rotating and the activity runs again: same answer, no new key.
    const retried = await provider.rotate(call('rotate-1'), keyId);
    expect(retried.newCredentialId).toBe(result.newCredentialId);
    expect((await keysOf('rotating')).map((k) => k.AccessKeyId)).toEqual([result.newCredentialId]);

    // A second rotation (a later incident) reuses the secret, with a new value.
    const next = await provider.rotate(call('rotate-2'), result.newCredentialId);
    const after = JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: 'palisade/rotated/rotating' }))).SecretString!);
    expect(after.accessKeyId).toBe(next.newCredentialId);
    expect((await keysOf('rotating')).map((k) => k.AccessKeyId)).toEqual([next.newCredentialId]);
  });

  it('refuses to rotate a key whose user holds a second key of its own', async () => {
    const { keyId } = await userWithKey('two-keys');
    const other = (await iam.send(new CreateAccessKeyCommand({ UserName: 'two-keys' }))).AccessKey!.AccessKeyId!;
    const err = await failure(provider.rotate(call(), keyId));
    expect(err.type).toBe(ProviderErrorType.Invalid);
    expect(err.message).toContain(other);
    expect((await keysOf('two-keys')).map((k) => k.AccessKeyId).sort()).toEqual([keyId, other].sort());
  });

  it('rotates a Secrets Manager secret by ARN: a new password, the rest kept, once per call', async () => {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'db/orders', SecretString: JSON.stringify({ username: 'orders', password: 'old-password-1234' }), Tags: [{ Key: 'palisade:dependents', Value: 'orders-api' }] }),
    );
    const arn = created.ARN!;
    const result = await provider.rotate(call('rotate-secret'), arn);
    expect(result).toMatchObject({ credentialId: arn, updatedDependents: ['orders-api'] });
    const value = JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
    expect(value.username).toBe('orders');
    expect(value.password === 'old-password-1234').toBe(false);
    expect(value.password.length).toBe(40);

    const versions = async () => Object.keys((await secrets.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {}).length;
    const before = await versions();
    await provider.rotate(call('rotate-secret'), arn);
    expect(await versions()).toBe(before);

    expect((await failure(provider.revoke(call(), arn, 'leaked'))).type).toBe(ProviderErrorType.Invalid);
  });

  it('findUsage asks CloudTrail LookupEvents by access key id (moto does not implement LookupEvents)', async () => {
    const { keyId } = await userWithKey('usage');
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    // moto 5.2.5 answers LookupEvents with an HTML HTTP 500 ("not implemented"): the provider reports it
    // as a retryable Unavailable, as it would a CloudTrail outage.
    const err = await failure(provider.findUsage(call(), keyId, window));
    expect(err.type).toBe(ProviderErrorType.Unavailable);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('cloudtrail:LookupEvents');
    expect(err.details).toEqual([expect.objectContaining({ httpStatus: 500, action: 'cloudtrail:LookupEvents' })]);
  });

  it('maps a CloudTrail event (the documented LookupEvents shape) to a credential use', () => {
    const known = new KnownNetworks(['10.0.0.0/8', '2001:db8::/32']);
    const event = {
      EventId: 'e1',
      EventName: 'ListBuckets',
      EventSource: 's3.amazonaws.com',
      EventTime: new Date('2026-01-02T03:04:05Z'),
      CloudTrailEvent: JSON.stringify({ eventVersion: '1.08', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', sourceIPAddress: '203.0.113.9' }),
    };
    expect(usageFromEvent(event, known)).toEqual({ at: '2026-01-02T03:04:05.000Z', action: 's3:ListBuckets', sourceIp: '203.0.113.9', unusual: true });
    const inside = { ...event, CloudTrailEvent: JSON.stringify({ sourceIPAddress: '10.1.2.3' }) };
    expect(usageFromEvent(inside, known).unusual).toBe(false);
    expect(usageFromEvent({ ...event, CloudTrailEvent: JSON.stringify({ sourceIPAddress: '2001:db8::1' }) }, known).unusual).toBe(false);
    expect(usageFromEvent({ ...event, CloudTrailEvent: JSON.stringify({ sourceIPAddress: 'AWS Internal' }) }, known).unusual).toBe(false);
  });
});

/**
 * AWS Config's configuration recorder, for security groups. moto 5.2.5's Config answers
 * GetResourceConfigHistory only for S3, IAM and SNS resources, and never with history; so
 * this loopback server speaks the same JSON protocol (the provider's real SDK client calls
 * it) and answers with configuration items the test records from moto's real EC2 state,
 * in AWS Config's documented shape, as the recorder would after each change.
 */
class ConfigRecorder {
  private readonly items = new Map<string, { capture: number; configuration: string }[]>();
  private server!: Server;
  endpoint = '';

  constructor(private readonly ec2: EC2Client) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
        };
        if (req.headers['x-amz-target'] !== 'StarlingDoveService.GetResourceConfigHistory') {
          return reply(400, { __type: 'UnknownOperationException', message: String(req.headers['x-amz-target']) });
        }
        const q = JSON.parse(body) as { resourceId: string; laterTime?: number; limit?: number };
        const recorded = this.items.get(q.resourceId);
        if (!recorded) return reply(400, { __type: 'ResourceNotDiscoveredException', message: `Resource ${q.resourceId} is not discovered.` });
        const items = recorded
          .filter((i) => q.laterTime === undefined || i.capture <= q.laterTime * 1000)
          .sort((a, b) => b.capture - a.capture)
          .slice(0, q.limit ?? 10)
          .map((i) => ({
            resourceType: 'AWS::EC2::SecurityGroup',
            resourceId: q.resourceId,
            configurationItemStatus: 'OK',
            configurationItemCaptureTime: i.capture / 1000,
            configuration: i.configuration,
          }));
        reply(200, { configurationItems: items });
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }

  /** Records the group as it is now in moto, in Config's shape (`ipPermissions[].ipv4Ranges[].cidrIp`), on a new second. */
  async record(groupId: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const group = (await this.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0];
    const list = this.items.get(groupId) ?? [];
    list.push({ capture: Math.floor(Date.now() / 1000) * 1000, configuration: JSON.stringify(configItemOf(group)) });
    this.items.set(groupId, list);
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
  }
}

function configItemOf(g: SecurityGroup): unknown {
  const perms = (ps: SecurityGroup['IpPermissions']) =>
    (ps ?? []).map((p) => ({
      ipProtocol: p.IpProtocol,
      fromPort: p.FromPort,
      toPort: p.ToPort,
      ipv4Ranges: (p.IpRanges ?? []).map((r) => ({ cidrIp: r.CidrIp })),
      ipRanges: (p.IpRanges ?? []).map((r) => r.CidrIp),
      ipv6Ranges: (p.Ipv6Ranges ?? []).map((r) => ({ cidrIpv6: r.CidrIpv6 })),
      userIdGroupPairs: (p.UserIdGroupPairs ?? []).map((u) => ({ groupId: u.GroupId, userId: u.UserId })),
      prefixListIds: (p.PrefixListIds ?? []).map((x) => ({ prefixListId: x.PrefixListId })),
    }));
  return {
    description: g.Description,
    groupName: g.GroupName,
    ipPermissions: perms(g.IpPermissions),
    ownerId: g.OwnerId,
    groupId: g.GroupId,
    ipPermissionsEgress: perms(g.IpPermissionsEgress),
    tags: (g.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value })),
    vpcId: g.VpcId,
  };
}

describe('AWS Config baseline for a security group (EC2 in moto, Config recorder on loopback)', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let recorder: ConfigRecorder;
  let provider: AwsConfigBaseline;

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(motoClientConfig(moto));
    recorder = new ConfigRecorder(ec2);
    await recorder.start();
    const config = new ConfigServiceClient({ ...motoClientConfig(moto), endpoint: recorder.endpoint });
    provider = new AwsConfigBaseline({ config, ec2 });
  });
  afterAll(async () => {
    await recorder?.stop();
    await moto?.stop();
  });

  const ingressOf = async (id: string) =>
    ((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0].IpPermissions ?? [])
      .flatMap((p) => (p.IpRanges ?? []).map((r) => `${p.IpProtocol}:${p.FromPort}-${p.ToPort}:${r.CidrIp}`))
      .sort();
  const tagsOf = async (id: string) =>
    Object.fromEntries(((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0].Tags ?? []).map((t) => [t.Key, t.Value]));
  const open = (id: string, port: number, cidr: string) =>
    ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }] }));

  it('reads the recorded baseline and reverts the drift: the extra ingress rule is really revoked', async () => {
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `web-${randomUUID()}`, Description: 'web' }))).GroupId!;
    await open(sg, 22, '10.0.0.0/8');
    await recorder.record(sg);
    await open(sg, 3389, '0.0.0.0/0'); // the drift
    await recorder.record(sg);

    const baseline = await provider.readBaseline(call(), sg);
    expect(baseline.kind).toBe('AWS::EC2::SecurityGroup');
    expect(baseline.settings.ingress).toEqual([{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.0/8' }]);
    const current = await provider.readCurrent(call(), sg);
    expect(current.settings.ingress).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.0/8' },
      { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidr: '0.0.0.0/0' },
    ]);

    const reverted = await provider.revert(call('revert-1'), sg);
    expect(await ingressOf(sg)).toEqual(['tcp:22-22:10.0.0.0/8']);
    expect(reverted.settings).toEqual(baseline.settings);
    expect((await tagsOf(sg))[SG_TAGS.baselineAt]).toBe(baseline.at);

    // Repeated (a retried activity), and once Config has recorded the revert: the baseline stays pinned.
    await provider.revert(call('revert-1'), sg);
    await recorder.record(sg);
    expect(await ingressOf(sg)).toEqual(['tcp:22-22:10.0.0.0/8']);
    expect((await provider.readBaseline(call(), sg)).settings).toEqual((await provider.readCurrent(call(), sg)).settings);

    // A lost rule is put back too.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }));
    expect(await ingressOf(sg)).toEqual([]);
    await provider.revert(call(), sg);
    expect(await ingressOf(sg)).toEqual(['tcp:22-22:10.0.0.0/8']);
  });

  it('quarantine closes the ingress; release re-opens what Config recorded before it', async () => {
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `db-${randomUUID()}`, Description: 'db' }))).GroupId!;
    await open(sg, 5432, '10.0.0.0/8');
    await open(sg, 443, '0.0.0.0/0');
    await recorder.record(sg);

    await provider.quarantine(call('q'), sg, 'Palisade incident inc-iam-1: unknown change');
    expect(await ingressOf(sg)).toEqual([]);
    expect((await tagsOf(sg))[SG_TAGS.quarantined]).toBe('Palisade incident inc-iam-1: unknown change');
    await provider.quarantine(call('q'), sg, 'again');

    const released = await provider.release(call(), sg, 'false positive');
    expect(await ingressOf(sg)).toEqual(['tcp:443-443:0.0.0.0/0', 'tcp:5432-5432:10.0.0.0/8']);
    expect(released.settings.ingress).toHaveLength(2);
    expect(Object.keys(await tagsOf(sg))).not.toContain(SG_TAGS.quarantinedAt);
    await provider.release(call(), sg, 'again'); // nothing to release: no change
    expect(await ingressOf(sg)).toEqual(['tcp:443-443:0.0.0.0/0', 'tcp:5432-5432:10.0.0.0/8']);
  });

  it('accepts the current rules as the baseline only once Config has recorded them', async () => {
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `app-${randomUUID()}`, Description: 'app' }))).GroupId!;
    await open(sg, 80, '10.0.0.0/8');
    await recorder.record(sg);
    await open(sg, 8080, '10.0.0.0/8');

    const early = await failure(provider.acceptCurrent(call(), sg, 'alice'));
    expect(early.type).toBe(ProviderErrorType.Unavailable);

    await recorder.record(sg);
    await provider.acceptCurrent(call(), sg, 'alice');
    expect((await tagsOf(sg))[SG_TAGS.baselineBy]).toBe('alice');
    expect((await provider.readBaseline(call(), sg)).settings.ingress).toHaveLength(2);
  });

  it('says what is wrong with a resource it cannot handle or Config never recorded', async () => {
    expect((await failure(provider.readCurrent(call(), 'i-0123456789abcdef0'))).type).toBe(ProviderErrorType.Invalid);
    expect((await failure(provider.readCurrent(call(), 'sg-0123456789abcdef0'))).type).toBe(ProviderErrorType.NotFound);
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `new-${randomUUID()}`, Description: 'never recorded' }))).GroupId!;
    const err = await failure(provider.readBaseline(call(), sg));
    expect(err.type).toBe(ProviderErrorType.NotFound);
    expect(err.message).toContain('configuration recorder');
  });
});
