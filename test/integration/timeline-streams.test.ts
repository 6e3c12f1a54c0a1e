import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, postJson, startTestEngine, tokenFor, TEST_ADMIN_TOKEN, type TestEngine } from '../support/engine';

/** An open server-sent events stream: what it has sent so far, and how to close it. */
interface OpenStream {
  status: number;
  body: unknown;
  text: () => string;
  /** Waits until the stream has sent the event with this sequence. */
  seen: (sequence: number) => Promise<void>;
  close: () => void;
}

// Live timeline streams over real HTTP and Postgres: tickets instead of tokens in URLs, a cap per
// token and in all, and one poller per incident however many streams follow it.
describe('timeline streams', () => {
  let engine: TestEngine;
  const open: OpenStream[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false, env: { PALISADE_STREAMS_PER_TOKEN: '2', PALISADE_STREAMS_MAX: '4' } });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await engine?.close();
  });

  async function incident(): Promise<{ id: string; insert: (n: number) => Promise<unknown> }> {
    const id = randomUUID();
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at, sources, alert_count)
       VALUES ($1, $2, 'streamed', 'high', 'open', 'triage', '1.0.0', $2, now(), '{generic}', 1)`,
      [id, `host:stream-${id.slice(0, 8)}`],
    );
    const insert = (n: number) =>
      engine.db.query(`INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data) VALUES ($1, $2, $3, 'note', now(), 'test', $4, '{}')`, [
        `${id}#${n}`,
        id,
        n,
        `note ${n}`,
      ]);
    await insert(1);
    return { id, insert };
  }

  async function stream(path: string, headers: Record<string, string> = {}): Promise<OpenStream> {
    const controller = new AbortController();
    const res = await fetch(`${engine.baseUrl}${path}`, { headers, signal: controller.signal });
    let text = '';
    if (res.headers.get('content-type')?.includes('application/json')) {
      return { status: res.status, body: await res.json(), text: () => text, seen: () => Promise.reject(new Error('not a stream')), close: () => undefined };
    }
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const s: OpenStream = {
      status: res.status,
      body: undefined,
      text: () => text,
      seen: async (sequence) => {
        await eventually(`event ${sequence} on ${path}`, async () => {
          while (!text.includes(`id: ${sequence}\n`)) {
            const { value, done } = await reader.read();
            if (done) return undefined;
            text += decoder.decode(value, { stream: true });
          }
          return true;
        });
      },
      close: () => controller.abort(),
    };
    open.push(s);
    return s;
  }
  const ticketFor = async (incidentId: string, token = TEST_ADMIN_TOKEN) => (await postJson(`${engine.baseUrl}/incidents/${incidentId}/timeline/stream-tickets`, {}, token)).body as { ticket: string; url: string };
  const metric = async (name: string) => {
    const text = await (await fetch(`${engine.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  it('takes no token in a URL: a stream ticket opens one stream, of its incident, once', async () => {
    const a = await incident();
    const b = await incident();
    const withToken = await stream(`/incidents/${a.id}/timeline/stream?access_token=${TEST_ADMIN_TOKEN}`);
    expect(withToken).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });

    const ticket = await ticketFor(a.id);
    expect(ticket.ticket).toMatch(/^pst_/);
    expect(ticket.url).toBe(`/incidents/${a.id}/timeline/stream?ticket=${ticket.ticket}`);
    expect((await stream(`/incidents/${b.id}/timeline/stream?ticket=${ticket.ticket}`)).status).toBe(401); // another incident: refused, and not spent
    const live = await stream(ticket.url);
    expect(live.status).toBe(200);
    await live.seen(1);
    await a.insert(2);
    await live.seen(2);
    const again = await stream(ticket.url);
    expect(again).toMatchObject({ status: 401, body: { error: 'ticket_invalid', hint: expect.stringContaining('stream-tickets') } });
    const stored = await engine.db.query(`SELECT ticket_sha256 FROM stream_tickets`);
    expect(JSON.stringify(stored)).not.toContain(ticket.ticket);
    live.close();
  });

  it('caps live streams per token and in all (429 too_many_streams), and polls each followed incident once however many streams follow it', async () => {
    const a = await incident();
    const vera = await tokenFor(engine.baseUrl, `vera-${randomUUID().slice(0, 4)}`, 'viewer');
    const wes = await tokenFor(engine.baseUrl, `wes-${randomUUID().slice(0, 4)}`, 'viewer');
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const path = `/incidents/${a.id}/timeline/stream`;

    const first = [await stream(path, as(vera)), await stream(path, as(vera))];
    for (const s of first) expect(s.status).toBe(200);
    const third = await stream(path, as(vera));
    expect(third).toMatchObject({ status: 429, body: { error: 'too_many_streams', message: expect.stringContaining('at most 2') } });

    const others = [await stream(path, as(wes)), await stream((await ticketFor(a.id, wes)).url)];
    expect(others.map((s) => s.status)).toEqual([200, 200]); // wes's two (one through a ticket, counted for his token)
    expect(await stream(path, as(TEST_ADMIN_TOKEN))).toMatchObject({ status: 429, body: { error: 'too_many_streams', message: expect.stringContaining('at most 4') } });

    // Four streams on one incident, one poller; each stream still gets every new event.
    await a.insert(2);
    for (const s of [...first, ...others]) await s.seen(2);
    expect(await metric('palisade_timeline_streams')).toBe(4);
    expect(await metric('palisade_timeline_stream_pollers')).toBe(1);

    // A closed stream gives its place back.
    first[0].close();
    const reopened = await eventually('a place for vera again', async () => {
      const s = await stream(path, as(vera));
      return s.status === 200 ? s : undefined;
    });
    await reopened.seen(2);
    for (const s of [first[1], ...others, reopened]) s.close();
    await eventually('the poller stopped with its last stream', async () => ((await metric('palisade_timeline_stream_pollers')) === 0 ? true : undefined));
  });
});
