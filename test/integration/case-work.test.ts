import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, patchJson, postJson, startTestEngine, tokenFor, TRIAGE_ROUTING, type TestEngine } from '../support/engine';
import { timelineOf, type TimelineEvent } from '../support/timeline';
import { genericAlert, sendGeneric } from '../support/webhooks';

// A responder's work on an incident (issue 20): acknowledge, own, note, edit. Over real HTTP,
// Temporal and Postgres; every action refused to a viewer.
describe('working an incident', () => {
  let engine: TestEngine;
  let viewer: string;
  let carol: string;
  let bob: string;
  beforeAll(async () => {
    engine = await startTestEngine({ env: { ...TRIAGE_ROUTING, PALISADE_ASSIGNMENT_FILE: 'test/fixtures/runbooks/assignment.yaml' } });
    viewer = await tokenFor(engine.baseUrl, 'victor', 'viewer');
    carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    bob = await tokenFor(engine.baseUrl, 'bob', 'responder');
  });
  afterAll(async () => {
    await engine?.close();
  });

  const url = (path: string) => `${engine.baseUrl}${path}`;
  const events = (id: string) => timelineOf(engine.baseUrl, id);
  const eventOf = (id: string, type: string, match: (e: TimelineEvent) => boolean = () => true) =>
    eventually(`${type} on the timeline`, async () => (await events(id)).find((e) => e.type === type && match(e)));
  const ids = async (query: string, token?: string) => ((await getJson(url(`/incidents?${query}&limit=200`), token)).body.incidents as { id: string }[]).map((i) => i.id);

  /** A triage incident opened by a compromised-host alert (routing rule compromised-hosts), once its run has opened it. */
  async function openIncident(): Promise<string> {
    const sent = await sendGeneric(engine.baseUrl, genericAlert(`web-${randomUUID().slice(0, 8)}`));
    expect(sent.status).toBe(202);
    const id = sent.body.incidentId as string;
    await eventOf(id, 'incident.created');
    return id;
  }

  it('gives a new incident to the least loaded of the rule’s group, then assign, take and unassign move it, each on the timeline', async () => {
    const first = await openIncident();
    const rule = await eventOf(first, 'incident.assigned');
    expect(rule).toMatchObject({ actor: 'palisade', data: { assignee: 'alice', previous: null, rule: 'routing rule compromised-hosts', target: 'secops' } });
    // alice owns one open incident now: the next goes to bob.
    const second = await openIncident();
    expect(await eventOf(second, 'incident.assigned')).toMatchObject({ data: { assignee: 'bob' } });
    expect((await getJson(url(`/incidents/${first}`))).body).toMatchObject({ assignee: 'alice' });

    expect(await ids('assignee=alice')).toContain(first);
    expect(await ids('assignee=alice')).not.toContain(second);
    expect(await ids('assignee=me', bob)).toEqual(expect.arrayContaining([second]));
    expect(await ids('unassigned=true')).not.toContain(first);

    const taken = await postJson(url(`/incidents/${first}/take`), { reason: 'I know this host' }, carol);
    expect(taken).toMatchObject({ status: 200, body: { incidentId: first, assignee: 'carol', previous: 'alice', changed: true } });
    expect(await ids('assignee=me', carol)).toContain(first);
    expect(await eventOf(first, 'incident.assigned', (e) => e.actor === 'carol')).toMatchObject({ summary: 'Taken by carol (was alice): I know this host', data: { how: 'take' } });
    // Again: nothing changes, nothing is written.
    expect(await postJson(url(`/incidents/${first}/take`), {}, carol)).toMatchObject({ status: 200, body: { changed: false } });

    // By email too; stored as the person's id.
    expect(await postJson(url(`/incidents/${first}/assign`), { assignee: 'bob@example.com', reason: 'handover' }, carol)).toMatchObject({ status: 200, body: { assignee: 'bob', previous: 'carol' } });
    const unknown = await postJson(url(`/incidents/${first}/assign`), { assignee: 'mallory' }, carol);
    expect(unknown).toMatchObject({ status: 400, body: { error: 'unknown_assignee', message: expect.stringContaining('mallory'), hint: expect.any(String) } });
    expect(await postJson(url(`/incidents/${first}/assign`), {}, carol)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });

    expect(await postJson(url(`/incidents/${first}/unassign`), { reason: 'back to the queue' }, bob)).toMatchObject({ status: 200, body: { assignee: null, previous: 'bob' } });
    expect(await ids('unassigned=true')).toContain(first);
    expect((await getJson(url(`/incidents/${first}`))).body.assignee).toBeNull();
    const moves = (await events(first)).filter((e) => e.type === 'incident.assigned').map((e) => [e.actor, e.data.assignee]);
    expect(moves).toEqual([
      ['palisade', 'alice'],
      ['carol', 'carol'],
      ['carol', 'bob'],
      ['bob', null],
    ]);

    // A viewer may look, not act; a script's token may not take.
    for (const [path, body] of [['assign', { assignee: 'bob' }], ['take', {}], ['unassign', {}]] as const) {
      expect(await postJson(url(`/incidents/${first}/${path}`), body, viewer), path).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    }
    const script = await tokenFor(engine.baseUrl, 'ci-bot', 'responder');
    expect(await postJson(url(`/incidents/${first}/take`), {}, script)).toMatchObject({ status: 403, body: { error: 'unknown_person' } });
    expect(await postJson(url(`/incidents/${randomUUID()}/take`), {}, carol)).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });
  }, 90_000);

  it('keeps notes append-only with author and time, redacted like alert text, shown as text on the timeline and in the postmortem', async () => {
    const id = await openIncident();
    const secret = `glpat-${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const text = `## Found it\n- cron job <script>alert(1)</script> on the host\n- token ${secret} was in the crontab`;
    const noted = await postJson(url(`/incidents/${id}/notes`), { text }, carol);
    expect(noted).toMatchObject({ status: 201, body: { incidentId: id, author: 'carol', at: expect.any(String), noteId: expect.any(String) } });
    const second = await postJson(url(`/incidents/${id}/notes`), { text: 'Handing over to bob.' }, carol);
    expect(second.status).toBe(201);

    const notes = (await events(id)).filter((e) => e.type === 'incident.note');
    expect(notes.map((e) => [e.actor, e.data.noteId])).toEqual([
      ['carol', noted.body.noteId],
      ['carol', second.body.noteId],
    ]);
    // Kept as typed (Markdown, markup and all), but the secret is gone: redacted as alert text is.
    expect(notes[0].data.text).toContain('## Found it\n- cron job <script>alert(1)</script> on the host');
    expect(notes[0].data.text).toMatch(/\[REDACTED [^\]]+\]/);
    expect(JSON.stringify(await events(id))).not.toContain(secret);
    expect(notes[0].summary).toBe(`Note by carol: ${notes[0].data.text}`);

    const pm = (await getJson(url(`/incidents/${id}/postmortem?format=json`))).body;
    expect(pm.notes).toEqual([
      { at: noted.body.at, author: 'carol', text: notes[0].data.text },
      { at: second.body.at, author: 'carol', text: 'Handing over to bob.' },
    ]);
    const html = await (await fetch(url(`/incidents/${id}/postmortem?format=html`), { headers: { authorization: `Bearer ${carol}` } })).text();
    expect(html).toContain('<strong>carol</strong>: <span class="note">## Found it');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    // No route edits or removes a note; bad input and a viewer are refused.
    expect(await postJson(url(`/incidents/${id}/notes`), { text: '   ' }, carol)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await postJson(url(`/incidents/${id}/notes`), { text: 'hi' }, viewer)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await postJson(url(`/incidents/${randomUUID()}/notes`), { text: 'hi' }, carol)).toMatchObject({ status: 404, body: { error: 'incident_not_found' } });
  }, 60_000);

  it('changes tags, severity and title by hand, each change on the timeline with who and why', async () => {
    const id = await openIncident();
    const patch = (body: unknown, token = carol) => patchJson(url(`/incidents/${id}`), body, token);
    const before = (await getJson(url(`/incidents/${id}`))).body;
    expect(before).toMatchObject({ severity: 'high', tags: [] });

    const changed = await patch({ tags: ['pentest', 'Team:Web', 'pentest'], severity: 'low', title: 'Red team exercise on web', reason: 'announced pentest' });
    expect(changed).toMatchObject({
      status: 200,
      body: {
        incidentId: id,
        changes: [
          { field: 'tags', from: [], to: ['pentest', 'team:web'] },
          { field: 'severity', from: 'high', to: 'low' },
          { field: 'title', from: before.title, to: 'Red team exercise on web' },
        ],
      },
    });
    expect((await getJson(url(`/incidents/${id}`))).body).toMatchObject({ tags: ['pentest', 'team:web'], severity: 'low', title: 'Red team exercise on web' });
    const updates = (await events(id)).filter((e) => e.type === 'incident.updated');
    expect(updates.map((e) => [e.actor, e.data.field, e.data.reason])).toEqual([
      ['carol', 'tags', 'announced pentest'],
      ['carol', 'severity', 'announced pentest'],
      ['carol', 'title', 'announced pentest'],
    ]);
    expect(updates[1].summary).toBe('Severity changed from high to low by carol: announced pentest');

    // The same again changes nothing and writes nothing.
    expect(await patch({ severity: 'low', reason: 'again' })).toMatchObject({ status: 200, body: { changes: [] } });
    expect((await events(id)).filter((e) => e.type === 'incident.updated')).toHaveLength(3);

    // A reason is required, tags have a shape; a viewer may not. Naming no field is valid (the document allows it) and changes nothing.
    expect(await patch({ severity: 'medium' })).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('reason') } });
    expect(await patch({ reason: 'nothing' })).toMatchObject({ status: 200, body: { changes: [] } });
    expect(await patch({ tags: ['no spaces'], reason: 'r' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await patch({ severity: 'medium', reason: 'r' }, viewer)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  }, 60_000);

  it('leaves acknowledging to a person: the playbook responds, a responder acknowledges, a viewer may not', async () => {
    const id = await openIncident();
    expect((await getJson(url(`/incidents/${id}`))).body).toMatchObject({ acknowledgedAt: null });
    expect(await postJson(url(`/incidents/${id}/acknowledge`), {}, viewer)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const ack = await postJson(url(`/incidents/${id}/acknowledge`), { note: 'looking' }, carol);
    expect(ack).toMatchObject({ status: 200, body: { acknowledgedBy: 'carol' } });
    expect((await getJson(url(`/incidents/${id}`))).body).toMatchObject({ status: 'acknowledged', acknowledgedAt: ack.body.acknowledgedAt });
  }, 60_000);

  it('answers an incident it does not have the same way on every action: 404 incident_not_found in the path, 400 named_incident_not_found in the body, what was asked and what to do', async () => {
    const known = await openIncident();
    const missing = randomUUID();
    const other = randomUUID();
    const listed = { status: 404, body: { error: 'incident_not_found', message: `No incident ${missing}.`, hint: 'GET /incidents lists them.' } };
    for (const [what, answer] of [
      ['update', await patchJson(url(`/incidents/${missing}`), { severity: 'low', reason: 'r' }, carol)],
      ['acknowledge', await postJson(url(`/incidents/${missing}/acknowledge`), {}, carol)],
      ['assign', await postJson(url(`/incidents/${missing}/assign`), { assignee: 'bob' }, carol)],
      ['take', await postJson(url(`/incidents/${missing}/take`), {}, carol)],
      ['unassign', await postJson(url(`/incidents/${missing}/unassign`), {}, carol)],
      ['note', await postJson(url(`/incidents/${missing}/notes`), { text: 'seen' }, carol)],
      ['link from', await postJson(url(`/incidents/${missing}/links`), { incidentId: known }, carol)],
      ['merge from', await postJson(url(`/incidents/${missing}/merge`), { into: other, reason: 'r' }, carol)],
    ] as const) {
      expect({ what, ...answer }).toEqual({ what, ...listed });
    }
    // The one the body names is the request's mistake (400, naming the field): the path's incident is there.
    for (const [what, field, answer] of [
      ['link to', 'incidentId', await postJson(url(`/incidents/${known}/links`), { incidentId: missing }, carol)],
      ['merge into', 'into', await postJson(url(`/incidents/${known}/merge`), { into: missing, reason: 'r' }, carol)],
    ] as const) {
      expect({ what, ...answer }).toEqual({
        what,
        status: 400,
        body: { error: 'named_incident_not_found', message: `No incident ${missing} (named in ${field}).`, hint: `GET /incidents lists them; check ${field}.` },
      });
    }
    const postmortem = { ...listed, body: { ...listed.body, hint: "GET /incidents lists them; a postmortem has its incident's id." } };
    expect(await patchJson(url(`/postmortems/${missing}`), { rootCause: 'x' }, carol)).toEqual(postmortem);
    expect(await postJson(url(`/postmortems/${missing}/submit`), {}, carol)).toEqual(postmortem);
    expect(await postJson(url(`/postmortems/${missing}/sign-off`), {}, carol)).toEqual(postmortem);
    const read = { ...listed, body: { ...listed.body, hint: 'Check the id. A just-created incident appears within a second or two, once the worker has recorded it.' } };
    expect(await getJson(url(`/incidents/${missing}`))).toEqual(read);
    expect(await getJson(url(`/incidents/${missing}/postmortem`))).toEqual(read);
  }, 60_000);
});
