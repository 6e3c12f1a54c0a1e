import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { finished, REPO_ROOT, spawnCli, type CliRun } from '../support/cli';
import { eventually, gateOpenOverApi, getJson, postJson, startTestEngine, TEST_ADMIN_TOKEN, testSecret, tokenFor, TRIAGE_ROUTING, type TestEngine } from '../support/engine';

// The `palisade` CLI as a user runs it (a child process, `node -r @swc-node/register
// apps/cli/main.ts …`) against a real engine: API and worker on the run's real Temporal and
// Postgres. Every alert is routed to triage; the host-compromise run is started through the API.

interface RunOptions {
  /** The API token (PALISADE_TOKEN): the test admin's by default, null for none. */
  token?: string | null;
  env?: NodeJS.ProcessEnv;
}

describe('palisade CLI against a running engine', () => {
  let engine: TestEngine;
  let dir: string;

  beforeAll(async () => {
    engine = await startTestEngine({ env: TRIAGE_ROUTING });
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-cli-'));
  });
  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The environment of a user pointed at the test engine, with nothing of this process's Palisade variables. */
  const envFor = (opts: RunOptions): NodeJS.ProcessEnv => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_') && k !== 'PORT' && k !== 'HOST'));
    const token = opts.token === undefined ? TEST_ADMIN_TOKEN : opts.token;
    return { ...base, PALISADE_API_URL: engine.baseUrl, PALISADE_DATA_DIR: path.join(dir, 'data'), ...(token ? { PALISADE_TOKEN: token } : {}), ...opts.env };
  };
  const start = (args: string[], opts: RunOptions = {}): ChildProcess => spawnCli(args, envFor(opts));
  const palisade = (args: string[], opts: RunOptions = {}): Promise<CliRun> => finished(start(args, opts));
  const json = (run: CliRun): any => {
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  };

  /** A generic alert saved as a file, about its own host (so each test has its own incident). */
  const alertFile = (host: string, overrides: Record<string, unknown> = {}): string => {
    const file = path.join(dir, `${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify({ title: `Suspicious process on ${host}`, severity: 'high', category: 'host-compromise', entity: { kind: 'host', key: host }, ...overrides }, null, 2));
    return file;
  };
  const secretEnv = { PALISADE_WEBHOOK_SECRET_GENERIC: testSecret('generic') };

  /** Sends an alert with the CLI and returns the incident it opened. */
  const openIncident = async (host: string): Promise<string> => {
    const sent = json(await palisade(['alert', 'send', 'generic', alertFile(host), '--json'], { token: null, env: secretEnv }));
    expect(sent).toMatchObject({ disposition: 'started', incidentId: expect.any(String) });
    return sent.incidentId as string;
  };

  it('sends signed alerts, then lists and shows the incident they opened', async () => {
    const host = `cli-${randomUUID().slice(0, 8)}`;
    const incidentId = await openIncident(host);

    // The same host again, signed with the secret npm start writes to the data folder: merged.
    const dataDir = path.join(dir, 'own-data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'secrets.env'), `# written by npm start\nPALISADE_WEBHOOK_SECRET_GENERIC=${testSecret('generic')}\n`);
    // And a wrong secret: the door refuses it (401, exit 3) with its reason.
    const [merged, forged] = await Promise.all([
      palisade(['alert', 'send', 'generic', alertFile(host, { title: `Second alert on ${host}` })], { env: { PALISADE_DATA_DIR: dataDir } }),
      palisade(['alert', 'send', 'generic', alertFile(host), '--secret', 'not-the-secret']),
    ]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(new RegExp(`^merged\\s+into incident ${incidentId}\\s+\\(alert [0-9a-f-]{36}\\)$`, 'm'));
    expect(forged.status).toBe(3);
    expect(forged.stderr).toContain('palisade: X-Palisade-Signature does not match');

    const [all, byEntity, table] = await Promise.all([
      palisade(['incidents', 'ls', '--json']),
      palisade(['incidents', 'ls', '--entity', `host:${host}`, '--json']),
      palisade(['incidents', 'ls', '--entity', `host:${host}`]),
    ]);
    expect(json(all).incidents.map((i: { id: string }) => i.id)).toContain(incidentId);
    const listed = json(byEntity);
    expect(listed.incidents).toHaveLength(1);
    expect(listed.incidents[0]).toMatchObject({ id: incidentId, playbook: 'triage', severity: 'high', status: 'open', entity: `host:${host}`, alertCount: 2 });
    expect(listed.nextCursor).toBeNull();
    const [header, row] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+SEVERITY\s+STATUS\s+ASSIGNEE\s+PLAYBOOK\s+ENTITY\s+ALERTS\s+DETECTED \(UTC\)\s+TITLE$/);
    expect(row).toMatch(new RegExp(`^${incidentId.slice(0, 8)}\\s+high\\s+open\\s+—\\s+triage\\s+host:${host}\\s+2\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+Suspicious process on ${host}$`));

    // Shown by the short id `ls` prints, once the playbook has written its first events.
    const shown = await eventually('the incident to have timeline events', async () => {
      const run = await palisade(['incidents', 'show', incidentId.slice(0, 8), '--json']);
      const body = json(run);
      return body.events.length > 0 ? body : undefined;
    });
    expect(shown.incident).toMatchObject({ id: incidentId, title: `Suspicious process on ${host}`, liveStatus: 'running' });
    expect(shown.events[0]).toMatchObject({ sequence: 1, type: expect.any(String) });
    expect(shown.eventCount).toBeGreaterThanOrEqual(shown.events.length);
    const text = await palisade(['incidents', 'show', incidentId]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Suspicious process on ${host}\n  id           ${incidentId}\n  severity     high\n  status       open (playbook running`);
    expect(text.stdout).toMatch(/^ {2}alerts {7}2 from generic$/m);
    expect(text.stdout).toMatch(/^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}#1 {4}\S+/m);
  });

  it('works an incident: ack, take, assign, note, edit, unassign, resolve as the token’s person; a viewer exits 3', async () => {
    const incidentId = await openIncident(`cli-${randomUUID().slice(0, 8)}`);
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const as = (args: string[], token = carol) => palisade(['incidents', ...args], { token });
    const ok = async (args: string[]) => {
      const run = await as(args);
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run.stdout;
    };
    const short = incidentId.slice(0, 8);
    expect(await ok(['ack', short, '--note', 'looking'])).toMatch(new RegExp(`^Incident ${incidentId} acknowledged by carol at `));
    expect(await ok(['take', short])).toBe(`Incident ${incidentId} is now carol's.\n`);
    expect(await ok(['assign', short, 'bob', '--reason', 'handover'])).toBe(`Incident ${incidentId} is now bob's (was carol).\n`);
    expect(JSON.parse(await ok(['note', short, 'Crontab cleaned; **watching**', '--json']))).toMatchObject({ author: 'carol', noteId: expect.any(String) });
    expect(await ok(['edit', short, '--tag', 'pentest', '--tag', 'team:web', '--severity', 'low', '--reason', 'drill'])).toBe('tags: none → pentest, team:web\nseverity: high → low\n');
    expect(await ok(['unassign', short])).toBe(`Incident ${incidentId} is now nobody’s (was bob).\n`);
    expect(await ok(['ls', '--unassigned', '--entity', 'host:cli-*', '--json'])).toContain(incidentId);
    expect(await ok(['show', short])).toMatch(/^ {2}assignee {5}nobody/m);

    const viewer = await tokenFor(engine.baseUrl, 'victor', 'viewer');
    const refused = await as(['take', short], viewer);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain('responder');
    const noReason = await as(['resolve', short]);
    expect(noReason.status).toBe(1);

    const noClassification = await as(['resolve', short, '--reason', 'crontab cleaned']);
    expect(noClassification.status).toBe(1);
    expect(noClassification.stderr).toContain('--classification');
    expect(await ok(['resolve', short, '--classification', 'true_positive', '--reason', 'crontab cleaned'])).toContain(`Incident ${incidentId}: its playbook was asked to resolve it`);
    await eventually('the incident to resolve', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined), 30_000);
    const types = (await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`)).body.events.map((e: { type: string; actor: string }) => `${e.type} ${e.actor}`);
    expect(types).toEqual(expect.arrayContaining(['incident.acknowledged carol', 'incident.assigned carol', 'incident.note carol', 'incident.updated carol', 'incident.resolved carol']));
  }, 90_000);

  it('opens an incident by hand, starts a playbook, shows an alert (and its OCSF view), and keeps suppression windows', async () => {
    const carol = await tokenFor(engine.baseUrl, 'carol', 'responder');
    const as = async (args: string[], token: string | null = carol) => {
      const run = await palisade(args, { token });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run.stdout;
    };
    const opened = JSON.parse(await as(['incidents', 'open', 'Laptop stolen from a car', '--severity', 'medium', '--entity', 'laptop-42', '--json']));
    expect((await getJson(`${engine.baseUrl}/incidents/${opened.incidentId}`)).body).toMatchObject({ title: 'Laptop stolen from a car', severity: 'medium', playbook: 'manual-incident' });

    const host = `cli-${randomUUID().slice(0, 8)}`;
    expect(await as(['playbook', 'run', 'host-compromise', '--param', `host=${host}`, '--severity', 'critical'])).toMatch(/^Playbook host-compromise started: incident [0-9a-f-]{36}/);
    const refused = await palisade(['playbook', 'run', 'host-compromise', '--param', 'nohost'], { token: carol });
    expect(refused.status).toBe(1);

    const sent = json(await palisade(['alert', 'send', 'generic', alertFile(`cli-${randomUUID().slice(0, 8)}`), '--json'], { token: null, env: secretEnv }));
    const alertId = sent.alertIds[0] as string;
    expect(await as(['alert', 'show', alertId])).toMatch(new RegExp(`^ {2}id {8}${alertId}$`, 'm'));
    const ocsf = JSON.parse(await as(['alert', 'show', alertId, '--ocsf']));
    expect(ocsf).toMatchObject({ class_uid: 2004 });

    // Windows are the admin's (the test token); carol may look, not open one.
    const pattern = `host:maint-${randomUUID().slice(0, 8)}`;
    const added = JSON.parse(await as(['suppressions', 'add', pattern, '--until', '2h', '--reason', 'patching', '--json'], TEST_ADMIN_TOKEN));
    expect(added).toMatchObject({ entityPattern: pattern, reason: 'patching', createdBy: 'bootstrap' });
    expect(await as(['suppressions', 'ls'])).toContain(pattern);
    const denied = await palisade(['suppressions', 'add', pattern, '--until', '1h', '--reason', 'x'], { token: carol });
    expect(denied.status).toBe(3);
    expect(await as(['suppressions', 'rm', added.id], TEST_ADMIN_TOKEN)).toBe(`Window ${added.id} closed.\n`);
    expect(await as(['suppressions', 'ls', '--json'])).not.toContain(pattern);
  }, 90_000);

  it('tails the timeline live and stops when the incident closes, or on Ctrl-C', async () => {
    const incidentId = await openIncident(`tail-${randomUUID().slice(0, 8)}`);
    const ndjson = start(['incidents', 'tail', incidentId, '--json', '--until-closed']);
    const human = start(['incidents', 'tail', incidentId]);
    const [ndjsonDone, humanDone] = [finished(ndjson), finished(human)];
    let ndjsonOut = '';
    let humanOut = '';
    ndjson.stdout!.on('data', (d: Buffer) => (ndjsonOut += d.toString()));
    human.stdout!.on('data', (d: Buffer) => (humanOut += d.toString()));

    // Both have printed the timeline so far before anything new happens.
    await eventually('both tails to print the backlog', async () => (ndjsonOut.includes('\n') && humanOut.includes('#1 ') ? true : undefined));
    const before = ndjsonOut.trim().split('\n').map((l) => JSON.parse(l) as { sequence: number; type: string });
    expect(before[0]).toMatchObject({ sequence: 1, incidentId });
    expect(before.map((e) => e.type)).not.toContain('incident.resolved');

    const resolved = await postJson(`${engine.baseUrl}/incidents/${incidentId}/resolve`, { classification: 'false_positive', reason: 'false positive, drill' });
    expect(resolved.status).toBe(202);

    const run = await ndjsonDone;
    expect(run.status, run.stderr).toBe(0);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sequence: number; type: string; summary: string });
    const closing = events.find((e) => e.type === 'incident.resolved');
    expect(closing?.summary).toContain('false positive, drill');
    expect(closing!.sequence).toBeGreaterThan(Math.max(...before.map((e) => e.sequence)));
    // Every event once, in order.
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));

    await eventually('the human tail to print the resolution', async () => (humanOut.includes('incident.resolved') ? true : undefined));
    expect(humanOut).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}#\d+\s+incident\.resolved\s+\S+\s+.*false positive, drill/m);
    human.kill('SIGINT');
    const stopped = await humanDone;
    expect(stopped.status, stopped.stderr).toBe(0);

    // What it was, as the responder said when resolving it.
    await eventually('the projection to be resolved', async () => ((await getJson(`${engine.baseUrl}/incidents/${incidentId}`)).body.status === 'resolved' ? true : undefined));
    const shown = await palisade(['incidents', 'show', incidentId]);
    expect(shown.stdout).toMatch(/^ {2}classified +false positive by bootstrap: false positive, drill$/m);
  });

  it('providers check: every vendor in use gets a read-only call; one that does not answer exits 8', async () => {
    const file = path.join(dir, 'providers.yaml');
    const simulated = ['inventory', 'hostIsolation', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'notify'].map((c) => `  ${c}: simulated`);
    writeFileSync(file, ['vendors:', ...simulated, '  metrics: prometheus', 'settings:', `  prometheus: { baseUrl: "http://127.0.0.1:${await freePort()}", timeout: 2s }`].join('\n'));
    const shipped = await palisade(['providers', 'check', '--json']);
    expect(json(shipped)).toMatchObject({ ok: true, checks: expect.arrayContaining([{ capability: 'metrics', vendor: 'simulated', status: 'skipped', detail: expect.any(String) }]) });
    const broken = await palisade(['providers', 'check', '--json'], { env: { PALISADE_PROVIDERS_FILE: file } });
    expect(broken.status).toBe(8);
    const report = JSON.parse(broken.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c: { vendor: string }) => c.vendor === 'prometheus')).toMatchObject({ status: 'failed', detail: expect.stringContaining('did not answer') });
  });

  it('approves and denies gates as the person the token names; a vote that does not count exits 2', async () => {
    const host = `cli-${randomUUID().slice(0, 8)}`;
    const [alice, bob] = await Promise.all([tokenFor(engine.baseUrl, 'alice', 'approver'), tokenFor(engine.baseUrl, 'bob', 'approver')]);
    const started = await postJson(`${engine.baseUrl}/playbooks/host-compromise/runs`, { params: { host } }, alice);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const incidentId = started.body.incidentId as string;
    await gateOpenOverApi(engine.baseUrl, incidentId, 'isolate-host');

    const [shown, own, noReason] = await Promise.all([
      palisade(['incidents', 'show', incidentId]),
      palisade(['approve', incidentId, 'isolate-host', '--json'], { token: alice }),
      palisade(['deny', incidentId, 'isolate-host'], { token: bob }),
    ]);
    expect(shown.stdout).toContain('Pending approvals\n  isolate-host  open, 0 of 1 approval(s)');
    expect(shown.stdout).toContain(`palisade approve ${incidentId} isolate-host`);
    // Four-eyes: alice asked for the isolation, so her approval does not count.
    expect(own.status).toBe(2);
    expect(own.stderr).toMatch(/^palisade: .*alice.*\n {2}Four-eyes: ask another approver to decide\.$/m);
    expect(JSON.parse(own.stdout)).toMatchObject({ error: 'own_request', status: 409 });
    // A denial needs a reason: refused before anything is sent.
    expect(noReason.status).toBe(1);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");

    const approved = await palisade(['approve', incidentId.slice(0, 8), 'isolate-host', '--reason', 'contain it'], { token: bob });
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout.trim()).toBe(`Your approval of isolate-host on incident ${incidentId} counted: the gate is approved (1 of 1); the playbook carries on.`);

    const late = await palisade(['deny', incidentId, 'isolate-host', '--reason', 'changed my mind'], { token: bob });
    expect(late.status).toBe(2);
    expect(late.stderr).toContain('palisade: ');
    expect(late.stderr).toMatch(/already/);

    // Only bob's vote is on the timeline, counted as bob, with his reason.
    const timeline = await getJson(`${engine.baseUrl}/incidents/${incidentId}/timeline?limit=500`);
    const voteEvents = timeline.body.events.filter((e: { type: string }) => e.type === 'gate.vote');
    expect(voteEvents).toEqual([expect.objectContaining({ actor: 'bob', summary: expect.stringContaining('voted approve on') })]);
    expect(voteEvents[0].summary).toContain(': contain it');
  });

  it('exits 3 on a bad or missing token, 4 for an unknown incident, 5 when the API does not answer, 2 when it refuses, 1 on a usage error', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const missing = randomUUID();
    const [badToken, noToken, unknown, unreachable, badFilter, badSource, notJson] = await Promise.all([
      palisade(['incidents', 'ls'], { token: 'pal_not-a-real-token' }),
      palisade(['incidents', 'ls'], { token: null }),
      palisade(['incidents', 'show', missing]),
      palisade(['incidents', 'ls', '--api', nowhere]),
      palisade(['incidents', 'ls', '--status', 'on-fire']),
      palisade(['alert', 'send', 'nagios', alertFile('x')]),
      palisade(['alert', 'send', 'generic', path.join(REPO_ROOT, 'README.md')], { env: secretEnv }),
    ]);
    expect(badToken.status).toBe(3);
    expect(badToken.stderr).toContain('palisade: The API token is not known, or it was revoked.\n  ');
    expect(noToken.status).toBe(3);
    expect(noToken.stderr).toMatch(/^palisade: This needs an API token.*\n {2}No token was sent: set PALISADE_TOKEN or pass --token\./m);
    expect(unknown.status).toBe(4);
    expect(unknown.stderr).toContain(`palisade: No incident ${missing}.\n  Check the id.`);
    expect(unreachable.status).toBe(5);
    expect(unreachable.stderr).toContain(`palisade: The Palisade API at ${nowhere} did not answer: connect ECONNREFUSED`);
    expect(badFilter.status).toBe(2);
    expect(badFilter.stderr).toContain('palisade: ');
    expect(badFilter.stderr).toContain('status');
    expect(badSource.status).toBe(1);
    expect(badSource.stderr).toContain("palisade: There is no webhook source 'nagios'.\n  Known sources: splunk,");
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toContain('README.md is not a readable JSON file');
  });

  it('creates a token that works at once, lists it, and revokes it', async () => {
    const name = `script-${randomUUID().slice(0, 8)}`;
    const created = await palisade(['token', 'create', '--name', name, '--role', 'viewer']);
    expect(created.status, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pal_\S{20,}$/);
    expect(created.stderr).toContain('shown only this once');

    const [asNew, listed, notAdmin] = await Promise.all([
      palisade(['incidents', 'ls', '--json'], { token }),
      palisade(['token', 'ls', '--json']),
      palisade(['token', 'create', '--name', 'eve', '--role', 'admin'], { token }),
    ]);
    expect(Array.isArray(json(asNew).incidents)).toBe(true);
    const mine = json(listed).tokens.find((t: { name: string }) => t.name === name);
    expect(mine).toMatchObject({ role: 'viewer', revokedAt: null });
    expect(JSON.stringify(json(listed))).not.toContain(token);
    expect(notAdmin.status).toBe(3);
    expect(notAdmin.stderr).toContain('admin');

    const revoked = await palisade(['token', 'revoke', mine.id.slice(0, 8), '--reason', 'test over']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked token ${mine.id} (${name}, viewer)`);
    const after = await palisade(['incidents', 'ls'], { token });
    expect(after.status).toBe(3);
  });

  it('writes an incident postmortem to a file or stdout', async () => {
    const incidentId = await openIncident(`pm-${randomUUID().slice(0, 8)}`);
    const file = path.join(dir, 'postmortem.html');
    const [md, html] = await Promise.all([palisade(['postmortem', incidentId]), palisade(['postmortem', incidentId, '-o', file])]);
    expect(md.status, md.stderr).toBe(0);
    expect(md.stdout).toContain('Suspicious process on pm-');
    expect(html.status, html.stderr).toBe(0);
    expect(html.stderr).toContain(`Wrote ${file} (html,`);
    expect(readFileSync(file, 'utf8')).toMatch(/<html[\s>]/i);
  });
});
