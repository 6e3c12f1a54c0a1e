import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import type { RotationResult } from '../../../lib/providers/capabilities';
import { aws, isAwsError } from '../aws-sdk';

/** Secret tags Palisade reads and writes. */
export const SECRET_TAGS = {
  /** Space- or comma-separated services that read the secret and must get a rotated value. */
  dependents: 'palisade:dependents',
  /** The access key a rotation replaced, and the key that replaced it (ids, never values). */
  replaces: 'palisade:replaces',
  accessKeyId: 'palisade:access-key-id',
  user: 'palisade:user',
} as const;

export function isSecretArn(credentialId: string): boolean {
  return credentialId.startsWith('arn:') && credentialId.split(':')[2] === 'secretsmanager';
}

/**
 * A Secrets Manager ClientRequestToken (it becomes the new version's id) derived from the
 * call's idempotency key, so a retried rotation writes the same version, not a second one.
 */
export function versionToken(idempotencyKey: string): string {
  const h = createHash('sha256').update(`palisade-rotation:${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function tagsOf(secret: Pick<DescribeSecretCommandOutput, 'Tags'>): Record<string, string> {
  return Object.fromEntries((secret.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export function listTag(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((v) => v.length > 0);
}

/** The secret's description, or undefined when there is no such secret. */
export async function describeSecret(secrets: SecretsManagerClient, secretId: string): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/**
 * Rotates a Secrets Manager secret: through its own rotation Lambda when it has one
 * (RotateSecret), else by writing a new random value as the current version. A secret whose
 * value is a JSON object gets a new `password` field and keeps the rest. The value is read
 * and written here only; it never reaches a result, an error or a log.
 */
export async function rotateSecret(secrets: SecretsManagerClient, secretArn: string, idempotencyKey: string): Promise<RotationResult> {
  const token = versionToken(idempotencyKey);
  const described = await aws('secretsmanager:DescribeSecret', () => secrets.send(new DescribeSecretCommand({ SecretId: secretArn })));
  const done = Object.keys(described.VersionIdsToStages ?? {}).includes(token);
  if (!done && described.RotationEnabled) {
    await aws('secretsmanager:RotateSecret', () =>
      secrets.send(new RotateSecretCommand({ SecretId: secretArn, ClientRequestToken: token, RotateImmediately: true })),
    );
  } else if (!done) {
    const current = await aws('secretsmanager:GetSecretValue', () => secrets.send(new GetSecretValueCommand({ SecretId: secretArn })));
    const random = await aws('secretsmanager:GetRandomPassword', () =>
      secrets.send(new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true })),
    );
    const password = random.RandomPassword ?? '';
    let value = password;
    try {
      const parsed: unknown = JSON.parse(current.SecretString ?? '');
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) value = JSON.stringify({ ...parsed, password });
    } catch {
      // A plain string secret: replaced whole.
    }
    await aws('secretsmanager:PutSecretValue', () =>
      secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value, ClientRequestToken: token })),
    );
  }
  return {
    credentialId: secretArn,
    newCredentialId: `${described.ARN ?? secretArn}#${token}`,
    updatedDependents: listTag(tagsOf(described)[SECRET_TAGS.dependents]),
    at: new Date().toISOString(),
  };
}
