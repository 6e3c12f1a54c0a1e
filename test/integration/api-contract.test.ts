// The API's contract: what GET /docs-json says, checked against the routes and against live
// answers of a real engine (real Temporal, real Postgres). The schemathesis drill
// (bench/drills/openapi.ts) then throws generated requests at the same document.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { runMigrations } from '../../lib/db/data-source';
import { createDatabase } from '../setup/postgres';
import { eventually, getJson, patchJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, tokenFor, type TestEngine } from '../support/engine';
import { conforming, fetchDocument, METHODS, ResponseValidator, type OpenApiDoc } from '../support/openapi';
import { genericAlert, sendGeneric } from '../support/webhooks';

describe('an incident reported by hand', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('GET /incidents/:id/approvals answers while its playbook runs and after, never 500', async () => {
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Laptop stolen', severity: 'high' });
    expect(made.status).toBe(202);
    const id = made.body.incidentId as string;
    // Its run waits for a responder and holds no approval gates: none to show (it answered 500 before).
    const running = await eventually('the run to answer', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}/approvals`);
      return res.status === 200 ? res : undefined;
    });
    expect(running.body).toEqual({ incidentId: id, phase: 'running', currentStep: null, gates: [] });
    const described = await getJson(`${engine.baseUrl}/incidents/${id}`);
    expect(described.body).toMatchObject({ id, status: 'open', live: { incidentId: id, status: 'open', pendingGates: [] }, liveStatus: 'running' });
    // Nor a gate to vote on.
    const vote = await postJson(`${engine.baseUrl}/incidents/${id}/approvals/isolate-host`, { decision: 'approve' }, await tokenFor(engine.baseUrl, 'alice', 'approver'));
    expect(vote).toMatchObject({ status: 409, body: { error: 'unknown_gate' } });

    expect((await postJson(`${engine.baseUrl}/incidents/${id}/resolve`, { classification: 'true_positive', reason: 'found it' })).status).toBe(202);
    // Closed: no running playbook whose gates could be read or decided.
    const finished = await eventually('the run to end', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${id}/approvals`);
      return res.status === 409 ? res : undefined;
    });
    expect(finished.body).toMatchObject({ error: 'playbook_not_running' });
  });
});

