// Every secret shape of issue 16 in free text, in JSON carried inside strings and in
// command lines; and the near misses (hashes, UUIDs, ARNs, paths) that must survive.
import { describe, expect, it } from 'vitest';
import type { SecretDescriptor } from '../../lib/intake/alert';
import { Redactor } from '../../lib/intake/redact';

const redactor = new Redactor(Buffer.from('unit-test-key'));
// Made-up values, assembled here so that no file holds a whole token shape.
const rand = (n: number, alphabet = 'AbCdEfGhJkMnPqRsTuVwXyZ0123456789') => Array.from({ length: n }, (_, i) => alphabet[(i * 7 + n) % alphabet.length]).join('');
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'alice', iat: 1716000000 })}.${rand(43)}`;

/** Each case: the text, and the secret that must be gone from it. */
const SHAPES: [string, string, string][] = [
  ['password= in free text', `login failed password=${'Hunter2' + 'Hunter2'} for alice`, 'Hunter2Hunter2'],
  ['secret= in free text', `config secret=${'s3cr3t' + 'Value9'} loaded`, 's3cr3tValue9'],
  ['token= in a query string', `GET /hook?token=${'tok' + rand(20)}&x=1`, `tok${rand(20)}`],
  ['--password x', `mysqldump --password ${'Pa55' + 'word!x'} -u root db`, 'Pa55word!x'],
  ['--password=x', `pg_dump --password=${'Pa55' + 'word!y'} db`, 'Pa55word!y'],
  ['PGPASSWORD=', `PGPASSWORD=${'pgSecret' + '2024'} psql -h db`, 'pgSecret2024'],
  ['Authorization: Basic', `Authorization: Basic ${Buffer.from('admin:' + 'Opensesame1').toString('base64')}`, Buffer.from('admin:Opensesame1').toString('base64')],
  ['Authorization: Token', `Authorization: Token ${'tkn' + rand(24)}`, `tkn${rand(24)}`],
  ['a bare JWT', `session ${jwt} expired`, jwt.split('.')[2]],
  ['glpat-', `git clone https://x/y with ${'glpat' + '-' + rand(20)}`, `-${rand(20)}`],
  ['AIza…', `maps key ${'AIza' + rand(35)}`, rand(35)],
  ['sk_live_', `stripe ${'sk_' + 'live_' + rand(24)}`, rand(24)],
  ['sk-…', `openai ${'sk-' + 'proj-' + rand(48)}`, rand(48)],
  ['npm_', `//registry.npmjs.org/:_authToken=${'npm' + '_' + rand(36)}`, rand(36)],
  ['Slack webhook URL', `posted to https://hooks.slack.com/services/T0${'AAAA'}/B0${'BBBB'}/${rand(24)}`, rand(24)],
  ['Azure sig=', `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=${'AbCd' + rand(30)}%3D`, `AbCd${rand(30)}`],
  ['presigned URL', `https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA${'X'.repeat(16)}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${'FwoG' + rand(40)}&X-Amz-Signature=${'a1'.repeat(32)}`, 'a1'.repeat(32)],
  ['presigned URL credential', `https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA${'Y'.repeat(16)}%2F20240101&X-Amz-Signature=${'b2'.repeat(32)}`, `AKIA${'Y'.repeat(16)}`],
  ['presigned URL token', `https://b.s3.amazonaws.com/k?X-Amz-Security-Token=${'FwoG' + rand(40)}&X-Amz-Signature=${'c3'.repeat(32)}`, `FwoG${rand(40)}`],
  ['AWS_SESSION_TOKEN=', `export AWS_SESSION_TOKEN=${'IQoJ' + rand(60)}`, rand(60)],
  ['connection string Password=…;', `Server=db;Database=app;User Id=sa;Password=${'C0nn' + 'Str!ng'};Encrypt=true`, 'C0nnStr!ng'],
  ['"password": "…" as JSON text', `{"user": "bob", "password": "${'json' + 'Pw123'}"}`, 'jsonPw123'],
  ['"secret": "…" inside text', `payload {"secret": "${'qs' + 'Val55'}", "n": 1} end`, 'qsVal55'],
  ['password: … as YAML', `db:\n  password: ${'yaml' + 'Pw77'}\n`, 'yamlPw77'],
];

