import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SecretDescriptor } from '../../lib/intake/alert';
import { Redactor } from '../../lib/intake/redact';

const redactor = new Redactor(Buffer.from('unit-test-key'));

describe('Redactor', () => {
  const secrets = {
    aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
    github_token: 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
    slack_token: 'xoxb-123456789012-abcdefghijkl',
    private_key: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----',
  };

  it('replaces known secret shapes anywhere in a payload, keeping type, fingerprint and last four', () => {
    const found: SecretDescriptor[] = [];
    const out = redactor.redactDeep(
      {
        log: `user exported AWS_ACCESS_KEY_ID=${secrets.aws_access_key_id} and pushed ${secrets.github_token}`,
        nested: [{ note: `slack ${secrets.slack_token}` }, secrets.private_key],
        headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature' },
        password: 'hunter2hunter2',
      },
      found,
    );
    const text = JSON.stringify(out);
    for (const value of [...Object.values(secrets), 'hunter2hunter2', 'eyJhbGciOiJIUzI1NiJ9']) expect(text).not.toContain(value);
    expect(found.map((f) => f.type).sort()).toEqual(
      ['aws_access_key_id', 'field:authorization', 'field:password', 'github_token', 'private_key', 'slack_token'].sort(),
    );
    expect(text).toContain(`…${secrets.aws_access_key_id.slice(-4)}]`);
  });

  it('redacts secret-holding fields by name, secrets used as keys, and credentials inside text', () => {
    const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const out = JSON.stringify(
      redactor.redactDeep({
        AWS_SECRET_ACCESS_KEY: awsSecret,
        secretAccessKey: awsSecret,
        sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDH',
        DB_PASSWORD: 'correct-horse-battery',
        token: 'opaque-token-value-123',
        [secrets.github_token]: 'used as a key',
        cmd: 'curl -u admin:hunter2pass https://x.example',
        url: 'https://deploy:s3cretpassw0rd@git.example.com/repo.git',
        header: 'X-Api-Key: AbCdEf0123456789xyz',
        // Descriptions of a secret stay readable.
        secret_type: 'github_personal_access_token',
        access_key_id: 'AKIA-not-a-secret-id',
      }),
    );
    for (const leaked of [awsSecret, 'FwoGZXIvYXdzEJr', 'correct-horse-battery', 'opaque-token-value-123', secrets.github_token, 'hunter2pass', 's3cretpassw0rd', 'AbCdEf0123456789xyz']) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('github_personal_access_token');
    expect(out).toContain('AKIA-not-a-secret-id');
  });

  it('fingerprints with the key: same secret, same fingerprint; another key, another one', () => {
    const a = redactor.describe('github_token', secrets.github_token);
    expect(redactor.describe('github_token', secrets.github_token).fingerprint).toBe(a.fingerprint);
    expect(new Redactor(Buffer.from('other-key')).describe('github_token', secrets.github_token).fingerprint).not.toBe(a.fingerprint);
    expect(a.fingerprint).not.toContain(secrets.github_token);
  });

  it('leaves ordinary values alone and never throws', () => {
    expect(redactor.redactDeep({ host: 'web-1', n: 3, ok: true, none: null })).toEqual({ host: 'web-1', n: 3, ok: true, none: null });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => redactor.redactDeep(value)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
