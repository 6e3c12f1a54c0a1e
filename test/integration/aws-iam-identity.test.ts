import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_POLICIES, AwsIamIdentity } from '../../activities/providers/identity/aws-iam';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { failure } from '../support/failures';
import { motoClientConfig, startMoto, type Moto } from '../support/moto';

const call = (key: string = randomUUID()) => ({ idempotencyKey: key, incidentId: 'inc-identity-1' });
const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
const ADMIN_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

describe('AWS IAM identity against moto', () => {
  let moto: Moto;
  let iam: IAMClient;
  let provider: AwsIamIdentity;
  /** Every IAM command the provider sent, by name: a repeated call must send no change. */
  let sent: string[];
  /** The input of each CreateLoginProfile the provider sent (moto 5.2.5 drops its PasswordResetRequired). */
  const created: { PasswordResetRequired?: boolean; Password?: string }[] = [];

  beforeAll(async () => {
    // AWS managed policies (AdministratorAccess) exist in moto only when its IAM loads them.
    moto = await startMoto({ env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
    iam = new IAMClient(motoClientConfig(moto));
    const client = new IAMClient(motoClientConfig(moto));
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        if (context.commandName === 'CreateLoginProfileCommand') created.push(args.input as (typeof created)[number]);
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    provider = new AwsIamIdentity(client);
  });
  beforeEach(() => {
    sent = [];
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const changesSent = () => sent.filter((c) => !/^(Get|List)/.test(c));

  async function user(name: string, opts: { password?: boolean; tags?: Record<string, string> } = {}): Promise<void> {
    await iam.send(new CreateUserCommand({ UserName: name, Tags: Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }));
    if (opts.password !== false) await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: `Old-${randomUUID()}`, PasswordResetRequired: false }));
  }
  const inline = async (name: string, policy: string) =>
    JSON.parse(decodeURIComponent((await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policy }))).PolicyDocument!)) as {
      Statement: { Sid: string; Effect: string; Action: string; Resource: string; Condition?: unknown }[];
    };
  const inlineNames = async (name: string) => (await iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [];
  const loginProfile = (name: string) => iam.send(new GetLoginProfileCommand({ UserName: name })).then((r) => r.LoginProfile, () => undefined);
  const keyStatuses = async (name: string) =>
    Object.fromEntries(((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]));

  it('looks a user up: administrator through a group, a direct policy, an inline or a customer policy allowing everything; MFA, owner, groups', async () => {
    const admins = uid('admins');
    await iam.send(new CreateGroupCommand({ GroupName: admins }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: admins, PolicyArn: ADMIN_ARN }));
    const viaGroup = uid('ops');
    await user(viaGroup, { tags: { Name: 'Olga Petrova', Owner: 'carol' } });
    await iam.send(new AddUserToGroupCommand({ GroupName: admins, UserName: viaGroup }));
    const serial = (await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: viaGroup }))).VirtualMFADevice!.SerialNumber!;
    await iam.send(new EnableMFADeviceCommand({ UserName: viaGroup, SerialNumber: serial, AuthenticationCode1: '123456', AuthenticationCode2: '654321' }));

    expect(await provider.lookupAccount(call(), viaGroup)).toEqual({
      accountId: viaGroup,
      displayName: 'Olga Petrova',
      owner: 'carol',
      privileged: true,
      privilegedBy: [`AdministratorAccess via group ${admins}`],
      groups: [admins],
      policies: [],
      mfa: 'enabled',
      // moto 5.2.5 never records a sign-in (PasswordLastUsed is always empty).
      lastSignIn: null,
      status: 'enabled',
      known: true,
    });

    const direct = uid('break-glass');
    await user(direct, { tags: { Manager: 'bob' } });
    await iam.send(new AttachUserPolicyCommand({ UserName: direct, PolicyArn: ADMIN_ARN }));
    expect(await provider.lookupAccount(call(), `arn:aws:iam::123456789012:user/ops/${direct}`)).toMatchObject({
      accountId: direct,
      displayName: direct,
      owner: 'bob',
      privileged: true,
      privilegedBy: ['AdministratorAccess'],
      policies: ['AdministratorAccess'],
      mfa: 'disabled',
    });

    const inlineGod = uid('legacy');
    await user(inlineGod);
    await iam.send(new PutUserPolicyCommand({ UserName: inlineGod, PolicyName: 'everything', PolicyDocument: allowAll }));
    expect(await provider.lookupAccount(call(), inlineGod)).toMatchObject({ privileged: true, privilegedBy: ['inline everything allows every action'], policies: ['inline:everything'] });

    const custom = uid('custom');
    const policy = (await iam.send(new CreatePolicyCommand({ PolicyName: uid('PowerUser'), PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: ['*:*'], Resource: ['*'] } }) }))).Policy!;
    await user(custom);
    await iam.send(new AttachUserPolicyCommand({ UserName: custom, PolicyArn: policy.Arn! }));
    expect(await provider.lookupAccount(call(), custom)).toMatchObject({ privileged: true, privilegedBy: [`${policy.PolicyName} allows every action`] });

    const developer = uid('dev');
    await user(developer, { tags: { Owner: 'team-web' } });
    await iam.send(new PutUserPolicyCommand({ UserName: developer, PolicyName: 'read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }));
    expect(await provider.lookupAccount(call(), developer)).toMatchObject({ privileged: false, privilegedBy: [], policies: ['inline:read'], owner: 'team-web' });

    await expect(provider.check()).resolves.toBe('iam:ListUsers answered');
    expect(await provider.lookupAccount(call(), 'nobody-here')).toMatchObject({ accountId: 'nobody-here', known: false, privileged: true, owner: 'unknown' });
    expect(await provider.lookupAccount(call(), 'not a user name!')).toMatchObject({ known: false });
  });

  it('revokes sessions with a deny on aws:TokenIssueTime before now; the same key keeps its cutoff and sends no change, a later key moves it', async () => {
    const name = uid('victim');
    await user(name);
    const before = new Date().toISOString();
    const c = call();
    const first = await provider.revokeSessions(c, name, 'takeover');
    expect(first.accountId).toBe(name);
    expect(first.revokedBefore >= before).toBe(true);
    const doc = await inline(name, IDENTITY_POLICIES.revokeSessions);
    expect(doc.Statement).toEqual([
      { Sid: expect.stringMatching(/^PalisadeRevoke[0-9a-f]{32}$/), Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': first.revokedBefore } } },
    ]);

    sent = [];
    expect(await provider.revokeSessions(c, name, 'retried')).toEqual(first);
    expect(changesSent()).toEqual([]);
    expect(await inline(name, IDENTITY_POLICIES.revokeSessions)).toEqual(doc);

    await new Promise((r) => setTimeout(r, 5)); // a later instant for the later key
    const later = await provider.revokeSessions(call(), name, 'again');
    expect(later.revokedBefore > first.revokedBefore).toBe(true);
    expect((await inline(name, IDENTITY_POLICIES.revokeSessions)).Statement).toHaveLength(1);
  });

  it('deactivates every active access key and lists them; the same key answers the same and sends no change', async () => {
    const name = uid('keys');
    await user(name, { password: false });
    const a = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!;
    const b = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!;
    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: b, Status: 'Inactive' }));

    const c = call();
    const first = await provider.deactivateKeys(c, name, 'takeover');
    expect(first).toMatchObject({ accountId: name, deactivated: [a] });
    expect(await keyStatuses(name)).toEqual({ [a]: 'Inactive', [b]: 'Inactive' });

    sent = [];
    expect(await provider.deactivateKeys(c, name, 'retried')).toEqual(first);
    expect(changesSent()).toEqual([]);
    expect(await provider.deactivateKeys(call(), name, 'another incident')).toMatchObject({ deactivated: [] });
  });

  it('disables (deny-all attached, console password gone) and enables again (deny-all gone, a new console password to reset), each once per key', async () => {
    const name = uid('disable');
    await user(name);
    const disable = call();
    const disabled = await provider.disable(disable, name, 'Palisade incident inc-identity-1: impossible travel');
    expect(disabled).toMatchObject({ accountId: name, status: 'disabled', method: expect.stringContaining('console password deleted') });
    expect(await loginProfile(name)).toBeUndefined();
    expect((await inline(name, IDENTITY_POLICIES.disabled)).Statement).toEqual([{ Sid: 'PalisadeDisabled', Effect: 'Deny', Action: '*', Resource: '*' }]);
    expect(await provider.lookupAccount(call(), name)).toMatchObject({ status: 'disabled', policies: [] });

    sent = [];
    expect(await provider.disable(disable, name, 'retried')).toMatchObject({ status: 'disabled', method: disabled.method });
    expect(changesSent()).toEqual([]);

    const enable = call();
    const enabled = await provider.enable(enable, name, 'cancelled: a false positive');
    expect(enabled).toMatchObject({ status: 'enabled', method: expect.stringContaining('random password') });
    expect(await inlineNames(name)).toEqual([]);
    expect(await loginProfile(name)).toMatchObject({ UserName: name });
    // moto keeps no PasswordResetRequired from CreateLoginProfile: what the provider asked IAM for is checked instead.
    expect(created).toHaveLength(1);
    expect(created[0].PasswordResetRequired).toBe(true);
    expect(created[0].Password?.length).toBe(44);
    expect(await provider.lookupAccount(call(), name)).toMatchObject({ status: 'enabled' });

    sent = [];
    expect(await provider.enable(enable, name, 'retried')).toMatchObject({ status: 'enabled', method: enabled.method });
    expect(changesSent()).toEqual([]);

    // A user without a console password keeps having none; enable on a user Palisade never disabled changes nothing.
    const service = uid('svc');
    await user(service, { password: false });
    expect((await provider.disable(call(), service, 'takeover')).method).not.toContain('console');
    await provider.enable(call(), service, 'cancelled');
    expect(await loginProfile(service)).toBeUndefined();
    const untouched = uid('untouched');
    await user(untouched);
    sent = [];
    expect(await provider.enable(call(), untouched, 'cancelled')).toMatchObject({ status: 'enabled', method: 'not disabled by Palisade: nothing to undo' });
    expect(changesSent()).toEqual([]);
  });

  it('forces a password reset: a new password to change at the next sign-in, once per key; nothing to reset without a password', async () => {
    const name = uid('reset');
    await user(name);
    const c = call();
    const reset = await provider.forceCredentialReset(c, name, 'takeover');
    expect(reset).toMatchObject({ accountId: name, reset: true });
    expect(sent).toContain('UpdateLoginProfileCommand');
    expect(await loginProfile(name)).toMatchObject({ PasswordResetRequired: true });
    expect(Object.keys(reset).sort()).toEqual(['accountId', 'at', 'method', 'reset']); // never the password

    sent = [];
    expect(await provider.forceCredentialReset(c, name, 'retried')).toEqual(reset);
    expect(changesSent()).toEqual([]);

    const keysOnly = uid('keys-only');
    await user(keysOnly, { password: false });
    expect(await provider.forceCredentialReset(call(), keysOnly, 'takeover')).toMatchObject({ reset: false });
  });

  it('maps IAM errors: a user that does not exist is NotFound, a bad name Invalid, a call its credentials may not make Denied', async () => {
    const acts = [
      () => provider.revokeSessions(call(), 'ghost-user', 'takeover'),
      () => provider.deactivateKeys(call(), 'ghost-user', 'takeover'),
      () => provider.disable(call(), 'ghost-user', 'takeover'),
      () => provider.enable(call(), 'ghost-user', 'takeover'),
      () => provider.forceCredentialReset(call(), 'ghost-user', 'takeover'),
    ];
    for (const act of acts) {
      const missing = await failure(act());
      expect(missing).toMatchObject({ type: ProviderErrorType.NotFound, nonRetryable: true });
    }
    expect(await failure(provider.disable(call(), 'a/b c', 'takeover'))).toMatchObject({ type: ProviderErrorType.Invalid, nonRetryable: true });

    // Credentials that may read tags and nothing else. POST /moto-api/reset-auth with 0 makes moto
    // check every later request's signature and IAM policies (what moto's own
    // set_initial_no_auth_action_count does in server mode); 'inf' turns the checks off again.
    const limited = uid('palisade-limited');
    await user(limited, { password: false });
    await iam.send(new PutUserPolicyCommand({ UserName: limited, PolicyName: 'tags-only', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUserTags', Resource: '*' }] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: limited }))).AccessKey!;
    const target = uid('target');
    await user(target);
    const restricted = new AwsIamIdentity(new IAMClient({ ...motoClientConfig(moto), credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    try {
      // palisade providers check: the read-only call names the permission it lacks.
      expect(await failure(restricted.check())).toMatchObject({ type: ProviderErrorType.Denied, details: [expect.objectContaining({ action: 'iam:ListUsers' })] });
      const denied = await failure(restricted.disable(call(), target, 'takeover'));
      expect(denied).toMatchObject({ type: ProviderErrorType.Denied, nonRetryable: true });
      expect(denied.details?.[0]).toMatchObject({ action: 'iam:GetLoginProfile' });
      expect(denied.message).toContain('Allow iam:GetLoginProfile');
    } finally {
      await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: 'inf' });
    }
    expect(await loginProfile(target)).toBeDefined();
  });
});