describe('the OpenAPI document at /docs-json', () => {
  let engine: TestEngine;
  let doc: OpenApiDoc;
  let validator: ResponseValidator;
  beforeAll(async () => {
    engine = await startTestEngine({ env: { PALISADE_STREAMS_PER_TOKEN: '1' } });
    doc = await fetchDocument(engine.baseUrl);
    validator = new ResponseValidator(doc);
  });
  afterAll(async () => {
    await engine?.close();
  });

  /**
   * What the app serves, read from Fastify's own routing table (not from the metadata the
   * document is built from): `printRoutes` draws it as a tree, each line a node's path after
   * its parent's, with the node's methods (HEAD is Fastify's own for each GET).
   */
  function servedRoutes(): { method: string; path: string }[] {
    const tree = (engine.app.getHttpAdapter().getInstance() as { printRoutes: (o: { commonPrefix: boolean }) => string }).printRoutes({ commonPrefix: false });
    const parents: string[] = [];
    return tree.split('\n').flatMap((line) => {
      const node = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!node) return [];
      const depth = node[1].length / 4;
      parents.length = depth;
      const path = `${parents.join('')}${node[2]}`;
      parents.push(node[2]);
      return (node[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD').map((m) => ({ method: m.toLowerCase(), path: path.replace(/^\/\//, '/') }));
    });
  }
  /** Served and deliberately outside the document: the document itself with its viewer, the web page's files, and Bolt's Slack endpoint. */
  const OUTSIDE = [/^\/docs/, /^\/$/, /^\/ui\//, /^\/slack\/events$/];
  const pattern = (path: string) => new RegExp(`^${path.replace(/:[A-Za-z]+/g, '[^/]+').replace(/\{[^}]+\}/g, '[^/]+')}$`);

  it('lists every route the app serves with its method, and nothing it does not serve', () => {
    const served = servedRoutes().filter((r) => !OUTSIDE.some((o) => o.test(r.path)));
    expect(served.length).toBeGreaterThan(30);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path })));
    for (const route of served) {
      // A templated route may be documented as one path per value (/webhooks/{source} → /webhooks/github, ...).
      const found = documented.filter((d) => d.method === route.method && pattern(route.path).test(d.path.replace(/\{[^}]+\}/g, 'x')));
      expect(found, `${route.method.toUpperCase()} ${route.path}`).not.toEqual([]);
    }
    for (const d of documented) {
      const serving = served.filter((r) => r.method === d.method && pattern(r.path).test(d.path.replace(/\{[^}]+\}/g, 'x')));
      expect(serving, `${d.method.toUpperCase()} ${d.path} is documented but not served`).not.toEqual([]);
    }
  });

  it('says how each operation is authenticated, and every error answers the shared error body', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        expect(op.security, `${method} ${path}`).toBeDefined();
        for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes).toHaveProperty(scheme);
        const bearer = op.security?.some((r) => 'bearer' in r);
        if (bearer) expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === '/readyz') continue;
          expect(response.content, `${method} ${path} ${status}`).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } });
          expect(response.description, `${method} ${path} ${status}`).toMatch(/Codes: `[a-z_0-9]+`/);
        }
      }
    }
    expect(doc.components.schemas.ErrorBody).toMatchObject({ required: ['error', 'message', 'hint'] });
  });

  it('declares the formats and enums the pipes check: uuid ids, statuses, severities, decisions', () => {
    const param = (path: string, method: string, name: string) => doc.paths[path][method].parameters?.find((p) => p.name === name)?.schema;
    expect(param('/incidents/{id}', 'get', 'id')).toMatchObject({ type: 'string', format: 'uuid' });
    expect(param('/tokens/{id}', 'delete', 'id')).toMatchObject({ format: 'uuid' });
    expect(param('/incidents', 'get', 'status')).toMatchObject({ type: 'array', items: { enum: ['open', 'responding', 'acknowledged', 'contained', 'resolved', 'cancelled'] } });
    expect(param('/incidents', 'get', 'severity')).toMatchObject({ type: 'array', items: { enum: ['low', 'medium', 'high', 'critical'] } });
    const schemas = doc.components.schemas as Record<string, any>;
    expect(schemas.DecideDto.properties.decision).toMatchObject({ enum: ['approve', 'deny'] });
    expect(schemas.Incident.properties).toMatchObject({ id: { format: 'uuid' }, severity: { enum: ['low', 'medium', 'high', 'critical'] } });
    const hostRun = doc.paths['/playbooks/host-compromise/runs'].post.requestBody!.content['application/json'].schema as any;
    expect(hostRun.properties.params).toMatchObject({ required: ['host'] });
  });

  it('bounds every path and query parameter, so any request it allows fits in the 16 KB Node reads of a request head', () => {
    /** The longest a value may be in a URL: percent-encoded, a character is at most 12 bytes. */
    const longest = (schema: any): number => {
      if (schema.anyOf) return Math.max(...schema.anyOf.map(longest));
      if (schema.enum) return Math.max(...schema.enum.map((v: unknown) => String(v).length));
      if (schema.type === 'integer' || schema.type === 'number') return 24;
      if (schema.type === 'array') return (schema.maxItems ?? Infinity) * (longest(schema.items) + 16);
      if (schema.format === 'uuid') return 36;
      if (schema.format === 'date-time') return 40 * 3;
      // A pattern of ASCII classes only (a name, a cursor) needs no percent-encoding.
      const ascii = typeof schema.pattern === 'string' && /^\^(\[[ -\]_-~]+\](\{\d+(,\d+)?\}|[*+?])?)+\$$/.test(schema.pattern);
      const chars = schema.maxLength ?? /\{\d+,(\d+)\}\$$/.exec(schema.pattern ?? '')?.[1];
      return (chars === undefined ? Infinity : Number(chars) + 1) * (ascii ? 1 : 12);
    };
    const tooLong: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const length = path.length + (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query').reduce((sum, p) => sum + p.name.length + 2 + longest(p.schema), 0);
        if (!(length < 15_000)) tooLong.push(`${method.toUpperCase()} ${path}: ${length}`);
      }
    }
    expect(tooLong).toEqual([]);
  });

  it('answers each error status it declares, as it declares it', async () => {
    const viewer = await tokenFor(engine.baseUrl, 'viewer-contract', 'viewer');
    const alice = await tokenFor(engine.baseUrl, 'alice', 'responder');
    const host = `contract-${randomUUID().slice(0, 8)}`;
    const first = await conforming(validator, engine.baseUrl, 'POST', '/playbooks/host-compromise/runs', { token: alice, body: { params: { host } } });
    expect(first).toMatchObject({ status: 202, problems: [] });
    const cases: [number, string, string, Parameters<typeof conforming>[4]][] = [
      [400, 'GET', '/incidents/not-an-id', { token: TEST_ADMIN_TOKEN }],
      [401, 'GET', '/incidents', { token: null }],
      [403, 'POST', '/tokens', { token: viewer, body: { name: 'x', role: 'viewer' } }],
      [404, 'GET', `/incidents/${randomUUID()}`, { token: TEST_ADMIN_TOKEN }],
      [409, 'POST', '/playbooks/host-compromise/runs', { token: alice, body: { params: { host } } }],
      [413, 'POST', '/incidents', { token: TEST_ADMIN_TOKEN, body: { title: 'x'.repeat(2 * 1024 * 1024), severity: 'low' } }],
      [415, 'POST', '/incidents', { token: TEST_ADMIN_TOKEN, body: '{"title":"t","severity":"low"}', headers: { 'content-type': 'application/json; charset=latin1' } }],
      [415, 'POST', '/webhooks/generic', { body: 'not json', headers: { 'content-type': 'text/plain' } }],
    ];
    for (const [status, method, path, init] of cases) {
      const answer = await conforming(validator, engine.baseUrl, method, path, init);
      expect(answer, `${method} ${path}`).toMatchObject({ status, problems: [] });
    }

    // 429: a second stream on a token allowed one (PALISADE_STREAMS_PER_TOKEN=1), with Retry-After.
    const path = `/incidents/${first.body.incidentId}/timeline/stream`;
    const open = new AbortController();
    const held = await fetch(`${engine.baseUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, signal: open.signal });
    try {
      expect(held.status).toBe(200);
      expect(validator.problems('GET', path, { status: 200, contentType: held.headers.get('content-type'), body: '' })).toEqual([]);
      const refused = await conforming(validator, engine.baseUrl, 'GET', path, { token: TEST_ADMIN_TOKEN });
      expect(refused).toMatchObject({ status: 429, body: { error: 'too_many_streams' }, problems: [] });
    } finally {
      open.abort();
    }
  });

  it('answers a method a path does not have with 405 and the methods it has (Allow), never 404', async () => {
    for (const [method, path, allow] of [
      ['PATCH', '/healthz', 'GET, HEAD'],
      ['DELETE', `/incidents/${randomUUID()}`, 'GET, HEAD, PATCH'],
      ['GET', '/webhooks/github', 'POST'],
      ['PUT', '/incidents', 'GET, HEAD, POST'],
      // The literal route, not also DELETE /tokens/:id's (schemathesis: Allow header mismatch).
      ['OPTIONS', '/tokens/claim', 'POST'],
      // Not a revocation of a token called "claim" (schemathesis: DELETE /tokens/claim answered 400).
      ['DELETE', '/tokens/claim', 'POST'],
    ] as const) {
      const res = await fetch(`${engine.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect({ method, path, status: res.status, allow: res.headers.get('allow')?.split(', ').sort().join(', ') }).toEqual({ method, path, status: 405, allow });
      expect(await res.json()).toMatchObject({ error: 'method_not_allowed', message: expect.any(String), hint: expect.any(String) });
    }
    expect((await fetch(`${engine.baseUrl}/no-such-thing`, { method: 'PATCH' })).status).toBe(404);
  });

  it("validates live answers of a real engine against the document's schemas", async () => {
    const admin = { token: TEST_ADMIN_TOKEN };
    const alice = { token: await tokenFor(engine.baseUrl, 'alice', 'responder') };
    const check = async (method: string, path: string, init: Parameters<typeof conforming>[4] = admin) => {
      const answer = await conforming(validator, engine.baseUrl, method, path, init);
      expect(answer.problems, `${method} ${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`).toEqual([]);
      return answer;
    };

    await check('GET', '/healthz', { token: null });
    await check('GET', '/readyz', { token: null });
    await check('GET', '/me');
    await check('GET', '/playbooks');
    const made = await check('POST', '/tokens', { ...admin, body: { name: 'carol', role: 'responder' } });
    await check('GET', '/tokens');
    await check('DELETE', `/tokens/${made.body.id}?reason=contract`);
    await check('POST', '/suppressions', { ...admin, body: { entityPattern: 'host:contract-*', endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: 'contract test' } });
    await check('GET', '/suppressions?all=true');
    await check('GET', '/fleet');

    // A playbook with gates, through its whole read side.
    const started = await check('POST', '/playbooks/host-compromise/runs', { ...alice, body: { params: { host: `contract-live-${randomUUID().slice(0, 8)}` }, severity: 'critical' } });
    const id = started.body.incidentId as string;
    await eventually('the run to show its state', async () => ((await getJson(`${engine.baseUrl}/incidents/${id}`)).body.live ? true : undefined), 30_000);
    await check('GET', `/incidents/${id}`);
    await check('GET', `/incidents/${id}/approvals`);
    await check('GET', `/incidents/${id}/timeline`);
    await check('GET', `/incidents/${id}/timeline?format=ndjson&limit=1`);
    await check('POST', `/incidents/${id}/timeline/stream-tickets`);
    await check('GET', `/incidents/${id}/postmortem?format=json`);
    await check('GET', `/incidents/${id}/postmortem`);
    await check('GET', '/incidents?status=open&severity=critical&severity=high&limit=5');
    await check('POST', `/incidents/${id}/cancel`, { ...alice, body: { reason: 'contract test' } });

    // An alert through the door, and back out in both formats.
    const sent = await sendGeneric(engine.baseUrl, genericAlert(`host:contract-${randomUUID().slice(0, 8)}`));
    expect(validator.problems('POST', '/webhooks/generic', { status: sent.status, contentType: sent.headers.get('content-type'), body: sent.body })).toEqual([]);
    await check('GET', `/alerts/${sent.body.alertIds[0]}`);
    await check('GET', `/alerts/${sent.body.alertIds[0]}?format=ocsf`);
  }, 90_000);
});

