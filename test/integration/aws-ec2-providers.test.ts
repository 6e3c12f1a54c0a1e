import {
  AttachVolumeCommand,
  CreateImageCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ListCommandsCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { AwsEc2SsmEvidence } from '../../activities/providers/evidence/aws-ec2-ssm';
import { AwsEc2HostIsolation } from '../../activities/providers/host-isolation/aws-ec2';
import { AwsEc2Inventory } from '../../activities/providers/inventory/aws-ec2';
import { AwsSsmPatching } from '../../activities/providers/patching/aws-ssm';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { motoClientConfig, startMoto, type Moto } from '../support/moto';
import { failure } from '../support/failures';

const call = (key: string = randomUUID()) => ({ idempotencyKey: key, incidentId: 'inc-aws-1' });
const MISSING = 'i-0123456789abcdef0';


const tagsOf = (i: Instance) => Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
const groupsOf = (i: Instance) => (i.SecurityGroups ?? []).map((g) => g.GroupId).sort();

// One moto server for the file: every test makes its own instances, so they never share state.
describe('AWS EC2 and SSM providers against moto', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let ssm: SSMClient;
  let subnet: string;
  let web: string;
  let db: string;
  let quarantine: string;
  let ami: string;

  async function launch(tags: Record<string, string>, groups = [web, db]): Promise<string> {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 't3.small',
        SubnetId: subnet,
        SecurityGroupIds: groups,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return out.Instances![0].InstanceId!;
  }

  async function describe1(id: string): Promise<Instance> {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations![0].Instances![0];
  }

  async function commandsFor(instanceId: string, document: string): Promise<Command[]> {
    const out = await ssm.send(new ListCommandsCommand({ InstanceId: instanceId }));
    return (out.Commands ?? []).filter((c) => c.DocumentName === document);
  }

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(motoClientConfig(moto));
    ssm = new SSMClient(motoClientConfig(moto));
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.20.1.0/24' }))).Subnet!.SubnetId!;
    const group = async (name: string) => (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpc }))).GroupId!;
    [web, db, quarantine] = [await group('web'), await group('db'), await group('quarantine')];
    ami = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))).Images![0].ImageId!;
  });
  afterAll(async () => {
    ec2?.destroy();
    ssm?.destroy();
    await moto?.stop();
  });

  describe('host isolation', () => {
    it('swaps to the quarantine group, remembers the old groups across repeats, and gives them back', async () => {
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2 });
      const id = await launch({ Name: 'web-1' });

      const first = await isolation.isolate(call(), id, 'beaconing to a known C2');
      expect(first).toMatchObject({ hostId: id, isolated: true, method: 'EC2 quarantine security group' });
      let instance = await describe1(id);
      expect(groupsOf(instance)).toEqual([quarantine]);
      expect(tagsOf(instance)).toMatchObject({
        'palisade:isolated': 'true',
        'palisade:incident': 'inc-aws-1',
        'palisade:previous-groups': [web, db].join('+'),
      });

      // A second isolate (a new step, or a retry) sees only the quarantine group now: it must not remember that.
      await isolation.isolate(call(), id, 'again');
      instance = await describe1(id);
      expect(groupsOf(instance)).toEqual([quarantine]);
      expect(tagsOf(instance)['palisade:previous-groups']).toBe([web, db].join('+'));

      expect(await isolation.verify(call(), id)).toMatchObject({ hostId: id, isolated: true });

      expect(await isolation.release(call(), id, 'cleared')).toMatchObject({ hostId: id, isolated: false });
      instance = await describe1(id);
      expect(groupsOf(instance)).toEqual([web, db].sort());
      expect(Object.keys(tagsOf(instance)).filter((k) => k.startsWith('palisade:isolat') || k === 'palisade:previous-groups')).toEqual([]);
      expect(await isolation.verify(call(), id)).toMatchObject({ isolated: false });

      // Releasing a released host is a no-op, not an error.
      expect(await isolation.release(call(), id, 'twice')).toMatchObject({ isolated: false });
      expect(groupsOf(await describe1(id))).toEqual([web, db].sort());
    });

    it('will not release a host quarantined with no record of its groups', async () => {
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2 });
      const id = await launch({ Name: 'hand-isolated' }, [quarantine]);
      expect(await isolation.verify(call(), id)).toMatchObject({ isolated: true });
      const err = await failure(isolation.release(call(), id, 'cleared'));
      expect(err).toMatchObject({ type: ProviderErrorType.Invalid, nonRetryable: true });
      expect(groupsOf(await describe1(id))).toEqual([quarantine]);
    });

    it('replaces an isolated instance from an AMI with its type, subnet, tags and original groups, once per key', async () => {
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2 });
      const id = await launch({ Name: 'api-7', Owner: 'payments', Environment: 'production' });
      const image = (await ec2.send(new CreateImageCommand({ InstanceId: id, Name: `golden-${randomUUID()}` }))).ImageId!;
      await isolation.isolate(call(), id, 'compromised');

      const c = call();
      const result = await isolation.replace(c, id, image);
      expect(result).toMatchObject({ hostId: id, image });
      expect(result.replacementId).toMatch(/^i-/);
      expect(result.replacementId).not.toBe(id);

      const replacement = await describe1(result.replacementId);
      expect(replacement.ImageId).toBe(image);
      expect(replacement.InstanceType).toBe('t3.small');
      expect(replacement.SubnetId).toBe(subnet);
      expect(groupsOf(replacement)).toEqual([web, db].sort());
      expect(tagsOf(replacement)).toMatchObject({ Name: 'api-7', Owner: 'payments', Environment: 'production', 'palisade:replaces': id, 'palisade:incident': 'inc-aws-1' });
      expect(tagsOf(replacement)['palisade:isolated']).toBeUndefined();

      const old = await describe1(id);
      expect(old.State?.Name).toMatch(/^stopp/);
      expect(tagsOf(old)['palisade:replaced-by']).toBe(result.replacementId);

      // The same step retried finds its replacement instead of launching another.
      expect((await isolation.replace(c, id, image)).replacementId).toBe(result.replacementId);
      const named = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:palisade:replaces', Values: [id] }] }));
      expect(named.Reservations!.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
    });

    it('fails NotFound (not retryable) for an instance EC2 does not have', async () => {
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2 });
      for (const host of [MISSING, 'not-an-instance']) {
        expect(await failure(isolation.isolate(call(), host, 'x'))).toMatchObject({ type: ProviderErrorType.NotFound, nonRetryable: true });
      }
      expect(await failure(isolation.verify(call(), MISSING))).toMatchObject({ type: ProviderErrorType.NotFound });
      expect(await failure(isolation.replace(call(), MISSING, ami))).toMatchObject({ type: ProviderErrorType.NotFound });
    });

    it('fails NotFound for an AMI that does not exist, and launches nothing', async () => {
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2 });
      const id = await launch({ Name: 'no-image' });
      expect(await failure(isolation.replace(call(), id, 'ami-0000000000000dead'))).toMatchObject({ type: ProviderErrorType.NotFound });
      expect((await describe1(id)).State?.Name).toBe('running');
    });

    it('fails Unavailable (retryable) when AWS cannot be reached', async () => {
      const port = await freePort();
      const unreachable = new EC2Client({ ...motoClientConfig(moto), endpoint: `http://127.0.0.1:${port}` });
      const isolation = new AwsEc2HostIsolation({ quarantineGroupId: quarantine }, { ec2: unreachable });
      expect(await failure(isolation.verify(call(), MISSING))).toMatchObject({ type: ProviderErrorType.Unavailable, nonRetryable: false });
      unreachable.destroy();
    });

    it('rejects a config without a quarantine group', () => {
      expect(() => new AwsEc2HostIsolation({ quarantineGroupId: 'quarantine' }, { ec2 })).toThrow(/security group id/);
    });
  });

  describe('evidence', () => {
    it('snapshots every attached volume once per key, tagged with the incident', async () => {
      const evidence = new AwsEc2SsmEvidence({}, { ec2, ssm });
      const id = await launch({ Name: 'db-3' });
      const az = (await describe1(id)).Placement!.AvailabilityZone!;
      const data = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 20 }))).VolumeId!;
      await ec2.send(new AttachVolumeCommand({ InstanceId: id, VolumeId: data, Device: '/dev/sdf' }));
      const volumes = (await describe1(id)).BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!);
      expect(volumes).toHaveLength(2);

      const c = call();
      const first = await evidence.snapshotDisks(c, id);
      expect(first.artifacts).toHaveLength(2);
      const snaps = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: first.artifacts }));
      expect(snaps.Snapshots!.map((s) => s.VolumeId).sort()).toEqual([...volumes].sort());
      for (const s of snaps.Snapshots!) {
        expect(Object.fromEntries(s.Tags!.map((t) => [t.Key, t.Value]))).toMatchObject({ 'palisade:incident': 'inc-aws-1', 'palisade:host': id });
      }

      const again = await evidence.snapshotDisks(c, id);
      expect(again.artifacts).toEqual(first.artifacts);
      const all = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:palisade:host', Values: [id] }] }));
      expect(all.Snapshots).toHaveLength(2);

      // A different step (key) takes fresh snapshots.
      const later = await evidence.snapshotDisks(call(), id);
      expect(later.artifacts).toHaveLength(2);
      expect(later.artifacts.filter((a) => first.artifacts.includes(a))).toEqual([]);
    });

    // moto records Run Command and reports Success at once; it never runs the script (see aws-ec2-ssm.ts).
    it('collects volatile data through AWS-RunShellScript, sending once per key', async () => {
      const evidence = new AwsEc2SsmEvidence({ pollIntervalMs: 50, outputS3Bucket: 'evidence-bucket' }, { ec2, ssm });
      const id = await launch({ Name: 'web-9' });
      const c = call();
      const result = await evidence.collectVolatile(c, id);
      const commands = await commandsFor(id, 'AWS-RunShellScript');
      expect(commands).toHaveLength(1);
      const command = commands[0];
      expect(command.DocumentName).toBe('AWS-RunShellScript');
      expect(command.InstanceIds).toContain(id); // moto adds every instance to a command sent by InstanceIds (a moto quirk)
      expect(command.Parameters!.commands.join('\n')).toContain('ps auxwwf');
      expect(command.OutputS3BucketName).toBe('evidence-bucket');
      expect(result.artifacts).toEqual([
        `ssm-command:${command.CommandId}:${id}`,
        `s3://evidence-bucket/palisade/volatile/inc-aws-1/${command.CommandId}/${id}/awsrunShellScript/0.awsrunShellScript/stdout`,
      ]);

      expect((await evidence.collectVolatile(c, id)).artifacts).toEqual(result.artifacts);
      expect(await commandsFor(id, 'AWS-RunShellScript')).toHaveLength(1);
    });

    it('fails NotFound for an unknown instance', async () => {
      const evidence = new AwsEc2SsmEvidence({}, { ec2, ssm });
      expect(await failure(evidence.snapshotDisks(call(), MISSING))).toMatchObject({ type: ProviderErrorType.NotFound, nonRetryable: true });
      expect(await failure(evidence.collectVolatile(call(), MISSING))).toMatchObject({ type: ProviderErrorType.NotFound });
    });
  });

  describe('inventory', () => {
    it('reads owner, environment, criticality and name from tags; an unknown host is known: false', async () => {
      const inventory = new AwsEc2Inventory({}, { ec2 });
      const tag = randomUUID().slice(0, 8);
      const id = await launch({ Name: `pay-${tag}`, Owner: 'payments', Environment: 'prod', Criticality: 'Critical', Team: tag });

      const byId = await inventory.lookupHost(call(), id);
      expect(byId).toMatchObject({ hostId: id, hostname: `pay-${tag}`, owner: 'payments', environment: 'production', criticality: 'critical', known: true });
      expect(byId.tags).toMatchObject({ Team: tag });
      expect(await inventory.lookupHost(call(), `pay-${tag}`)).toMatchObject({ hostId: id, known: true });

      for (const host of [MISSING, 'ghost-host']) {
        expect(await inventory.lookupHost(call(), host)).toEqual({
          hostId: host,
          hostname: host,
          owner: 'unknown',
          environment: 'unknown',
          criticality: 'high',
          known: false,
          tags: {},
        });
      }

      const untagged = await launch({ Team: tag });
      const dns = (await describe1(untagged)).PrivateDnsName!;
      expect(dns).toMatch(/^ip-/);
      expect(await inventory.lookupHost(call(), untagged)).toMatchObject({ hostname: dns, owner: 'unknown', environment: 'unknown', criticality: 'high', known: true });
    });

    it('lists hosts by tags, environment and ids, leaving out replaced ones unless named', async () => {
      const inventory = new AwsEc2Inventory({}, { ec2 });
      const team = randomUUID().slice(0, 8);
      const a = await launch({ Name: 'a', Team: team, Environment: 'production' });
      const b = await launch({ Name: 'b', Team: team, Environment: 'staging' });
      const c = await launch({ Name: 'c', Team: team, Environment: 'production', 'palisade:replaced-by': 'i-0aaaaaaaaaaaaaaaa' });

      const ids = (hosts: { hostId: string }[]) => hosts.map((h) => h.hostId);
      expect(ids(await inventory.listHosts(call(), { tags: { Team: team } }))).toEqual([a, b].sort());
      expect(ids(await inventory.listHosts(call(), { tags: { Team: team }, environment: 'production' }))).toEqual([a]);
      expect(ids(await inventory.listHosts(call(), { hostIds: [c, b, MISSING] }))).toEqual([b, c].sort());
    });
  });

  describe('patching', () => {
    it('runs AWS-RunPatchBaseline Install on the wave and reports each host, sending once per key', async () => {
      const patching = new AwsSsmPatching({ pollIntervalMs: 50 }, { ssm });
      const wave = [await launch({ Name: 'p1' }), await launch({ Name: 'p2' })];
      const c = call();
      const result = await patching.apply(c, 'KB-2024-001', [...wave, 'web-1']);
      expect(result).toMatchObject({ patchId: 'KB-2024-001', patched: wave, failed: [{ hostId: 'web-1', error: 'not an EC2 instance id' }] });

      const commands = await commandsFor(wave[0], 'AWS-RunPatchBaseline');
      expect(commands).toHaveLength(1);
      expect(commands[0]).toMatchObject({ DocumentName: 'AWS-RunPatchBaseline', Parameters: { Operation: ['Install'], RebootOption: ['RebootIfNeeded'] } });
      expect(commands[0].InstanceIds).toEqual(expect.arrayContaining(wave)); // moto adds every instance (a moto quirk)

      expect((await patching.apply(c, 'KB-2024-001', wave)).patched).toEqual(wave);
      expect(await commandsFor(wave[1], 'AWS-RunPatchBaseline')).toHaveLength(1);
    });

    it('says it cannot roll back without a rollback document, and runs the one it is given', async () => {
      const id = await launch({ Name: 'p3' });
      const plain = new AwsSsmPatching({ pollIntervalMs: 50 }, { ssm });
      const err = await failure(plain.rollback(call(), 'KB-2024-001', [id]));
      expect(err).toMatchObject({ type: ProviderErrorType.Invalid, nonRetryable: true });
      expect(err.message).toMatch(/only scans and installs/);

      const withDoc = new AwsSsmPatching({ pollIntervalMs: 50, rollbackDocument: 'Palisade-UndoPatch' }, { ssm });
      expect(await withDoc.rollback(call(), 'KB-2024-001', [id])).toMatchObject({ patched: [id], failed: [] });
      const commands = await commandsFor(id, 'Palisade-UndoPatch');
      expect(commands.map((x) => x.Parameters)).toEqual([{ PatchId: ['KB-2024-001'] }]);
    });
  });
});
