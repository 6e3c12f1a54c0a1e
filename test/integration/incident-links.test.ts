import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, postJson, startTestEngine, tokenFor, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { openedByAlert, timelineOf, type TimelineEvent } from '../support/timeline';
import { genericAlert, sendGeneric } from '../support/webhooks';

/**
 * Related incidents through the API on real Temporal and Postgres (triage playbook): links on
 * both sides, and a merge under an alert storm for the duplicate's entity.
 */
describe('related incidents', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  const send = (host: string, title: string) => sendGeneric(engine.baseUrl, genericAlert(host, { title }), { delivery: randomUUID() });

  const opened = (host: string) => openedByAlert(engine.baseUrl, host, `First sign on ${host}`);
  const timeline = (id: string) => timelineOf(engine.baseUrl, id);

  /** Sequences 1..n, each once: nothing missing, nothing twice. */
  function expectContiguous(events: TimelineEvent[]) {
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  }

  it('links two incidents: both timelines say so, both show the link; a viewer may not; linking again changes nothing', async () => {
    const a = await opened(`link-a-${randomUUID().slice(0, 6)}`);
    const b = await opened(`link-b-${randomUUID().slice(0, 6)}`);
    const viewer = await tokenFor(engine.baseUrl, 'vic', 'viewer');
    const ana = await tokenFor(engine.baseUrl, 'ana', 'responder');
    expect((await postJson(`${engine.baseUrl}/incidents/${a}/links`, { incidentId: b }, viewer)).status).toBe(403);
    expect((await postJson(`${engine.baseUrl}/incidents/${a}/links`, { incidentId: a }, ana)).body).toMatchObject({ error: 'self_link' });
    // An incident the body names that does not exist is a 400 of its own, not the path's 404 (the
    // contract drill read a 404 here as the incident it had just created being missing).
    const ghost = randomUUID();
    expect(await postJson(`${engine.baseUrl}/incidents/${a}/links`, { incidentId: ghost }, ana)).toMatchObject({ status: 400, body: { error: 'named_incident_not_found', message: `No incident ${ghost} (named in incidentId).` } });
    expect(await postJson(`${engine.baseUrl}/incidents/${ghost}/links`, { incidentId: a }, ana)).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });

    const linked = await postJson(`${engine.baseUrl}/incidents/${a}/links`, { incidentId: b, relation: 'caused-by', reason: 'same phishing wave' }, ana);
    expect(linked).toMatchObject({ status: 200, body: { incidentId: a, linkedId: b, relation: 'caused-by', created: true } });
    const again = await postJson(`${engine.baseUrl}/incidents/${b}/links`, { incidentId: a }, ana);
    expect(again.body).toMatchObject({ relation: 'causes', created: false });

    const [ia, ib] = await Promise.all([getJson(`${engine.baseUrl}/incidents/${a}`, viewer), getJson(`${engine.baseUrl}/incidents/${b}`, viewer)]);
    expect(ia.body.links).toEqual([expect.objectContaining({ incidentId: b, relation: 'caused-by', reason: 'same phishing wave', createdBy: 'ana' })]);
    expect(ib.body.links).toEqual([expect.objectContaining({ incidentId: a, relation: 'causes', createdBy: 'ana' })]);
    for (const [self, other] of [
      [a, b],
      [b, a],
    ]) {
      const events = await timeline(self);
      expect(events.filter((e) => e.type === 'incident.linked')).toEqual([expect.objectContaining({ actor: 'ana', data: expect.objectContaining({ linkedId: other }) })]);
    }
  }, 180_000);

  it('records who linked and merged by their people.yaml id, whether their token names them by id or by email', async () => {
    const a = await opened(`alias-a-${randomUUID().slice(0, 6)}`);
    const b = await opened(`alias-b-${randomUUID().slice(0, 6)}`);
    const c = await opened(`alias-c-${randomUUID().slice(0, 6)}`);
    const bobByEmail = await tokenFor(engine.baseUrl, 'bob@example.com', 'responder');
    const aliceByEmail = await tokenFor(engine.baseUrl, 'alice@example.com', 'responder');
    expect(await postJson(`${engine.baseUrl}/incidents/${a}/links`, { incidentId: b, reason: 'same wave' }, bobByEmail)).toMatchObject({ status: 200, body: { created: true } });
    expect((await getJson(`${engine.baseUrl}/incidents/${a}`)).body.links).toEqual([expect.objectContaining({ incidentId: b, createdBy: 'bob' })]);
    expect((await timeline(b)).find((e) => e.type === 'incident.linked')).toMatchObject({ actor: 'bob' });

    expect(await postJson(`${engine.baseUrl}/incidents/${c}/merge`, { into: a, reason: 'the same host' }, aliceByEmail)).toMatchObject({ status: 202 });
    expect((await timeline(c)).find((e) => e.type === 'incident.merged')).toMatchObject({ actor: 'alice', summary: expect.stringContaining('Merged by alice into') });
    expect((await timeline(a)).find((e) => e.type === 'incident.merged')).toMatchObject({ actor: 'alice' });
    const resolved = await eventually('the duplicate resolved', async () => (await timeline(c)).find((e) => e.type === 'incident.resolved'), 60_000);
    expect(resolved.actor).toBe('alice');
  }, 180_000);

  it('merges a duplicate under a storm for its entity: no alert lost, the survivor\'s playbook receives them all, both timelines contiguous', async () => {
    const dupHost = `dup-${randomUUID().slice(0, 6)}`;
    const duplicate = await opened(dupHost);
    const survivor = await opened(`surv-${randomUUID().slice(0, 6)}`);
    const viewer = await tokenFor(engine.baseUrl, 'vic', 'viewer');
    const ana = await tokenFor(engine.baseUrl, 'ana', 'responder');
    const mergeUrl = `${engine.baseUrl}/incidents/${duplicate}/merge`;
    expect((await postJson(mergeUrl, { into: survivor, reason: 'same host' }, viewer)).status).toBe(403);
    expect((await postJson(mergeUrl, { into: duplicate, reason: 'x' }, ana)).body).toMatchObject({ error: 'self_merge' });
    expect((await postJson(mergeUrl, { into: survivor }, ana)).body).toMatchObject({ error: 'invalid_request' });
    const ghost = randomUUID();
    expect(await postJson(mergeUrl, { into: ghost, reason: 'x' }, ana)).toMatchObject({ status: 400, body: { error: 'named_incident_not_found', message: `No incident ${ghost} (named in into).` } });
    expect(await postJson(`${engine.baseUrl}/incidents/${ghost}/merge`, { into: survivor, reason: 'x' }, ana)).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });

    // The storm: alerts for the duplicate's entity keep arriving, before, during and after the merge.
    const accepted: string[] = [];
    let stop = false;
    const storm = (async () => {
      for (let wave = 0; !stop || wave < 4; wave++) {
        const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => send(dupHost, `Beacon ${wave}.${i} from ${dupHost}`)));
        for (const s of sent) {
          expect(s.status).toBe(202);
          accepted.push(...(s.body.alertIds as string[]));
        }
      }
    })();
    await eventually('the storm under way', async () => (accepted.length >= 24 ? true : undefined), 60_000);
    const merged = await postJson(mergeUrl, { into: survivor, reason: 'the same beaconing host, seen twice' }, ana);
    expect(merged).toMatchObject({ status: 202, body: { incidentId: duplicate, into: survivor, status: 'stopping' } });
    expect(merged.body.alertsMoved).toBeGreaterThan(0);
    const movedAt = accepted.length;
    await eventually('more alerts after the merge', async () => (accepted.length >= movedAt + 24 ? true : undefined), 60_000);
    stop = true;
    await storm;
    // Merging it again is a retry: nothing recorded twice.
    expect((await postJson(mergeUrl, { into: survivor, reason: 'again' }, ana)).body).toMatchObject({ alertsMoved: 0 });

    // The duplicate closes, pointing at the survivor, its playbook stopped without undo.
    const closed = await eventually('the duplicate resolved', async () => {
      const d = (await getJson(`${engine.baseUrl}/incidents/${duplicate}`)).body;
      return d.status === 'resolved' ? d : undefined;
    }, 60_000);
    expect(closed.duplicateOf).toBe(survivor);
    expect(closed).toMatchObject({ classification: 'duplicate', classifiedBy: expect.any(String) });
    expect(closed.links).toEqual([expect.objectContaining({ incidentId: survivor, relation: 'duplicate-of' })]);

    // After it closed, its entity's alerts still go to the survivor while that is open.
    const late = await send(dupHost, `Late beacon from ${dupHost}`);
    expect(late.body).toMatchObject({ incidentId: survivor, disposition: 'merged' });
    accepted.push(...(late.body.alertIds as string[]));

    // No alert lost: every accepted alert is the survivor's, and its playbook received each of them.
    const rows = await engine.db.query<{ id: string; incident_id: string }[]>(`SELECT id, incident_id FROM alerts WHERE id = ANY($1::uuid[])`, [accepted]);
    expect(rows).toHaveLength(accepted.length);
    expect(rows.filter((r) => r.incident_id !== survivor)).toEqual([]);
    const [{ n }] = await engine.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM alerts WHERE incident_id = $1`, [survivor]);
    expect(n).toBe(accepted.length + 2); // the storm, the duplicate's first alert, the survivor's own
    await eventually('the survivor\'s playbook to receive every alert', async () => {
      const s = (await getJson(`${engine.baseUrl}/incidents/${survivor}`)).body;
      return s.live?.alertCount === n && s.dispatch.pending === 0 ? true : undefined;
    }, 90_000);
    const [{ pending }] = await engine.db.query<{ pending: number }[]>(`SELECT count(*)::int AS pending FROM inbox WHERE incident_id = ANY($1::uuid[]) AND dispatched_at IS NULL`, [[duplicate, survivor]]);
    expect(pending).toBe(0);

    // Both timelines say so, and each is contiguous.
    const d = await timeline(duplicate);
    const s = await timeline(survivor);
    expectContiguous(d);
    expectContiguous(s);
    expect(d.find((e) => e.type === 'incident.merged')).toMatchObject({ actor: 'ana', data: { into: survivor, undo: false } });
    expect(d.at(-1)?.type).toBe('incident.resolved');
    expect(d.at(-1)?.summary).toContain(`duplicate of incident ${survivor}`);
    expect(d.some((e) => e.type.startsWith('compensation.'))).toBe(false);
    expect(s.find((e) => e.type === 'incident.merged')).toMatchObject({ actor: 'ana', data: { from: duplicate } });
    const receivedBySurvivor = s.filter((e) => e.type === 'alerts.merged').reduce((sum, e) => sum + Number(e.data.count), 0);
    expect(receivedBySurvivor).toBe(n);
  }, 300_000);
});
