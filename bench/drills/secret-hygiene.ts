// Drill 7, secret hygiene: leaked secrets go in (secret-leak game days with a fresh AWS key each,
// GitHub secret-scanning alerts carrying fresh tokens, generic alerts whose description carries
// an AWS key pair or a private key, generic and Splunk alerts carrying every shape of issue 16
// (password= in text, --password, PGPASSWORD=, Authorization Basic/Token, JWTs, GitLab, Google,
// Stripe, sk- and npm tokens, Slack webhooks, SAS and presigned URLs, AWS_SESSION_TOKEN=,
// connection strings, passphrase and cookie fields, JSON inside strings), their incidents
// resolved with a secret in the reason); then every Temporal history of the engine's task queue,
// every Postgres table (each row as text) and the captured logs are searched for each raw secret
// and its base64. The promise: 0 hits. A marker that must be found (the drill's own alert titles)
// proves each search can find what is there.
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { ApiClient } from '../../apps/cli/commands/api-client';
import { loadCliSettings } from '../../lib/config/cli';
import { webhookSecretVariable } from '../../lib/config/env';
import { runGameday } from '../../lib/gamedays/runner';
import { signedHeaders } from '../../lib/intake/signing';
import { SOURCE_ADAPTERS } from '../../lib/intake/sources';
import { loadScenario, resolveScenario, type Scenario } from '../../lib/gamedays/scenario';
import { scaled, type Drill, type DrillCluster, type DrillOptions } from './drill';

const FIXTURE = path.resolve(__dirname, '../../test/fixtures/webhooks/github/secret-scanning-created-public.json');
/** Secrets the drill sends itself at full size, alerts carrying every shape, and secret-leak game days. */
const SECRETS = 30;
const SHAPE_ALERTS = 10;
const GAMEDAYS = 3;
/** The made-up key in runbooks/gamedays/secret-leak.yaml, replaced by a fresh one per run. */
const SCENARIO_KEY = 'AKIAGAMEDAY000000001';

