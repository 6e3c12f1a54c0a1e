import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { type AccessKeyMetadata, CreateAccessKeyCommand, DeleteAccessKeyCommand, DeleteUserPolicyCommand, GetAccessKeyLastUsedCommand, type IAMClient, ListAccessKeysCommand, ListUsersCommand, ListUserTagsCommand, paginateListAttachedUserPolicies, paginateListGroupsForUser, paginateListUserPolicies, paginateListUsers, PutUserPolicyCommand, TagUserCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, ListSecretsCommand, PutSecretValueCommand, TagResourceCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import {
  ProviderErrorType,
  type CredentialInfo,
  type CredentialRef,
  type CredentialUsage,
  type ProviderCall,
  type RotationResult,
} from '../../../lib/providers/capabilities';
import type { Redactor } from '../../../lib/intake/redact';
import { aws, awsFailure, awsPages, isAwsError } from '../aws-sdk';
import { providerError } from '../errors';
import { KnownNetworks, LookupAttributeKey, lookupUsage } from './aws-cloudtrail-usage';
import { describeSecret, isSecretArn, listTag, rotateSecret, SECRET_TAGS, tagsOf, versionToken } from './aws-secrets-manager';
import type { CredentialsProvider } from './credentials.provider';

/** `settings.aws-iam` in runbooks/providers.yaml. No secrets: AWS credentials come from the standard chain. */
export const awsIamSettingsSchema = z
  .object({
    /** Where a rotated access key is stored: the secret `<prefix><user name>` (created on first rotation). */
    rotatedSecretPrefix: z.string().min(1).default('palisade/rotated/'),
    /** CIDRs the credentials' owners work from: CloudTrail uses from elsewhere are `unusual`. */
    knownNetworks: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or CIDR')).default([]),
    /** At most this many CloudTrail events per findUsage. */
    /** Every use goes into the activity's result, which Temporal keeps in the run's history: kept small. */
    maxUsageEvents: z.number().int().positive().max(500).default(200),
  })
  .strict();
export type AwsIamSettings = z.input<typeof awsIamSettingsSchema>;

export interface AwsIamClients {
  iam: IAMClient;
  secrets: SecretsManagerClient;
  cloudtrail: CloudTrailClient;
}

/** The leaked-secret type (lib/intake/redact.ts) this provider can find. */
export const AWS_ACCESS_KEY_TYPE = 'aws_access_key_id';

/** IAM user tags Palisade reads. */
const USER_TAGS = { shared: 'palisade:shared', dependents: 'palisade:dependents', quarantined: 'palisade:quarantined' } as const;

const DENY_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PalisadeQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }] });