describe('what schemathesis sent', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // No worker: what the API answers must not wait on one.
    engine = await startTestEngine({ withWorker: false });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('answers 400, not 500, for numbers and ids Postgres cannot hold', async () => {
    const id = randomUUID();
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, detected_at) VALUES ($1, $2, 'big numbers', 'low', 'open', 'triage', '1.0.0', now())`,
      [id, `triage:big-numbers-${id.slice(0, 8)}`],
    );
    // `after` past a Postgres integer.
    expect(await getJson(`${engine.baseUrl}/incidents/${id}/timeline?format=ndjson&after=4398046511103&limit=429`)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // 36 characters of hex and dashes, but no UUID.
    const dashes = '-'.repeat(36);
    expect(await getJson(`${engine.baseUrl}/alerts/${dashes}`)).toMatchObject({ status: 400, body: { error: 'invalid_alert_id' } });
    expect(await getJson(`${engine.baseUrl}/gamedays/${dashes}`)).toMatchObject({ status: 404, body: { error: 'gameday_not_found' } });
  });

  it('holds a text field to the length and the not-blank rule the document gives, counted as sent (schemathesis found a 301-character title accepted)', async () => {
    const doc = await fetchDocument(engine.baseUrl);
    const schema = doc.components?.schemas?.CreateIncidentDto as { properties: Record<string, { maxLength?: number; pattern?: string }> } | undefined;
    expect(schema?.properties.title).toMatchObject({ maxLength: 300, pattern: expect.any(String) });
    const padded = await postJson(`${engine.baseUrl}/incidents`, { title: `\t${'*'.repeat(300)}`, severity: 'low' });
    expect(padded).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('title') } });
    const blank = await postJson(`${engine.baseUrl}/incidents`, { title: ' \t ', severity: 'low' });
    expect(blank).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('title') } });
    expect(new RegExp(schema!.properties.title.pattern!, 'u').test(' \t ')).toBe(false);
  });

  it('checks a tag and a claim code as sent, against the rule the document gives: " PenTest " is a tag (stored "pentest"), a 201-character claim code is not', async () => {
    const doc = await fetchDocument(engine.baseUrl);
    const schemas = doc.components?.schemas as Record<string, { properties: Record<string, any> }>;
    const tagPattern = new RegExp(schemas.UpdateIncidentDto.properties.tags.items.pattern, 'u');
    expect([' PenTest ', 'team:web'].map((t) => tagPattern.test(t))).toEqual([true, true]);
    expect(['-x', 'a b', ''].map((t) => tagPattern.test(t))).toEqual([false, false, false]);
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Tag rules as sent', severity: 'low' });
    expect(made.status).toBe(202);
    const tagged = await patchJson(`${engine.baseUrl}/incidents/${made.body.incidentId}`, { tags: [' PenTest '], reason: 'announced pentest' });
    expect(tagged).toMatchObject({ status: 200, body: { changes: [{ field: 'tags', to: ['pentest'] }] } });
    expect(await patchJson(`${engine.baseUrl}/incidents/${made.body.incidentId}`, { tags: ['-x'], reason: 'r' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });

    // The claim code: at most 200 characters as sent (it was trimmed first, so 201 with a space passed the limit).
    expect(schemas.ClaimTokenDto.properties.code).toMatchObject({ minLength: 8, maxLength: 200 });
    const long = await postJson(`${engine.baseUrl}/tokens/claim`, { code: `${'x'.repeat(200)} ` });
    expect(long).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('code') } });
  });

  it('refuses a NUL character (Postgres text cannot store one) with 400 naming the field', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const suppression = await postJson(`${engine.baseUrl}/suppressions`, { entityPattern: 'host:nul-*', endsAt, reason: 'change\u0000window' });
    expect(suppression).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('reason') } });
    const token = await postJson(`${engine.baseUrl}/tokens`, { name: 'nul\u0000name', role: 'viewer' });
    expect(token).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('name') } });
    const credential = await postJson(`${engine.baseUrl}/fleet/credentials`, { id: 'nul-credential', type: 'api-key', secret: 'abcdefgh\u0000' });
    expect(credential).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('secret') } });
  });

  it('the simulated fleet: a second credential with the same secret is 409, an emoji secret 200, a fault count or an account’s sessions past a Postgres integer 400, none 500', async () => {
    const secret = `same-secret-${randomUUID()}`;
    expect(await postJson(`${engine.baseUrl}/fleet/credentials`, { id: 'contract-first', type: 'api-key', secret })).toMatchObject({ status: 200 });
    // The same id again updates it.
    expect(await postJson(`${engine.baseUrl}/fleet/credentials`, { id: 'contract-first', type: 'api-key', secret })).toMatchObject({ status: 200 });
    const twin = await postJson(`${engine.baseUrl}/fleet/credentials`, { id: 'contract-second', type: 'api-key', secret });
    expect(twin).toMatchObject({ status: 409, body: { error: 'secret_in_use', message: expect.stringContaining('contract-first') } });
    // Eight characters, of two UTF-16 units each: its last four are four characters.
    expect(await postJson(`${engine.baseUrl}/fleet/credentials`, { id: 'contract-emoji', type: 'api-key', secret: '🔑'.repeat(8) })).toMatchObject({ status: 200 });
    const fault = await postJson(`${engine.baseUrl}/fleet/faults`, { capability: 'notify', failNext: 9007199254740990 });
    expect(fault).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('failNext') } });
    const sessions = await postJson(`${engine.baseUrl}/fleet/accounts`, { id: 'contract-account', sessions: 9007199254740990 });
    expect(sessions).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('sessions') } });
    expect(await postJson(`${engine.baseUrl}/fleet/accounts`, { id: 'contract-account', sessions: 3 })).toMatchObject({ status: 200 });
    // A sign-in time with an offset RFC 3339 allows and PostgreSQL's timestamptz does not (past ±15:59): the same instant, in UTC (the contract drill met a 500).
    expect(await postJson(`${engine.baseUrl}/fleet/accounts`, { id: 'contract-offset', lastSignIn: '7698-05-08T03:05:06.875-17:48' })).toMatchObject({ status: 200 });
    const [kept] = await engine.db.query<{ at: Date }[]>(`SELECT last_sign_in AS at FROM sim_accounts WHERE id = 'contract-offset'`);
    expect(kept.at.toISOString()).toBe('7698-05-08T20:53:06.875Z');
  });

  it('times with offsets past ±15:59 (RFC 3339 allows them, PostgreSQL does not) filter as the same instant in UTC, not a 500', async () => {
    const entity = `badge-${randomUUID()}`;
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Badge cloned at the front desk', severity: 'low', entity });
    expect(made.status).toBe(202);
    const [row] = await engine.db.query<{ at: Date }[]>(`SELECT detected_at AS at FROM incidents WHERE id = $1`, [made.body.incidentId]);
    // The same instant as detected_at, written 17:48 behind UTC, and one millisecond after it.
    const behind = (ms: number) => new Date(ms - (17 * 60 + 48) * 60_000).toISOString().replace('Z', '-17:48');
    const atOrAfter = await getJson(`${engine.baseUrl}/incidents?entity=${entity}&since=${encodeURIComponent(behind(row.at.getTime()))}`);
    expect(atOrAfter.status).toBe(200);
    expect(atOrAfter.body.incidents.map((i: { id: string }) => i.id)).toEqual([made.body.incidentId]);
    const after = await getJson(`${engine.baseUrl}/incidents?entity=${entity}&since=${encodeURIComponent(behind(row.at.getTime() + 1))}`);
    expect(after.status).toBe(200);
    expect(after.body.incidents).toEqual([]);
  });

  it('an incident reported by hand is readable as soon as POST /incidents answers', async () => {
    const made = await postJson(`${engine.baseUrl}/incidents`, { title: 'Laptop left on a train', severity: 'medium', entity: 'laptop-42' });
    expect(made.status).toBe(202);
    const read = await getJson(`${engine.baseUrl}/incidents/${made.body.incidentId}`);
    expect(read).toMatchObject({ status: 200, body: { id: made.body.incidentId, title: 'Laptop left on a train', severity: 'medium', status: 'open', playbook: 'manual-incident', entity: 'laptop-42' } });
  });
});

describe('with Temporal unreachable', () => {
  let offline: TestEngine;
  let db: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    // A database of its own: this engine's inbox dispatcher must not lease other tests' alerts.
    db = await createDatabase(inject('postgresAdminUrl'), `palisade_contract_offline_${Date.now()}`);
    await runMigrations(db.url);
    offline = await startTestEngine({ withWorker: false, databaseUrl: db.url, temporalAddress: `127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await offline?.close();
    await db?.drop();
  });

  it('POST /incidents answers 503 temporal_unavailable with Retry-After, and keeps no incident', async () => {
    const res = await fetch(`${offline.baseUrl}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: JSON.stringify({ title: 'Reported while Temporal is down', severity: 'high' }),
    });
    expect({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() }).toMatchObject({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { error: 'temporal_unavailable' },
    });
    const left = await offline.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM incidents`);
    expect(Number(left[0].n)).toBe(0);
  });

  it('resolve and cancel answer 503 temporal_unavailable, not 500', async () => {
    const incidentId = randomUUID();
    await offline.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
       VALUES ($1, $2, 'offline stop', 'low', 'open', 'host-compromise', '1.0.0', 'host:offline', now())`,
      [incidentId, `host-compromise:host:offline-${incidentId.slice(0, 8)}`],
    );
    for (const verb of ['resolve', 'cancel']) {
      const res = await postJson(`${offline.baseUrl}/incidents/${incidentId}/${verb}`, { classification: 'test', reason: 'Temporal is down' });
      expect({ verb, ...res }).toMatchObject({ verb, status: 503, body: { error: 'temporal_unavailable' } });
    }
  });
});