/** One injected secret: where it went, and the strings that must appear nowhere. */
interface Leak {
  label: string;
  needles: string[];
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomOf = (alphabet: string, n: number) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const freshAwsKeyId = () => `AKIA${randomOf(ALNUM.slice(0, 26) + ALNUM.slice(52), 16)}`;
const base64 = (s: string) => Buffer.from(s).toString('base64');

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** A GitHub secret-scanning alert carrying a fresh token. */
async function leakGithubToken(cluster: DrillCluster, marker: string): Promise<Leak & { incidentId?: string }> {
  const token = `ghp_${randomOf(ALNUM, 36)}`;
  const payload = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  Object.assign(payload.alert, { secret: token, number: Math.floor(Math.random() * 1e9) });
  payload.repository.full_name = `${payload.repository.full_name}-${marker}`;
  const body = JSON.stringify(payload);
  const proof = signedHeaders(SOURCE_ADAPTERS.github.auth, Buffer.from(body), cluster.secret(webhookSecretVariable('github')), { event: 'secret_scanning_alert' });
  const res = await post(`${cluster.apiUrl}/webhooks/github`, body, proof);
  return { label: `GitHub token …${token.slice(-4)} (answered ${res.status})`, needles: [token, base64(token)], incidentId: res.body?.incidentId ?? undefined };
}

/** A generic alert whose description carries an AWS key pair or a private key. */
async function leakInGenericAlert(cluster: DrillCluster, marker: string, i: number): Promise<Leak & { incidentId?: string }> {
  let description: string;
  let secrets: string[];
  if (i % 2 === 0) {
    const keyId = freshAwsKeyId();
    const secretKey = randomBytes(30).toString('base64');
    description = `Found in a public gist: aws_access_key_id = ${keyId}\naws_secret_access_key = ${secretKey}`;
    secrets = [keyId, secretKey];
  } else {
    const lines = [randomBytes(48).toString('base64'), randomBytes(48).toString('base64')];
    description = `Committed to a public repository:\n-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n-----END RSA PRIVATE KEY-----`;
    secrets = lines;
  }
  const body = JSON.stringify({
    title: `Secret leaked (hygiene drill ${marker})`,
    severity: 'high',
    category: 'secret-leak',
    entity: { kind: 'credential', key: `hygiene-${marker}-${i}` },
    description,
  });
  const proof = signedHeaders(SOURCE_ADAPTERS.generic.auth, Buffer.from(body), cluster.secret(webhookSecretVariable('generic')), { event: 'alert' });
  const res = await post(`${cluster.apiUrl}/webhooks/generic`, body, proof);
  const what = i % 2 === 0 ? 'AWS key pair' : 'private key';
  return { label: `${what} …${secrets[0].slice(-4)} in a generic alert (answered ${res.status})`, needles: secrets.flatMap((s) => [s, base64(s)]), incidentId: res.body?.incidentId ?? undefined };
}

/** Every shape of issue 16, fresh: the text that carries each, and the secret that must appear nowhere. */
function freshShapes(): { text: string; secret: string }[] {
  const r = (n: number) => randomOf(ALNUM, n);
  const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const basic = Buffer.from(`svc:${r(14)}`).toString('base64');
  const shapes = [
    ['password=', r(14)], ['secret=', r(14)], ['--password ', r(14)], ['PGPASSWORD=', r(16)], ['Authorization: Token ', r(24)],
    ['glpat-', r(20)], ['AIza', r(35)], ['sk_live_', r(24)], ['sk-proj-', r(48)], ['npm_', r(36)],
    ['https://hooks.slack.com/services/T01234567/B01234567/', r(24)], ['https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=', r(43)],
    ['https://b.s3.amazonaws.com/k?X-Amz-Credential=ASIAEXAMPLE%2F20240101&X-Amz-Signature=', r(64).toLowerCase()],
    ['AWS_SESSION_TOKEN=', r(80)], ['Server=db;User Id=sa;Password=', r(16)],
  ].map(([prefix, secret]) => ({ text: `${prefix}${secret}${prefix.endsWith('Password=') ? ';' : ''}`, secret }));
  const jwtSignature = r(43);
  shapes.push({ text: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: r(8) })}.${jwtSignature}`, secret: jwtSignature });
  shapes.push({ text: `Authorization: Basic ${basic}`, secret: basic });
  return shapes;
}

/**
 * A generic alert whose description holds every shape (and its labels a passphrase and a
 * cookie), or a Splunk alert whose row holds them with a password field and a JSON _raw.
 */
async function leakShapes(cluster: DrillCluster, marker: string, i: number): Promise<Leak & { incidentId?: string }> {
  const shapes = freshShapes();
  const passphrase = randomOf(ALNUM, 18);
  const needles = [...shapes.map((s) => s.secret), passphrase];
  const title = `Odd lines in a build log (hygiene drill ${marker})`;
  let res: { status: number; body: any };
  if (i % 2 === 0) {
    const body = JSON.stringify({ title, severity: 'high', category: 'other', entity: { kind: 'host', key: `shapes-${marker}-${i}` }, description: shapes.map((s) => s.text).join(' ; '), labels: { passphrase, cookie: `sid=${passphrase}` } });
    const proof = signedHeaders(SOURCE_ADAPTERS.generic.auth, Buffer.from(body), cluster.secret(webhookSecretVariable('generic')), { event: 'alert' });
    res = await post(`${cluster.apiUrl}/webhooks/generic`, body, proof);
  } else {
    const body = JSON.stringify({
      sid: `hygiene_${marker}_${i}`,
      search_name: title,
      result: { host: `shapes-${marker}-${i}`, password: passphrase, _raw: JSON.stringify({ passphrase, log: shapes.map((s) => s.text).join(' ') }) },
    });
    res = await post(`${cluster.apiUrl}/webhooks/splunk`, body, { authorization: `Bearer ${cluster.secret(webhookSecretVariable('splunk'))}` });
  }
  return { label: `${shapes.length + 1} secret shapes in a ${i % 2 === 0 ? 'generic' : 'Splunk'} alert (answered ${res.status})`, needles: needles.flatMap((n) => [n, base64(n)]), incidentId: res.body?.incidentId ?? undefined };
}

/** Resolves each incident with a fresh secret in the reason (what people type is redacted before history too). */
async function resolveWithSecret(cluster: DrillCluster, incidentIds: string[]): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const id of incidentIds) {
    const secret = `sk_live_${randomOf(ALNUM, 24)}`;
    const res = await fetch(`${cluster.apiUrl}/incidents/${id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.adminToken}` },
      body: JSON.stringify({ classification: 'false_positive', reason: `false positive; the key ${secret} was a test key` }),
    });
    leaks.push({ label: `resolve reason …${secret.slice(-4)} (answered ${res.status})`, needles: [secret, base64(secret)] });
  }
  return leaks;
}

/** The secret-leak game day with a fresh key in place of the scenario's made-up one. */
async function leakThroughGameday(cluster: DrillCluster, opts: DrillOptions): Promise<{ leak: Leak; passed: boolean }> {
  const key = freshAwsKeyId();
  const scenario = JSON.parse(JSON.stringify(loadScenario(resolveScenario('secret-leak'))).replaceAll(SCENARIO_KEY, key)) as Scenario;
  const settings = loadCliSettings({});
  const scorecard = await runGameday(scenario, {
    api: new ApiClient({ api: cluster.apiUrl, token: cluster.adminToken }, settings),
    as: (token) => new ApiClient({ api: cluster.apiUrl, token }, settings),
    secretFor: (source) => cluster.secret(webhookSecretVariable(source)),
    onEvent: (e) => opts.say(`secret hygiene: game day: ${e.message}`),
    pollMs: 250,
  });
  return { leak: { label: `game day key …${key.slice(-4)}`, needles: [key, base64(key)] }, passed: scorecard.passed };
}

/** Waits until each incident's timeline has its playbook's first steps, or an event of `type` (or 60 s pass). */
async function settle(cluster: DrillCluster, incidentIds: string[], type?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const id of incidentIds) {
    while (Date.now() < deadline) {
      const res = await fetch(`${cluster.apiUrl}/incidents/${id}/timeline`, { headers: { authorization: `Bearer ${cluster.adminToken}` } });
      const body = (await res.json().catch(() => undefined)) as { events?: { type?: string }[] } | undefined;
      if (type ? body?.events?.some((e) => e.type === type) : (body?.events?.length ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Which leaks appear in `text`, by label. */
function hitsIn(text: string, leaks: Leak[]): string[] {
  return leaks.filter((l) => l.needles.some((n) => text.includes(n))).map((l) => l.label);
}

/**
 * A history as text: every bytes field (payloads) decoded as UTF-8 in place, whether the client
 * hands it over as bytes, as a Buffer's JSON, or already as base64 (proto JSON's `data`).
 */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    // ArrayBuffer.isView, not instanceof: the client's bytes may come from another realm (a test runner's).
    if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    const v = value as { type?: unknown; data?: unknown } | null;
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data as number[]).toString('utf8');
    if (key === 'data' && typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}

async function searchTemporal(cluster: DrillCluster, leaks: Leak[], marker: string): Promise<{ histories: number; withMarker: number; hits: string[] }> {
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  try {
    const client = new Client({ connection, namespace: cluster.namespace });
    let histories = 0;
    let withMarker = 0;
    const hits: string[] = [];
    for await (const wf of client.workflow.list({ query: `TaskQueue = "${cluster.taskQueue}"` })) {
      const text = historyText(await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
      histories++;
      if (text.includes(marker)) withMarker++;
      for (const label of hitsIn(text, leaks)) hits.push(`Temporal history of ${wf.workflowId} holds ${label}`);
    }
    return { histories, withMarker, hits };
  } finally {
    await connection.close();
  }
}

async function searchPostgres(cluster: DrillCluster, leaks: Leak[], marker: string): Promise<{ tables: number; rowsWithMarker: number; hits: string[] }> {
  const db = new PgClient({ connectionString: cluster.databaseUrl });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    let rowsWithMarker = 0;
    const hits: string[] = [];
    for (const { tablename } of tables) {
      const count = async (needles: string[]) =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${tablename}" t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE strpos(t::text, s) > 0)`, [needles])).rows[0].n;
      rowsWithMarker += await count([marker]);
      for (const leak of leaks) {
        const n = await count(leak.needles);
        if (n > 0) hits.push(`Postgres table ${tablename}: ${n} row(s) hold ${leak.label}`);
      }
    }
    return { tables: tables.length, rowsWithMarker, hits };
  } finally {
    await db.end();
  }
}

