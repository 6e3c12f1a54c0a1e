import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { eventually, getJson, postJson, TEST_ADMIN_TOKEN, testSecret, tokenFor } from '../support/engine';
import { processesWithEnv, spawnCollecting, type Spawned } from '../support/processes';
import { sendGeneric } from '../support/webhooks';

const ROOT = path.resolve(__dirname, '../..');
const NAME = 'lost-laptop';

interface Ran {
  code: number | null;
  output: string;
}

/** The `palisade` CLI as a user runs it from the engine's folder. */
function palisade(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const run = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', ...args], { cwd: ROOT, env });
  return run.exited.then((code) => ({ code, output: run.output() }));
}

const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ROOT, encoding: 'utf8' });

// A team's playbook, from `palisade playbook new` to an alert it answers on `npm start`, in a
// folder outside the engine: no file of the engine changes on the way.
describe('a team playbook outside the engine (PALISADE_PLAYBOOKS_DIR)', () => {
  let scratch: string;
  let team: string;
  let created: Ran;
  let engineFilesBefore: string;

  beforeAll(async () => {
    engineFilesBefore = gitStatus();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'palisade-team-'));
    team = path.join(scratch, 'playbooks');
    mkdirSync(team);
    created = await palisade(['playbook', 'new', NAME, '--dir', team]);
  });
  afterAll(() => {
    for (const pid of processesWithEnv('PALISADE_TEAM_TEST', scratch)) process.kill(pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The rule `playbook new` printed to paste, in a routing file of the team's own. */
  function routingFile(): string {
    const lines = created.output.split('\n');
    const from = lines.findIndex((l) => l.startsWith(`  - name: ${NAME}`));
    const rule = lines.slice(from, lines.indexOf('', from)).join('\n');
    const file = path.join(scratch, 'routing.yaml');
    writeFileSync(file, `rules:\n${rule}\n  - name: everything-else\n    match: {}\n    playbook: triage\n`);
    return file;
  }

  async function engineEnv(): Promise<NodeJS.ProcessEnv> {
    const [api, temporal, ui, pg] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(api),
      PALISADE_TEMPORAL_PORT: String(temporal),
      PALISADE_TEMPORAL_UI_PORT: String(ui),
      PALISADE_POSTGRES_PORT: String(pg),
      PALISADE_DATA_DIR: mkdtempSync(path.join(scratch, 'data-')),
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
      PALISADE_PLAYBOOKS_DIR: team,
      PALISADE_WEBHOOK_SECRET_GENERIC: testSecret('generic'),
      PALISADE_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
      // Marks every process this test starts, to clean up after a failure.
      PALISADE_TEAM_TEST: scratch,
    };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    return env;
  }

  it('scaffolds three files and prints the rule to paste; refuses a bad name and a shipped name', async () => {
    expect(created.code).toBe(0);
    for (const file of ['playbook.ts', 'runbook.md', `${NAME}.test.ts`]) expect(readFileSync(path.join(team, NAME, file), 'utf8')).toContain(NAME);
    expect(created.output).toContain(`playbook: ${NAME}`);
    expect(await palisade(['playbook', 'new', 'Lost_Laptop', '--dir', team])).toMatchObject({ code: 1, output: expect.stringContaining("'Lost_Laptop' is not a playbook name") });
    expect(await palisade(['playbook', 'new', 'host-compromise', '--dir', team])).toMatchObject({ code: 1, output: expect.stringContaining("There is already a playbook named 'host-compromise'") });
    const noDir = { ...process.env };
    delete noDir.PALISADE_PLAYBOOKS_DIR;
    expect(await palisade(['playbook', 'new', 'other'], noDir)).toMatchObject({ code: 1, output: expect.stringContaining('Pass --dir') });
  }, 120_000);

  it('answers a signed webhook on npm start: the gate approved through the API, the incident resolved, the engine unchanged', async () => {
    const env: NodeJS.ProcessEnv = { ...(await engineEnv()), PALISADE_ROUTING_FILE: routingFile() };
    const baseUrl = `http://127.0.0.1:${env.PORT}`;
    const engine: Spawned = spawnCollecting('npm', ['start'], { cwd: ROOT, env });
    try {
      await eventually(
        'the engine to be ready',
        async () => {
          if (engine.child.exitCode !== null) throw new Error(`npm start exited early:\n${engine.output()}`);
          const res = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
          return res?.ok ? true : undefined;
        },
        300_000,
      );
      const listed = await getJson(`${baseUrl}/playbooks`);
      expect(listed.body.playbooks ?? listed.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: NAME, source: { kind: 'team', dir: path.join(team, NAME) }, steps: ['Notify the owner'], runbook: expect.stringContaining('## What the playbook does') })]),
      );

      const sent = await sendGeneric(baseUrl, { title: 'Laptop reported lost', severity: 'high', entity: { kind: 'host', key: 'lt-042' }, labels: { playbook: NAME } });
      expect(sent.status).toBe(202);
      const incidentId = sent.body.incidentId as string;
      await eventually(
        'the proceed gate to open',
        async () => {
          const res = await getJson(`${baseUrl}/incidents/${incidentId}/approvals`);
          return res.body.gates?.some((g: { id: string; status: string }) => g.id === 'proceed' && g.status === 'open') ? true : undefined;
        },
        60_000,
      );
      const bob = await tokenFor(baseUrl, 'bob');
      expect((await postJson(`${baseUrl}/incidents/${incidentId}/approvals/proceed`, { decision: 'approve', reason: 'confirmed with the owner' }, bob)).body).toMatchObject({ outcome: 'approved' });

      const incident = await eventually(
        'the incident to resolve',
        async () => {
          const res = await getJson(`${baseUrl}/incidents/${incidentId}`);
          return res.body.status === 'resolved' ? res.body : undefined;
        },
        60_000,
      );
      expect(incident).toMatchObject({ playbook: NAME, entity: 'host:lt-042' });
      const timeline = await getJson(`${baseUrl}/incidents/${incidentId}/timeline?limit=500`);
      const events = timeline.body.events as { type: string; data: { step?: string } }[];
      expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.data.step)).toEqual(['Notify the owner']);
      expect(events.at(-1)?.type).toBe('incident.resolved');
    } finally {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
    await eventually('every process of the engine to exit', async () => (processesWithEnv('PALISADE_DATA_DIR', env.PALISADE_DATA_DIR!).length === 0 ? true : undefined), 30_000);
    expect(gitStatus()).toBe(engineFilesBefore);
  }, 600_000);

  it.each([
    ['a bad declaration', 'broken-decl', (src: string) => src.replace('export default definePlaybook(', 'export const notDefault = definePlaybook('), 'must `export default definePlaybook'],
    ['a type error (a gate it does not declare)', 'typo-gate', (src: string) => src.replace("gate: 'proceed',", "gate: 'procede',"), "playbook.ts:37:7 - TS2322: Type '\"procede\"' is not assignable"],
    ['a name clash with a shipped playbook', 'clash', (src: string) => src.replace("name: 'clash'", "name: 'host-compromise'"), "Two playbooks are named 'host-compromise'"],
  ])('%s stops npm start with the folder and the problem, and `playbook check` finds it', async (_what, name, breakIt, problem) => {
    const dir = path.join(scratch, `broken-${name}`);
    mkdirSync(dir);
    expect((await palisade(['playbook', 'new', name, '--dir', dir])).code).toBe(0);
    const file = path.join(dir, name, 'playbook.ts');
    writeFileSync(file, breakIt(readFileSync(file, 'utf8')));

    const env = { ...(await engineEnv()), PALISADE_PLAYBOOKS_DIR: dir };
    const start = await palisade(['start'], env);
    expect(start.code).not.toBe(0);
    expect(start.output).toContain(path.join(dir, name));
    expect(start.output).toContain(problem);
    expect(start.output).not.toContain('Palisade is running');

    const check = await palisade(['playbook', 'check', dir]);
    expect(check.code).toBe(9);
    expect(check.output).toContain(problem);
  }, 300_000);

  it('the generated test passes unchanged (`palisade playbook test`)', async () => {
    const run = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'playbook', 'test', team], {
      cwd: ROOT,
      env: { ...process.env, PALISADE_TEAM_TEST: scratch, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    run.stdout.on('data', (d: Buffer) => (output += d.toString()));
    run.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(output).toContain(`${NAME}.test.ts`);
    expect(output).toMatch(/Tests\s+2 passed/);
    expect(code).toBe(0);
  }, 600_000);
});
