import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
// The worker loads the AWS vendors with require() on first use (activities/providers/registry.ts),
// as `npm start` runs it under @swc-node/register; vitest's own loader does not serve require().
import '@swc-node/register';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_POLICIES } from '../../activities/providers/identity/aws-iam';
import { motoClientConfig, startMoto, type Moto } from '../support/moto';
import { gateOpen, incidentStatus, playbookTestBed, startRun, timeline, vote } from '../support/playbooks';

// compromised-identity end to end with the aws-iam identity vendor against moto: the worker
// builds its IAM client from the standard AWS chain, as it would in production, pointed at
// moto through AWS_ENDPOINT_URL (README "Real providers").
describe('compromised-identity against AWS IAM (moto)', () => {
  let moto: Moto;
  let iam: IAMClient;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient(motoClientConfig(moto));
    // This file runs in a process of its own (vitest forks): the SDK's standard chain reads these.
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: moto.region });
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-identity-aws-'));
    const vendors = ['inventory', 'hostIsolation', 'evidence', 'credentials', 'configBaseline', 'patching', 'metrics', 'notify'].map((c) => `  ${c}: simulated`);
    writeFileSync(path.join(dir, 'providers.yaml'), ['vendors:', ...vendors, '  identity: aws-iam', 'settings:', `  aws-iam: { region: ${moto.region} }`, ''].join('\n'));
  });
  const bed = playbookTestBed({ env: () => ({ PALISADE_PROVIDERS_FILE: path.join(dir, 'providers.yaml') }) });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('revokes, disables an administrator once two approvers agree, and resolves: the IAM user really changed', async () => {
    const name = `ops-${randomUUID().slice(0, 8)}`;
    await iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: 'Owner', Value: 'team-platform' }, { Key: 'Name', Value: 'Ops robot' }] }));
    await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: `Old-${randomUUID()}`, PasswordResetRequired: false }));
    const everything = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'everything', PolicyDocument: everything }));
    const keys = [(await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!, (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!];

    const run = await startRun(bed.client, bed.engine, 'compromised-identity', { entity: { kind: 'account', key: name, display: `IAM user ${name}` } });
    const gate = await gateOpen(run.handle, 'disable-account', 30_000);
    // An administrator (an inline policy allowing everything): two approvers.
    expect(gate).toMatchObject({ needed: 2, critical: true });
    expect(gate.summary).toContain('inline everything allows every action');
    const statuses = async () => ((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]);
    expect(await statuses()).toEqual(expect.arrayContaining(keys.map((k) => [k, 'Inactive'])));
    const inline = async () => (await iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [];
    expect(await inline()).toContain(IDENTITY_POLICIES.revokeSessions);

    expect(await vote(run.handle, 'disable-account', 'bob')).toMatchObject({ outcome: 'pending' });
    expect(await vote(run.handle, 'disable-account', 'alice')).toMatchObject({ outcome: 'approved' });
    await incidentStatus(bed.engine, run.incidentId, 'resolved', 30_000);

    expect(await inline()).toEqual(expect.arrayContaining([IDENTITY_POLICIES.revokeSessions, IDENTITY_POLICIES.disabled, 'everything']));
    await expect(iam.send(new GetLoginProfileCommand({ UserName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const events = await timeline(bed.engine, run.incidentId);
    // Disabling deleted the console password: nothing was left to reset, and the summary says so.
    expect(events.at(-1)).toMatchObject({ type: 'incident.resolved', summary: expect.stringContaining('2 key(s) deactivated; disabled; no password to reset') });
    expect((await bed.fleet.notifications({ recipient: 'team-platform' })).filter((n) => n.id.startsWith(run.incidentId))).toHaveLength(1);
  }, 120_000);
});
