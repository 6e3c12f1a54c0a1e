import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { aws } from '../aws-sdk';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ProviderErrorType, type PatchResult, type ProviderCall } from '../../../lib/providers/capabilities';
import { INSTANCE_ID } from '../aws-ec2-instances';
import { keyToken } from '../aws-sdk';
import { findCommand, sendCommand, waitForInvocations } from '../aws-ssm-commands';
import { providerError } from '../errors';
import type { PatchingProvider } from './patching.provider';

export const awsSsmPatchingConfig = z
  .object({
    region: z.string().optional(),
    /** AWS-RunPatchBaseline's RebootOption. */
    rebootOption: z.enum(['RebootIfNeeded', 'NoReboot']).default('RebootIfNeeded'),
    /**
     * S3 URL of a patch list for AWS-RunPatchBaseline's InstallOverrideList, `{patchId}` replaced
     * (e.g. `s3://patches/{patchId}.yaml`). Without it each instance's patch baseline decides what is installed.
     */
    installOverrideList: z.string().optional(),
    /**
     * An SSM document that undoes a patch, given the parameter `PatchId` (e.g. one running
     * `dnf history undo`). AWS-RunPatchBaseline only scans and installs: without this, rollback fails.
     */
    rollbackDocument: z.string().optional(),
    outputS3Bucket: z.string().optional(),
    pollIntervalMs: z.number().int().positive().default(5000),
    /** How long one attempt waits for a wave; past it the activity fails Unavailable and its retry waits again. */
    pollTimeoutMs: z.number().int().positive().default(540_000),
  })
  .strict();
export type AwsSsmPatchingConfig = z.infer<typeof awsSsmPatchingConfig>;

/** SSM Run Command sends at most this many instance ids per command. */
const MAX_TARGETS = 50;

/**
 * Patches a wave of EC2 instances with SSM Run Command `AWS-RunPatchBaseline` (Operation Install)
 * and waits for every instance's result. A host whose agent is offline fails and the rest carry
 * on. A retry finds the commands already sent for the step (by their comment) and waits on them.
 */
export class AwsSsmPatching implements PatchingProvider {
  private readonly config: AwsSsmPatchingConfig;
  private readonly ssm: SSMClient;

  constructor(config: z.input<typeof awsSsmPatchingConfig>, clients?: { ssm?: SSMClient }) {
    this.config = awsSsmPatchingConfig.parse(config);
    this.ssm = clients?.ssm ?? new SSMClient({ region: this.config.region });
  }

  /** ssm:DescribeInstanceInformation: which instances' agents can be patched. */
  async check(): Promise<string> {
    const res = await aws('ssm:DescribeInstanceInformation', () => this.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 })));
    return `ssm:DescribeInstanceInformation answered (${(res.InstanceInformationList ?? []).length} managed instance(s) on the first page)`;
  }

  apply(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult> {
    const parameters: Record<string, string[]> = { Operation: ['Install'], RebootOption: [this.config.rebootOption] };
    if (this.config.installOverrideList) parameters.InstallOverrideList = [this.config.installOverrideList.replaceAll('{patchId}', patchId)];
    return this.run(call, 'patch', 'AWS-RunPatchBaseline', parameters, patchId, hostIds);
  }

  async rollback(call: ProviderCall, patchId: string, hostIds: string[]): Promise<PatchResult> {
    if (!this.config.rollbackDocument) {
      throw providerError(
        ProviderErrorType.Invalid,
        `SSM cannot roll back ${patchId} on ${hostIds.join(', ')}: AWS-RunPatchBaseline only scans and installs. ` +
          `Roll back by hand (or restore the pre-patch snapshots), and set rollbackDocument to an SSM document that undoes a patch given PatchId.`,
      );
    }
    return this.run(call, 'rollback', this.config.rollbackDocument, { PatchId: [patchId] }, patchId, hostIds);
  }

  private async run(call: ProviderCall, kind: string, document: string, parameters: Record<string, string[]>, patchId: string, hostIds: string[]): Promise<PatchResult> {
    const comment = `palisade ${kind} ${keyToken(call.idempotencyKey)}`;
    const failed: PatchResult['failed'] = [];
    const commands = new Map<string, string[]>();
    const toSend: string[] = [];
    for (const hostId of new Set(hostIds)) {
      if (!INSTANCE_ID.test(hostId)) {
        failed.push({ hostId, error: 'not an EC2 instance id' });
        continue;
      }
      const sent = await findCommand(this.ssm, hostId, comment);
      if (sent) commands.set(sent, [...(commands.get(sent) ?? []), hostId]);
      else toSend.push(hostId);
    }
    for (let i = 0; i < toSend.length; i += MAX_TARGETS) {
      await this.send(toSend.slice(i, i + MAX_TARGETS), { document, parameters, comment }, commands, failed);
    }

    const patched: string[] = [];
    const polling = { intervalMs: this.config.pollIntervalMs, timeoutMs: this.config.pollTimeoutMs };
    for (const [commandId, ids] of commands) {
      for (const invocation of await waitForInvocations(this.ssm, commandId, ids, polling)) {
        if (invocation.status === 'Success') patched.push(invocation.instanceId);
        else failed.push({ hostId: invocation.instanceId, error: `${document} ${invocation.status} (${invocation.details}), SSM command ${commandId}` });
      }
    }
    const order = (a: string, b: string) => hostIds.indexOf(a) - hostIds.indexOf(b);
    return { patchId, patched: patched.sort(order), failed: failed.sort((a, b) => order(a.hostId, b.hostId)), at: new Date().toISOString() };
  }

  /**
   * SSM refuses a whole command when one instance is not managed (InvalidInstanceId): then each
   * instance is sent on its own, so only the offline ones fail.
   */
  private async send(
    ids: string[],
    input: { document: string; parameters: Record<string, string[]>; comment: string },
    commands: Map<string, string[]>,
    failed: PatchResult['failed'],
  ): Promise<void> {
    try {
      const commandId = await sendCommand(this.ssm, { ...input, instanceIds: ids, outputS3Bucket: this.config.outputS3Bucket });
      commands.set(commandId, ids);
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.type !== ProviderErrorType.AgentOffline) throw err;
      if (ids.length === 1) {
        failed.push({ hostId: ids[0], error: 'SSM agent not online (instance stopped or missing, agent not running, or no instance profile)' });
        return;
      }
      for (const id of ids) await this.send([id], input, commands, failed);
    }
  }
}