describe('secret shapes in free text', () => {
  for (const [name, text, secret] of SHAPES) {
    it(`redacts ${name}`, () => {
      const found: SecretDescriptor[] = [];
      const out = redactor.redactText(text, found);
      expect(out).not.toContain(secret);
      expect(out).toContain('[REDACTED');
      expect(found.length).toBeGreaterThan(0);
      // A second pass changes nothing: the placeholders are not secrets themselves.
      expect(redactor.redactText(out)).toBe(out);
    });
  }

  it('keeps hashes, UUIDs, ARNs, paths, hostnames and ordinary sentences', () => {
    const keep = [
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'md5 d41d8cd98f00b204e9800998ecf8427e and sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'incident 0b6a3c1e-9f5d-4e7a-8c2b-1d3f5a7b9c0e',
      'arn:aws:iam::123456789012:role/service-role/palisade-responder',
      'arn:aws:sns:eu-west-1:123456789012:guardduty-findings',
      '/var/lib/postgresql/15/main/pg_wal/000000010000000000000001',
      'C:\\Users\\alice\\AppData\\Local\\Temp\\tokens.db',
      'host ip-10-0-1-17.eu-west-1.compute.internal (sk-prod-web-01)',
      'task-runner-2024 and desk-sk-12 and skype',
      'Basic authentication failed for user bob',
      'password reset requested; token expired; secret rotation due',
      'the password policy requires 12 characters',
      'eyJ is how base64 of {" starts',
      'npm_config_cache=/tmp/npm and AIzaB',
      'https://hooks.slack.com/services/ (no path)',
      'https://example.com/search?q=signature&page=2',
      'GuardDuty finding 5cc4a1f2e8b7d3c9a0f6e2d4b8c1a7e3',
      'kubectl logs pod/api-7d9f8b6c5-x2x9z --tail 100',
      // What adapters write about a secret, without the secret.
      'Secret: GitHub Personal Access Token ending …a1b2 (fingerprint 0123456789ab), validity active.',
      'Credentials: rotated by the owner; Token: see the runbook',
    ];
    for (const text of keep) expect(redactor.redactText(text), text).toBe(text);
  });
});

describe('JSON carried inside strings', () => {
  it('parses an SNS Message and a Splunk _raw as JSON and redacts them by field name', () => {
    const message = JSON.stringify({ detail: { service: { additionalInfo: { passphrase: 'open-sesame-phrase', cookie: 'sid=abc123def456' } } } });
    const found: SecretDescriptor[] = [];
    const out = redactor.redactDeep({ Type: 'Notification', Message: message, result: { _raw: JSON.stringify({ user: 'bob', db_password: 'rawPw-998877' }) } }, found);
    const text = JSON.stringify(out);
    for (const leaked of ['open-sesame-phrase', 'sid=abc123def456', 'rawPw-998877']) expect(text).not.toContain(leaked);
    // Still JSON inside the string, with its other fields.
    expect(JSON.parse(out.Message)).toMatchObject({ detail: { service: { additionalInfo: { passphrase: expect.stringContaining('[REDACTED') } } } });
    expect(JSON.parse(out.result._raw)).toMatchObject({ user: 'bob' });
    expect(found.map((f) => f.type)).toEqual(expect.arrayContaining(['field:passphrase', 'field:cookie', 'field:db_password']));
  });

  it('leaves a JSON string without secrets exactly as it was', () => {
    const message = '{ "detail" : {"severity": 5} }';
    expect(redactor.redactDeep({ Message: message })).toEqual({ Message: message });
  });

  it('redacts a free-text description built from a result row by field name', () => {
    const row = 'host=web-1 user=bob password=rowPw-445566 passphrase=my-phrase-1 api_key=K-778899 status=ok';
    const out = redactor.redactText(row);
    for (const leaked of ['rowPw-445566', 'my-phrase-1', 'K-778899']) expect(out).not.toContain(leaked);
    expect(out).toContain('host=web-1 user=bob');
    expect(out).toContain('status=ok');
  });

  it('survives nesting deeper than it walks', () => {
    const deep = JSON.parse(`${'['.repeat(5_000)}"password=deepPw-1"${']'.repeat(5_000)}`) as unknown;
    expect(JSON.stringify(redactor.redactDeep(deep))).not.toContain('deepPw-1');
  });
});

describe('an alert as the door keeps it', () => {
  it('holds labels to 64, names to 100 and values to 1,000 characters, and redacts by label name', () => {
    const labels = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, 'v']));
    labels.l0 = 'x'.repeat(5_000);
    labels.l1 = 'Bearer abcdefghijklmnop0123';
    const alert = redactor.redactAlert({
      title: 't', description: '', severity: 'low', severityOriginal: 'low', category: 'other', observedAt: '2024-01-01T00:00:00Z', fingerprint: 'f',
      entity: { kind: 'credential', key: 'AKIAIOSFODNN7EXAMPLE', display: 'deployer (access key …MPLE)' },
      labels: { session_token: 'abc-123-def', [`n${'a'.repeat(300)}`]: 'v', ...labels },
    });
    // The entity key is an identity the adapter chose (an access key id names a credential): kept.
    expect(alert.entity).toEqual({ kind: 'credential', key: 'AKIAIOSFODNN7EXAMPLE', display: 'deployer (access key …MPLE)' });
    expect(Object.keys(alert.labels)).toHaveLength(64);
    expect(Object.keys(alert.labels).every((k) => k.length <= 100)).toBe(true);
    expect(alert.labels.l0).toHaveLength(1_000);
    expect(alert.labels.session_token).toContain('[REDACTED field:session_token');
    expect(alert.labels.l1).not.toContain('abcdefghijklmnop0123');
    expect(alert.secrets?.map((s) => s.type).sort()).toEqual(['bearer_token', 'field:session_token']);
  });
});
