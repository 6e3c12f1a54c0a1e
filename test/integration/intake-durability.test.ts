import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { startTemporalDevServer, type DevServer } from '../../apps/cli/start/temporal-dev-server';
import { stateQuery } from '../../workflows/shared/messages';
import { eventually, getJson, startTestEngine, type TestEngine, TRIAGE_ROUTING } from '../support/engine';
import { historyText } from '../../bench/drills/secret-hygiene';
import { FakeGitHub, providersWithGitHub } from '../support/vendors/github';
import { genericAlert, sendGeneric, sendGithub } from '../support/webhooks';

const FIXTURES = path.resolve(__dirname, '../fixtures/webhooks');

describe('secrets never persist', () => {
  it('keeps leaked GitHub secrets out of Postgres, Temporal history and the logs: carried in a delivery, read by the door, read by the playbook', async () => {
    const logs: string[] = [];
    const capture = (stream: NodeJS.WriteStream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      });
      return () => (stream.write = original);
    };
    const restore = [capture(process.stdout), capture(process.stderr)];
    // GitHub's REST API on loopback holds the secrets of the deliveries that do not carry one.
    const github = await new FakeGitHub().start();
    const providers = providersWithGitHub(github, 'PALISADE_TEST_GITHUB_TOKEN', { intakeTimeoutMs: 10_000, timeoutMs: 10_000 });
    const engine = await startTestEngine({ env: { PALISADE_LOG_LEVEL: 'trace', PALISADE_PROVIDERS_FILE: providers, PALISADE_TEST_GITHUB_TOKEN: github.token }, apiLogs: true });
    // Fresh token-shaped secrets, so no earlier test's data can contain them.
    const fresh = () => `ghp_${randomBytes(18).toString('hex')}`;
    const secrets = { carried: fresh(), readByTheDoor: fresh(), readByThePlaybook: fresh() };
    const needles = Object.values(secrets).flatMap((s) => [s, Buffer.from(s).toString('base64')]);
    try {
      const send = async (name: string, secret: string, opts: { carried?: boolean } = {}) => {
        const payload = JSON.parse(readFileSync(path.join(FIXTURES, `github/${name}.json`), 'utf8'));
        payload.alert.number = Math.floor(Math.random() * 1e9);
        if (opts.carried) payload.alert.secret = secret;
        else github.addAlert(payload.repository.full_name, payload.alert.number, { secret, secretType: 'github_personal_access_token' });
        const res = await sendGithub(engine.baseUrl, 'secret_scanning_alert', payload, randomUUID());
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.disposition).toBe('started');
        return res.body as { incidentId: string; alertIds: string[] };
      };
      const carried = await send('secret-scanning-created-public', secrets.carried, { carried: true });
      const byDoor = await send('secret-scanning-alert-created', secrets.readByTheDoor);
      github.fail('5xx'); // the door's read fails: the playbook reads it
      const byPlaybook = await send('secret-scanning-alert-created-private', secrets.readByThePlaybook);
      const incidents = [carried, byDoor, byPlaybook].map((r) => r.incidentId);

      const read = await eventually('the playbook to read the secret from GitHub', async () => {
        const t = await getJson(`${engine.baseUrl}/incidents/${byPlaybook.incidentId}/timeline`);
        return t.body.events?.find((e: { type: string; data: { step?: string } }) => e.type === 'step.succeeded' && e.data.step === 'Read the leaked secret from GitHub');
      }, 30_000);
      expect(read.data.result).toEqual({ type: 'github_personal_access_token', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), last4: secrets.readByThePlaybook.slice(-4) });
      for (const id of incidents) {
        const timeline = await eventually(`incident ${id} on its timeline`, async () => {
          const t = await getJson(`${engine.baseUrl}/incidents/${id}/timeline`);
          return t.body.events?.length >= 2 ? t.body : undefined;
        });
        for (const n of needles) expect(JSON.stringify(timeline)).not.toContain(n);
      }

      // Every table, as text.
      const pg = new PgClient({ connectionString: engine.databaseUrl });
      await pg.connect();
      try {
        const tables = await pg.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
        for (const { tablename } of tables.rows) {
          const hits = await pg.query(`SELECT count(*)::int AS n FROM "${tablename}" t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE strpos(t::text, s) > 0)`, [needles]);
          expect(hits.rows[0].n, `table ${tablename}`).toBe(0);
        }
        const stored = await pg.query(`SELECT secrets, raw::text AS raw FROM alerts WHERE id = $1`, [carried.alertIds[0]]);
        expect(stored.rows[0].secrets[0]).toMatchObject({ last4: secrets.carried.slice(-4) });
        expect(stored.rows[0].raw).toContain('REDACTED');
        const door = await pg.query(`SELECT secrets, entity_key FROM alerts WHERE id = $1`, [byDoor.alertIds[0]]);
        expect(door.rows[0].secrets[0]).toMatchObject({ last4: secrets.readByTheDoor.slice(-4) });
        expect(door.rows[0].entity_key).toBe(`secret:${door.rows[0].secrets[0].fingerprint}`);
      } finally {
        await pg.end();
      }

      // Each workflow's whole history, fetched through the client.
      const client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
      try {
        for (const id of incidents) {
          const incident = await getJson(`${engine.baseUrl}/incidents/${id}`);
          const history = historyText(await client.workflow.getHandle(incident.body.workflowId).fetchHistory());
          expect(history).toContain(incident.body.title); // the payloads are read as text: the search can see
          for (const n of needles) expect(history).not.toContain(n);
        }
      } finally {
        await client.connection.close();
      }
    } finally {
      await engine.close();
      await github.close();
      restore.forEach((r) => r());
    }
    const captured = logs.join('');
    expect(captured).toContain('github delivery'); // the intake logged these deliveries...
    expect(captured).toContain('the secret was not read'); // ...and the door's missed read...
    for (const n of needles) expect(captured).not.toContain(n); // ...without the secrets
    expect(github.calls('GET', '/repos/').length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('Temporal down', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-outage-'));
  let server: DevServer | undefined;
  let engine: TestEngine | undefined;
  afterAll(async () => {
    await engine?.close();
    await server?.process.stop(5_000);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('keeps answering 202, holds alerts in the inbox, and drains them in order when Temporal is back', async () => {
    const port = await freePort();
    const start = () =>
      startTemporalDevServer({
        env: process.env,
        cliPath: inject('temporalCliPath'),
        port,
        ui: 'headless',
        dbFile: path.join(scratch, 'temporal.db'),
        logFile: path.join(scratch, 'temporal.log'),
      });
    server = await start();
    engine = await startTestEngine({ temporalAddress: server.address, env: TRIAGE_ROUTING });
    const hosts = Array.from({ length: 3 }, () => `outage-${randomUUID().slice(0, 8)}`);
    const first = await Promise.all(hosts.map((h) => sendGeneric(engine!.baseUrl, genericAlert(h), { delivery: `${h}-0` })));
    expect(first.map((r) => r.body.disposition)).toEqual(['started', 'started', 'started']);

    await server.process.stop(5_000);
    const during = [];
    for (let i = 1; i <= 10; i++) {
      for (const h of hosts) during.push(await sendGeneric(engine.baseUrl, genericAlert(h, { id: `f-${i}` }), { delivery: `${h}-${i}` }));
    }
    expect(during.map((r) => r.status)).toEqual(Array(30).fill(202));
    const waiting = await getJson(`${engine.baseUrl}/readyz`);
    expect(waiting.status).toBe(503);
    expect(waiting.body.message).toContain('temporal');
    expect(waiting.body.inbox.pending).toBeGreaterThanOrEqual(30);

    server = await start();
    await eventually('the inbox to drain', async () => {
      const r = await getJson(`${engine!.baseUrl}/readyz`);
      return r.body.inbox?.pending === 0 ? true : undefined;
    }, 60_000);

    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    try {
      for (const h of hosts) {
        const handle = client.workflow.getHandle(`triage:host:${h}`);
        const state = await eventually(`all 11 alerts for ${h}`, async () => {
          const s = await handle.query(stateQuery).catch(() => undefined);
          return s?.alertCount === 11 ? s : undefined;
        }, 30_000);
        expect(state.alertCount).toBe(11);
        // In order: each batch the workflow recorded starts after the previous one ended.
        const incident = await getJson(`${engine.baseUrl}/incidents/${first[hosts.indexOf(h)].body.incidentId}/timeline`);
        const batches = (incident.body.events as { type: string; data: { lastInboxId: number } }[])
          .filter((e) => e.type === 'alerts.merged')
          .map((e) => e.data.lastInboxId);
        expect(batches).toEqual([...batches].sort((a, b) => a - b));
      }
    } finally {
      await client.connection.close();
    }
  }, 180_000);
});
