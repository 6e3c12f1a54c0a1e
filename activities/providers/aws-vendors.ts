// The AWS vendors of each capability, built from their runbooks/providers.yaml settings.
// activities/providers/registry.ts loads this file only when an AWS vendor is chosen.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { AwsConfigBaseline, awsConfigSettingsSchema } from './config-baseline/aws-config';
import { AwsIamCredentials, awsIamSettingsSchema } from './credentials/aws-iam';
import { AwsEc2SsmEvidence, awsEc2SsmEvidenceConfig } from './evidence/aws-ec2-ssm';
import { AwsIamIdentity, awsIamIdentitySettingsSchema } from './identity/aws-iam';
import { AwsEc2HostIsolation, awsEc2IsolationConfig } from './host-isolation/aws-ec2';
import { AwsEc2Inventory, awsEc2InventoryConfig } from './inventory/aws-ec2';
import { AwsSsmPatching, awsSsmPatchingConfig } from './patching/aws-ssm';
import type { Deps } from './registry';

const region = z.object({ region: z.string().optional() });

export const inventory = (d: Deps) => new AwsEc2Inventory(d.parse('aws-ec2', awsEc2InventoryConfig));

export const hostIsolation = (d: Deps) => new AwsEc2HostIsolation(d.parse('aws-ec2', awsEc2IsolationConfig));

export const evidence = (d: Deps) => new AwsEc2SsmEvidence(d.parse('aws-ec2-ssm', awsEc2SsmEvidenceConfig));

export const credentials = (d: Deps) => {
  const { region: r } = d.parse('aws-iam', region);
  const clients = { iam: new IAMClient({ region: r }), secrets: new SecretsManagerClient({ region: r }), cloudtrail: new CloudTrailClient({ region: r }) };
  return new AwsIamCredentials(clients, { fingerprint: d.fingerprint }, d.parse('aws-iam', awsIamSettingsSchema));
};

export const identity = (d: Deps) => {
  const { region: r } = d.parse('aws-iam', region);
  return new AwsIamIdentity(new IAMClient({ region: r }), d.parse('aws-iam', awsIamIdentitySettingsSchema));
};

export const configBaseline = (d: Deps) => {
  const { region: r } = d.parse('aws-config', region);
  return new AwsConfigBaseline({ config: new ConfigServiceClient({ region: r }), ec2: new EC2Client({ region: r }) }, d.parse('aws-config', awsConfigSettingsSchema));
};

export const patching = (d: Deps) => new AwsSsmPatching(d.parse('aws-ssm', awsSsmPatchingConfig));