export const secretHygiene: Drill = async (cluster, opts) => {
  const marker = `hygiene-${randomBytes(5).toString('hex')}`;
  const did: string[] = [];
  const found: string[] = [];
  const losses: string[] = [];
  const leaks: Leak[] = [];

  const gamedays = scaled(GAMEDAYS, opts);
  let passed = 0;
  for (let g = 0; g < gamedays; g++) {
    try {
      const run = await leakThroughGameday(cluster, opts);
      leaks.push(run.leak);
      if (run.passed) passed++;
    } catch (err) {
      losses.push(`the secret-leak game day could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  did.push(`ran the secret-leak game day ${gamedays} time(s), each with a fresh AWS access key (${passed} passed its SLOs)`);

  const count = scaled(SECRETS, opts, 3);
  const incidents: string[] = [];
  for (let i = 0; i < count; i++) {
    const leak = i % 3 === 0 ? await leakGithubToken(cluster, marker) : await leakInGenericAlert(cluster, marker, i);
    leaks.push(leak);
    if (leak.incidentId) incidents.push(leak.incidentId);
    else losses.push(`the alert carrying ${leak.label} opened no incident: the secret never reached a playbook`);
  }
  did.push(`sent ${count} alerts carrying fresh secrets (GitHub tokens, AWS key pairs, private keys); ${incidents.length} opened incidents`);

  const shapeCount = scaled(SHAPE_ALERTS, opts, 2);
  const shaped: string[] = [];
  for (let i = 0; i < shapeCount; i++) {
    const leak = await leakShapes(cluster, marker, i);
    leaks.push(leak);
    if (leak.incidentId) shaped.push(leak.incidentId);
    else losses.push(`the alert carrying ${leak.label} opened no incident: the secrets never reached a playbook`);
  }
  await settle(cluster, [...incidents, ...shaped]);
  leaks.push(...(await resolveWithSecret(cluster, shaped)));
  await settle(cluster, shaped, 'incident.resolved');
  did.push(`sent ${shapeCount} generic and Splunk alerts carrying every secret shape of issue 16 (${freshShapes().length + 1} each), and resolved their ${shaped.length} incidents with a secret in the reason`);
  opts.say(`secret hygiene: ${leaks.length} leaks in; searching Temporal, Postgres and the logs for ${leaks.flatMap((l) => l.needles).length} strings`);

  const temporal = await searchTemporal(cluster, leaks, marker);
  const postgres = await searchPostgres(cluster, leaks, marker);
  const logs = cluster.logs();
  const logHits = hitsIn(logs, leaks).map((label) => `the logs hold ${label}`);
  losses.push(...temporal.hits, ...postgres.hits, ...logHits);
  found.push(`Temporal: ${temporal.histories} histories on ${cluster.taskQueue}, ${temporal.hits.length} hits (the drill's marker in ${temporal.withMarker})`);
  found.push(`Postgres: ${postgres.tables} tables, ${postgres.hits.length} hits (the drill's marker in ${postgres.rowsWithMarker} rows)`);
  found.push(`logs: ${logs.length.toLocaleString('en-US')} characters, ${logHits.length} hits (the drill's marker ${logs.includes(marker) ? 'present' : 'absent'})`);
  // A search that cannot find the marker proves nothing by finding no secret.
  if (temporal.withMarker === 0) losses.push("Temporal: no history holds the drill's own marker: the search is blind");
  if (postgres.rowsWithMarker === 0) losses.push("Postgres: no row holds the drill's own marker: the search is blind");
  if (!logs.includes(marker)) losses.push("logs: the drill's own marker is not in them: the logs are not captured");
  return { drill: 'secret-hygiene', did, found, losses };
};