/** The inline deny-all policy one incident attaches to a user (IAM policy names: [\w+=,.@-], ≤128). */
export function quarantinePolicyName(incidentId: string): string {
  return `PalisadeQuarantine-${incidentId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 128);
}

/**
 * AWS IAM access keys (and Secrets Manager secrets, by ARN). A leaked key is found by the
 * keyed fingerprint the door gave it — the same Redactor — never by its value. Revoking
 * deactivates the key and attaches an explicit deny-all to its user; rotating issues a new
 * key into Secrets Manager, deletes the old one and lifts this incident's deny-all (the
 * user then has the new key only). CloudTrail LookupEvents tells where the key was used.
 */
export class AwsIamCredentials implements CredentialsProvider {
  private readonly settings: z.output<typeof awsIamSettingsSchema>;
  private readonly known: KnownNetworks;

  constructor(
    private readonly clients: AwsIamClients,
    private readonly redactor: Pick<Redactor, 'fingerprint'>,
    settings: AwsIamSettings = {},
  ) {
    this.settings = awsIamSettingsSchema.parse(settings);
    this.known = new KnownNetworks(this.settings.knownNetworks);
  }

  /** iam:ListUsers, one user: looking a leaked key up walks every user's keys. */
  async check(): Promise<string> {
    await aws('iam:ListUsers', () => this.clients.iam.send(new ListUsersCommand({ MaxItems: 1 })));
    return 'iam:ListUsers answered';
  }

  /** Walks every user's keys (ListUsers, ListAccessKeys) comparing fingerprints: O(keys) IAM reads. */
  async lookup(_call: ProviderCall, ref: CredentialRef): Promise<CredentialInfo | null> {
    if (ref.type !== AWS_ACCESS_KEY_TYPE) return null;
    const users = paginateListUsers({ client: this.clients.iam }, {});
    for await (const page of awsPages('iam:ListUsers', users)) {
      for (const user of page.Users ?? []) {
        const keys = await this.keysOf(user.UserName!);
        const key = keys.find((k) => k.AccessKeyId?.endsWith(ref.last4) && this.redactor.fingerprint(k.AccessKeyId) === ref.fingerprint);
        if (key) return this.describe(user.UserName!, key);
      }
    }
    return null;
  }

  async revoke(call: ProviderCall, credentialId: string, reason: string): Promise<CredentialInfo> {
    if (isSecretArn(credentialId)) {
      throw providerError(ProviderErrorType.Invalid, `${credentialId} is a Secrets Manager secret: it is revoked by rotating it, not by revoke.`);
    }
    const user = await this.userOf(credentialId);
    const { iam } = this.clients;
    await aws('iam:UpdateAccessKey', () => iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: credentialId, Status: 'Inactive' })));
    // PutUserPolicy replaces a policy of the same name: repeating it is harmless.
    const policy = quarantinePolicyName(call.incidentId);
    await aws('iam:PutUserPolicy', () => iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: policy, PolicyDocument: DENY_ALL })));
    const why = reason.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').slice(0, 256);
    await aws('iam:TagUser', () => iam.send(new TagUserCommand({ UserName: user, Tags: [{ Key: USER_TAGS.quarantined, Value: why }] })));
    return this.describe(user, await this.keyOf(user, credentialId));
  }

  /**
   * New key → Secrets Manager → old key deleted → this incident's deny-all lifted. Safe to
   * repeat: the secret's tags record which key it replaced and its version id is derived from
   * the call's idempotency key, so a retry finishes the rotation it interrupted. A user with
   * a second key of its own is refused (IAM allows two, and the new key needs the slot).
   */
  async rotate(call: ProviderCall, credentialId: string): Promise<RotationResult> {
    if (isSecretArn(credentialId)) return rotateSecret(this.clients.secrets, credentialId, call.idempotencyKey);
    const { iam, secrets } = this.clients;
    const user = await this.userOf(credentialId).catch(async (err: unknown) => {
      const done = await this.rotatedAlready(credentialId);
      if (!done) throw err;
      return done.user;
    });
    const secretName = `${this.settings.rotatedSecretPrefix}${user}`;
    const token = versionToken(call.idempotencyKey);
    const secret = await aws('secretsmanager:DescribeSecret', () => describeSecret(secrets, secretName));
    const tags = secret ? tagsOf(secret) : {};
    const ours = tags[SECRET_TAGS.replaces] === credentialId ? tags[SECRET_TAGS.accessKeyId] : undefined;
    const stored = ours !== undefined && Object.keys(secret?.VersionIdsToStages ?? {}).includes(token);
    let newKeyId = stored ? ours : undefined;

    if (!newKeyId) {
      let others = (await this.keysOf(user)).filter((k) => k.AccessKeyId !== credentialId);
      const lost = others.find((k) => k.AccessKeyId === ours);
      if (lost) {
        // Created by an interrupted attempt whose secret was never stored: its value is lost.
        await this.deleteKey(user, lost.AccessKeyId!);
        others = others.filter((k) => k !== lost);
      }
      if (others.length > 0) {
        throw providerError(
          ProviderErrorType.Invalid,
          `IAM user ${user} has another access key (${others.map((k) => k.AccessKeyId).join(', ')}) besides ${credentialId}: Palisade rotates a user's only key. ` +
            `Delete the other key by hand (or rotate ${credentialId} by hand), then retry.`,
        );
      }
      const created = await aws('iam:CreateAccessKey', () => iam.send(new CreateAccessKeyCommand({ UserName: user })));
      const key = created.AccessKey!;
      newKeyId = key.AccessKeyId!;
      const value = JSON.stringify({ accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey, userName: user, replaces: credentialId });
      const secretTags = [
        { Key: SECRET_TAGS.replaces, Value: credentialId },
        { Key: SECRET_TAGS.accessKeyId, Value: newKeyId },
        { Key: SECRET_TAGS.user, Value: user },
      ];
      if (secret) {
        await aws('secretsmanager:TagResource', () => secrets.send(new TagResourceCommand({ SecretId: secretName, Tags: secretTags })));
        await aws('secretsmanager:PutSecretValue', () =>
          secrets.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: value, ClientRequestToken: token })),
        );
      } else {
        await aws('secretsmanager:CreateSecret', () =>
          secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: value, ClientRequestToken: token, Tags: secretTags, Description: `IAM access key of ${user}, rotated by Palisade` })),
        );
      }
    }
    await this.deleteKey(user, credentialId);
    await this.liftQuarantine(user, call.incidentId);
    return { credentialId, newCredentialId: newKeyId, updatedDependents: await this.dependentsOf(user), at: new Date().toISOString() };
  }

  /** CloudTrail management events made with the key (or, for a secret, on it) in the window. */
  async findUsage(_call: ProviderCall, credentialId: string, window: { from: string; to: string }): Promise<CredentialUsage[]> {
    const attribute = isSecretArn(credentialId)
      ? { key: LookupAttributeKey.RESOURCE_NAME, value: credentialId }
      : { key: LookupAttributeKey.ACCESS_KEY_ID, value: credentialId };
    return lookupUsage(this.clients.cloudtrail, attribute, window, this.known, this.settings.maxUsageEvents);
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────

  /** The IAM user an access key belongs to (GetAccessKeyLastUsed names it without a user to start from). */
  private async userOf(accessKeyId: string): Promise<string> {
    const out = await aws('iam:GetAccessKeyLastUsed', () => this.clients.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
    if (!out.UserName) throw providerError(ProviderErrorType.NotFound, 'iam:GetAccessKeyLastUsed');
    return out.UserName;
  }

  private async keysOf(user: string): Promise<AccessKeyMetadata[]> {
    const keys: AccessKeyMetadata[] = [];
    let marker: string | undefined;
    do {
      const page = await aws('iam:ListAccessKeys', () => this.clients.iam.send(new ListAccessKeysCommand({ UserName: user, Marker: marker })));
      keys.push(...(page.AccessKeyMetadata ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return keys;
  }

  private async keyOf(user: string, accessKeyId: string): Promise<AccessKeyMetadata> {
    const key = (await this.keysOf(user)).find((k) => k.AccessKeyId === accessKeyId);
    if (!key) throw providerError(ProviderErrorType.NotFound, `IAM user ${user} has no access key ${accessKeyId}.`);
    return key;
  }

  private async deleteKey(user: string, accessKeyId: string): Promise<void> {
    try {
      await this.clients.iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: accessKeyId }));
    } catch (err) {
      if (!isAwsError(err, 'NoSuchEntity', 'NoSuchEntityException')) throw awsFailure(err, 'iam:DeleteAccessKey');
    }
  }

  private async liftQuarantine(user: string, incidentId: string): Promise<void> {
    const policy = quarantinePolicyName(incidentId);
    try {
      await this.clients.iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: policy }));
    } catch (err) {
      if (!isAwsError(err, 'NoSuchEntity', 'NoSuchEntityException')) throw awsFailure(err, 'iam:DeleteUserPolicy');
    }
  }

  /** A rotation of this key that finished before (its old key is gone): found by the secret's tags. */
  private async rotatedAlready(accessKeyId: string): Promise<{ user: string } | undefined> {
    const found = await aws('secretsmanager:ListSecrets', () =>
      this.clients.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: [accessKeyId] }] })),
    );
    const secret = found.SecretList?.find((s) => tagsOf(s)[SECRET_TAGS.replaces] === accessKeyId && s.Name?.startsWith(this.settings.rotatedSecretPrefix));
    const user = secret ? tagsOf(secret)[SECRET_TAGS.user] : undefined;
    return user ? { user } : undefined;
  }

  private async userTags(user: string): Promise<Record<string, string>> {
    const out = await aws('iam:ListUserTags', () => this.clients.iam.send(new ListUserTagsCommand({ UserName: user })));
    return Object.fromEntries((out.Tags ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? '']));
  }

  private async dependentsOf(user: string, tags?: Record<string, string>): Promise<string[]> {
    const t = tags ?? (await this.userTags(user));
    return [`secretsmanager:${this.settings.rotatedSecretPrefix}${user}`, ...listTag(t[USER_TAGS.dependents])];
  }

  /** The key as a CredentialInfo: its user is the owner; scope is the user's policies and groups. */
  private async describe(user: string, key: AccessKeyMetadata): Promise<CredentialInfo> {
    const { iam } = this.clients;
    const tags = await this.userTags(user);
    const scope: string[] = [];
    for await (const page of awsPages('iam:ListAttachedUserPolicies', paginateListAttachedUserPolicies({ client: iam }, { UserName: user }))) {
      scope.push(...(page.AttachedPolicies ?? []).map((p) => `policy:${p.PolicyName}`));
    }
    for await (const page of awsPages('iam:ListUserPolicies', paginateListUserPolicies({ client: iam }, { UserName: user }))) {
      scope.push(...(page.PolicyNames ?? []).filter((n) => !n.startsWith('PalisadeQuarantine-')).map((n) => `inline:${n}`));
    }
    for await (const page of awsPages('iam:ListGroupsForUser', paginateListGroupsForUser({ client: iam }, { UserName: user }))) {
      scope.push(...(page.Groups ?? []).map((g) => `group:${g.GroupName}`));
    }
    return {
      credentialId: key.AccessKeyId!,
      type: AWS_ACCESS_KEY_TYPE,
      owner: user,
      shared: tags[USER_TAGS.shared]?.toLowerCase() === 'true',
      scope,
      dependents: await this.dependentsOf(user, tags),
      status: key.Status === 'Active' ? 'active' : 'revoked',
    };
  }
}
