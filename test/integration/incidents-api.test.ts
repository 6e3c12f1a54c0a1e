import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import {
  deleteJson,
  eventually,
  getJson,
  postJson,
  startTestEngine,
  TEST_ADMIN_TOKEN,
  tokenFor,
  TRIAGE_ROUTING,
  type TestEngine,
} from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// The incident API over real HTTP, Postgres and Temporal: tokens and roles, the list, the timeline.
describe('API tokens and roles', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('seeds the bootstrap admin once, shows a new token once, stores only its hash, and revokes it at once', async () => {
    expect(await getJson(`${engine.baseUrl}/me`)).toMatchObject({ status: 200, body: { name: 'bootstrap', role: 'admin' } });

    const created = await postJson(`${engine.baseUrl}/tokens`, { name: 'dave', role: 'viewer' });
    expect(created).toMatchObject({ status: 201, body: { name: 'dave', role: 'viewer', createdBy: 'bootstrap', token: expect.stringMatching(/^pal_[A-Za-z0-9_-]{43}$/) } });
    const token = created.body.token as string;
    expect(await getJson(`${engine.baseUrl}/me`, token)).toMatchObject({ status: 200, body: { name: 'dave', role: 'viewer' } });

    const stored = await engine.db.query<{ token_sha256: string }[]>(`SELECT token_sha256 FROM api_tokens WHERE id = $1`, [created.body.id]);
    expect(stored[0].token_sha256).toMatch(/^[0-9a-f]{64}$/);
    const listed = await getJson(`${engine.baseUrl}/tokens`);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.tokens.find((t: { id: string }) => t.id === created.body.id)).toMatchObject({ name: 'dave', role: 'viewer', revokedAt: null });

    const revoked = await deleteJson(`${engine.baseUrl}/tokens/${created.body.id}?reason=left%20the%20team`);
    expect(revoked).toMatchObject({ status: 200, body: { id: created.body.id, revokedAt: expect.any(String) } });
    expect(await getJson(`${engine.baseUrl}/me`, token)).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
    const audit = await engine.db.query<{ actor: string; action: string; reason: string | null }[]>(
      `SELECT actor, action, reason FROM audit_log WHERE target = $1 ORDER BY id`,
      [`token:${created.body.id}`],
    );
    expect(audit).toEqual([
      { actor: 'bootstrap', action: 'token.created', reason: null },
      { actor: 'bootstrap', action: 'token.revoked', reason: 'left the team' },
    ]);

    expect(await postJson(`${engine.baseUrl}/tokens`, { name: 'x', role: 'root' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await deleteJson(`${engine.baseUrl}/tokens/${randomUUID()}`)).toMatchObject({ status: 404, body: { error: 'token_not_found' } });
  });

  it('refuses every mutating route without a token (401) and with too small a role (403), each saying what is needed', async () => {
    const id = randomUUID();
    const routes: { method: 'POST' | 'DELETE'; path: string; body?: unknown; needs: string }[] = [
      { method: 'POST', path: '/incidents', body: { title: 't', severity: 'low' }, needs: 'responder' },
      { method: 'POST', path: `/incidents/${id}/resolve`, body: { classification: 'test', reason: 'r' }, needs: 'responder' },
      { method: 'POST', path: `/incidents/${id}/cancel`, body: { reason: 'r' }, needs: 'responder' },
      { method: 'POST', path: '/playbooks/host-compromise/runs', body: { params: { host: 'h' } }, needs: 'responder' },
      { method: 'POST', path: `/incidents/${id}/approvals/isolate-host`, body: { decision: 'approve' }, needs: 'approver' },
      { method: 'POST', path: '/suppressions', body: { entityPattern: 'host:x', endsAt: new Date(Date.now() + 60_000).toISOString(), reason: 'r' }, needs: 'admin' },
      { method: 'DELETE', path: `/suppressions/${id}`, needs: 'admin' },
      { method: 'POST', path: '/tokens', body: { name: 'n', role: 'admin' }, needs: 'admin' },
      { method: 'DELETE', path: `/tokens/${id}`, needs: 'admin' },
    ];
    const below: Record<string, string> = { responder: 'viewer', approver: 'responder', admin: 'approver' };
    for (const route of routes) {
      const call = (token: string | null) =>
        fetch(`${engine.baseUrl}${route.path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: route.body ? JSON.stringify(route.body) : undefined,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string; message: string; hint: string } }));
      const anonymous = await call(null);
      expect(anonymous, `${route.method} ${route.path}`).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
      expect(anonymous.body.message).toContain(route.needs);
      expect(await call('pal_not-a-real-token'), `${route.method} ${route.path}`).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
      const weak = await call(await tokenFor(engine.baseUrl, 'alice', below[route.needs] as 'viewer'));
      expect(weak, `${route.method} ${route.path}`).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      expect(weak.body.message).toContain(`needs the ${route.needs} role`);
    }
    // Reads need a token too; webhooks, health and metrics do not (they prove themselves otherwise or hold no data).
    expect(await getJson(`${engine.baseUrl}/incidents`, null)).toMatchObject({ status: 401 });
    expect((await fetch(`${engine.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${engine.baseUrl}/metrics`)).status).toBe(200);
  });

  it('counts a resolve as the person the token names', async () => {
    const host = `tok-${randomUUID().slice(0, 8)}`;
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host));
    const incidentId = sent.body.incidentId as string;
    const live = await eventually('the playbook running with its alert', async () => {
      const res = await getJson(`${engine.baseUrl}/incidents/${incidentId}`);
      return res.body.live?.alertCount === 1 ? res.body : undefined;
    });
    expect(live).toMatchObject({ id: incidentId, status: 'open', liveStatus: 'running', live: { incidentId, status: 'open', sources: ['generic'] } });

    // Open incidents by playbook, read from Postgres when /metrics is scraped (at most 2 s old: the endpoint is public and cached).
    await eventually('palisade_incidents_open to match Postgres', async () => {
      const open = Number((await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM incidents WHERE playbook = 'triage' AND status NOT IN ('resolved', 'cancelled')`))[0].n);
      return (await (await fetch(`${engine.baseUrl}/metrics`)).text()).includes(`palisade_incidents_open{playbook="triage"} ${open}`) ? true : undefined;
    });

    const res = await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'true_positive', reason: 'reimaged', actor: 'someone-else' }, await tokenFor(engine.baseUrl, 'carol', 'responder'));
    expect(res.status).toBe(202);
    const resolved = await eventually('incident.resolved', async () => {
      const t = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline`);
      return (t.body.events as { type: string; actor: string }[]).find((e) => e.type === 'incident.resolved');
    });
    expect(resolved.actor).toBe('carol');
    await eventually('closed', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.liveStatus === 'closed' ? true : undefined));
  });
});

describe('GET /incidents and the timeline', () => {
  let engine: TestEngine;
  const tag = randomUUID().slice(0, 6);
  const base = Date.parse('2026-11-01T00:00:00Z');
  const rows: { id: string; status: string; severity: string; playbook: string; entity: string; sources: string[]; detectedAt: string }[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
    const statuses = ['open', 'contained', 'resolved', 'cancelled'];
    const severities = ['low', 'medium', 'high', 'critical'];
    const playbooks = ['host-compromise', 'secret-leak', 'triage'];
    for (let i = 0; i < 60; i++) {
      rows.push({
        id: randomUUID(),
        status: statuses[i % 4],
        severity: severities[i % 3 === 0 ? 3 : i % 4],
        playbook: playbooks[i % 3],
        entity: i % 2 === 0 ? `host:web-${tag}-${i}` : `credential:${tag}-${i}`,
        sources: i % 5 === 0 ? ['falco', 'generic'] : ['generic'],
        // Pairs share a detection time: the cursor must break ties without a gap or a repeat.
        detectedAt: new Date(base + Math.floor(i / 2) * 60_000).toISOString(),
      });
    }
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at, sources, alert_count)
       SELECT id, playbook || ':' || entity, 'listed ' || entity, severity, status, playbook, '1.0.0', entity, detected_at, string_to_array(sources, ','), 1
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
         AS r(id, status, severity, playbook, entity, detected_at, sources)`,
      [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.severity), rows.map((r) => r.playbook), rows.map((r) => r.entity), rows.map((r) => r.detectedAt), rows.map((r) => r.sources.join(','))],
    );
  });
  afterAll(async () => {
    await engine?.close();
  });

  const newestFirst = (list: typeof rows) => [...list].sort((a, b) => b.detectedAt.localeCompare(a.detectedAt) || b.id.localeCompare(a.id)).map((r) => r.id);

  async function walk(query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res = await getJson(`${engine.baseUrl}/incidents?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      ids.push(...res.body.incidents.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('the cursor never ended');
  }

  it('pages newest first with no gap or repeat, and filters by each field', async () => {
    const window = `since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z`;
    expect(await walk(window, 7)).toEqual(newestFirst(rows));

    expect(await walk(`${window}&status=open,contained`, 5)).toEqual(newestFirst(rows.filter((r) => r.status === 'open' || r.status === 'contained')));
    expect(await walk(`${window}&severity=critical`, 50)).toEqual(newestFirst(rows.filter((r) => r.severity === 'critical')));
    expect(await walk(`${window}&playbook=secret-leak`, 50)).toEqual(newestFirst(rows.filter((r) => r.playbook === 'secret-leak')));
    expect(await walk(`entity=host:web-${tag}-*`, 50)).toEqual(newestFirst(rows.filter((r) => r.entity.startsWith(`host:web-${tag}-`))));
    expect(await walk(`${window}&source=falco`, 50)).toEqual(newestFirst(rows.filter((r) => r.sources.includes('falco'))));
    expect(await walk(`since=2026-11-01T00:10:00Z&until=2026-11-01T00:20:00Z`, 50)).toEqual(
      newestFirst(rows.filter((r) => r.detectedAt >= '2026-11-01T00:10:00.000Z' && r.detectedAt < '2026-11-01T00:20:00.000Z')),
    );
    // An entity pattern's _ and % are literal, only * is a wildcard.
    expect(await walk(`entity=host:web_${tag}%`, 50)).toEqual([]);
  });

  it('explains a bad filter or cursor', async () => {
    const bad = await getJson(`${engine.baseUrl}/incidents?status=burning&limit=0`);
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(bad.body.message).toContain('status');
    expect(bad.body.message).toContain('limit');
    expect(await getJson(`${engine.baseUrl}/incidents?cursor=not-a-cursor`)).toMatchObject({ status: 400, body: { error: 'invalid_cursor' } });
  });

  it('pages 10,000 timeline events with no gap or repeat, as JSON and as ndjson', async () => {
    const incidentId = rows[0].id;
    await engine.db.query(
      `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data)
       SELECT $1 || '#' || n, $1::uuid, n, 'alerts.merged', now(), 'test', 'event ' || n, jsonb_build_object('n', n)
       FROM generate_series(1, 10000) AS n`,
      [incidentId],
    );
    const sequences: number[] = [];
    let after = 0;
    for (;;) {
      const page = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?after=${after}&limit=500`);
      sequences.push(...page.body.events.map((e: { sequence: number }) => e.sequence));
      if (page.body.nextCursor === null) break;
      after = page.body.nextCursor as number;
    }
    expect(sequences).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));

    const res = await fetch(`${engine.baseUrl}/incidents/${incidentId}/timeline?after=9990&limit=5&format=ndjson`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    expect(res.headers.get('x-next-cursor')).toBe('9995');
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { sequence: number; summary: string });
    expect(lines.map((l) => l.sequence)).toEqual([9991, 9992, 9993, 9994, 9995]);
    expect(lines[0].summary).toBe('event 9991');
  });

  it('streams the timeline live over server-sent events, resuming after Last-Event-ID', async () => {
    const incidentId = rows[1].id;
    const insert = (n: number) =>
      engine.db.query(
        `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data) VALUES ($1, $2, $3, 'note', now(), 'test', $4, '{}')`,
        [`${incidentId}#${n}`, incidentId, n, `note ${n}`],
      );
    await insert(1);
    await insert(2);

    const controller = new AbortController();
    const { body: ticket } = await postJson(`${engine.baseUrl}/incidents/${incidentId}/timeline/stream-tickets`, {});
    const res = await fetch(`${engine.baseUrl}${ticket.url as string}`, { headers: { 'last-event-id': '1' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const seen = async (sequence: number) =>
      eventually(`event ${sequence} on the stream`, async () => {
        while (!text.includes(`id: ${sequence}\n`)) {
          const { value, done } = await reader.read();
          if (done) return undefined;
          text += decoder.decode(value, { stream: true });
        }
        return true;
      });
    await seen(2);
    await insert(3); // written after the stream opened: it arrives without a reload
    await seen(3);
    controller.abort();

    const frames = text.split('\n\n').filter((f) => f.startsWith('id: '));
    expect(frames.map((f) => Number(/^id: (\d+)/.exec(f)![1]))).toEqual([2, 3]);
    expect(frames[1]).toContain('event: timeline');
    expect(JSON.parse(/data: (.*)/.exec(frames[1])![1])).toMatchObject({ sequence: 3, summary: 'note 3', incidentId });

    // The stream needs a token (or a ticket) like everything else; a token in a URL is taken nowhere.
    expect((await fetch(`${engine.baseUrl}/incidents/${incidentId}/timeline/stream`)).status).toBe(401);
    expect((await fetch(`${engine.baseUrl}/incidents/${incidentId}/timeline/stream?access_token=${TEST_ADMIN_TOKEN}`)).status).toBe(401);
    expect((await fetch(`${engine.baseUrl}/incidents/${incidentId}?access_token=${TEST_ADMIN_TOKEN}`)).status).toBe(401);
  });

  it('ends an open stream soon after its token is revoked', async () => {
    const incidentId = rows[2].id;
    const created = await postJson(`${engine.baseUrl}/tokens`, { name: 'dave', role: 'viewer' });
    const res = await fetch(`${engine.baseUrl}/incidents/${incidentId}/timeline/stream`, { headers: { authorization: `Bearer ${created.body.token as string}` } });
    expect(res.status).toBe(200);
    expect((await deleteJson(`${engine.baseUrl}/tokens/${created.body.id as string}`)).status).toBe(200);
    const text = await res.text(); // the server ends the stream
    expect(text).toContain('event: problem');
    expect(text).toContain('"error":"token_invalid"');
  });
});

describe('GET /incidents/:id when Temporal does not answer', () => {
  it('answers with the projection alone, flagged unreachable', async () => {
    const engine = await startTestEngine({ withWorker: false, temporalAddress: `127.0.0.1:${await freePort()}` });
    try {
      const id = randomUUID();
      await engine.db.query(
        `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at)
         VALUES ($1, $2, 'offline', 'high', 'open', 'triage', '1.0.0', 'host:offline', now())`,
        [id, `triage:host:offline-${id}`],
      );
      const res = await getJson(`${engine.baseUrl}/incidents/${id}`);
      expect(res).toMatchObject({ status: 200, body: { id, status: 'open', live: null, liveStatus: 'unreachable', liveReason: "Temporal, or the run's worker, did not answer within 2 s" } });
    } finally {
      await engine.close();
    }
  }, 30_000);
});
