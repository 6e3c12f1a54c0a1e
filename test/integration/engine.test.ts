import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseEnvFile } from '../../apps/cli/start/dev-secrets';
import { freePort } from '../../apps/cli/start/ports';
import { eventually, getJson, postJson } from '../support/engine';
import { processesWithEnv, spawnCollecting, type Spawned } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The whole engine started the way `npm start` starts it — its own Temporal dev server and
 * the embedded PGlite, in a data folder of its own — then stopped with SIGTERM.
 */
describe('npm start', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let apiUrl: string;
  const engines: Spawned[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-engine-'));
    const [api, temporal, ui, pg, temporalMetrics] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${api}`;
    env = {
      ...process.env,
      PORT: String(api),
      PALISADE_TEMPORAL_PORT: String(temporal),
      PALISADE_TEMPORAL_UI_PORT: String(ui),
      PALISADE_TEMPORAL_METRICS_PORT: String(temporalMetrics),
      PALISADE_POSTGRES_PORT: String(pg),
      PALISADE_DATA_DIR: dataDir,
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
  });

  afterAll(() => {
    for (const e of engines) {
      try {
        process.kill(-e.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const pid of processesWithEnv('PALISADE_DATA_DIR', dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Spawned> {
    const engine = spawnCollecting('npm', ['start'], { cwd: ROOT, env });
    engines.push(engine);
    await eventually(
      'the engine to be ready',
      async () => {
        if (engine.child.exitCode !== null) throw new Error(`npm start exited early:\n${engine.output()}`);
        const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      120_000,
    );
    await eventually('the URL block', async () => (engine.output().includes('Palisade is running.') ? true : undefined));
    return engine;
  }

  async function stopWithSigterm(engine: Spawned): Promise<void> {
    engine.child.kill('SIGTERM');
    await engine.exited;
    // Everything it started (Temporal, Postgres, worker, API) carries its data folder in its
    // environment; none may be left.
    await eventually('every child process to exit', async () =>
      processesWithEnv('PALISADE_DATA_DIR', dataDir).length === 0 ? true : undefined,
    );
  }

  it('starts, serves the slice, refuses a second engine, stops on SIGTERM and keeps its data', async () => {
    const first = await start();
    const block = first.output();
    expect(block).toContain(`API          ${apiUrl}`);
    expect(block).toContain(`API docs     ${apiUrl}/docs`);
    expect(block).toContain(`Metrics      ${apiUrl}/metrics (API), http://127.0.0.1:${env.PALISADE_TEMPORAL_METRICS_PORT}/metrics (Temporal)`);
    expect(block).toContain(`Temporal UI  http://127.0.0.1:${env.PALISADE_TEMPORAL_UI_PORT}`);
    expect(block).toContain(`Data folder  ${dataDir}`);
    expect(block).toContain('Slack        off: approvals through the API');
    expect(block).toMatch(/Stop {9}Ctrl-C/);

    expect(block).toContain(`Web page     ${apiUrl}/ (sign in with an API token; the first admin token is PALISADE_BOOTSTRAP_TOKEN in ${path.join(dataDir, 'secrets.env')})`);

    // The data folder's secrets hold the first admin token, which the engine seeded.
    const admin = parseEnvFile(readFileSync(path.join(dataDir, 'secrets.env'), 'utf8')).PALISADE_BOOTSTRAP_TOKEN;
    expect(admin).toMatch(/^pal_/);
    expect(await getJson(`${apiUrl}/me`, admin)).toMatchObject({ status: 200, body: { name: 'bootstrap', role: 'admin' } });
    expect((await postJson(`${apiUrl}/incidents`, { title: 'x', severity: 'low' }, null)).status).toBe(401);

    const created = await postJson(`${apiUrl}/incidents`, { title: 'Crypto miner on build-3', severity: 'high', entity: 'build-3' }, admin);
    expect(created.status).toBe(202);
    const incidentId = (created.body as { incidentId: string }).incidentId;
    await eventually('incident.created', async () => {
      const res = await getJson(`${apiUrl}/incidents/${incidentId}/timeline`, admin);
      return res.status === 200 && res.body.events[0]?.type === 'incident.created' ? true : undefined;
    });

    // Temporal's own metrics, on the port asked for: its frontend's requests by operation.
    const metrics = await fetch(`http://127.0.0.1:${env.PALISADE_TEMPORAL_METRICS_PORT}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/service_latency_count\{[^}]*operation="GetSystemInfo",service_name="frontend"\}/);

    // A second engine on the same API port is told which port and which variable.
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-engine-other-'));
    try {
      const clash = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'start'], {
        cwd: ROOT,
        env: { ...env, PALISADE_DATA_DIR: otherDir },
      });
      expect(await clash.exited).toBe(1);
      expect(clash.output()).toContain(`palisade: Port ${env.PORT} (the API) is already in use.`);
      expect(clash.output()).toContain(`or set PORT to a free port`);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    // ... and one on the same data folder is told who holds it.
    const sameDir = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'start'], {
      cwd: ROOT,
      env: { ...env, PORT: String(await freePort()) },
    });
    expect(await sameDir.exited).toBe(1);
    expect(sameDir.output()).toMatch(new RegExp(`Another Palisade \\(pid \\d+\\) is using the data folder ${dataDir}`));

    await stopWithSigterm(first);
    expect(first.output()).toContain('Stopped in');

    const second = await start();
    const again = await getJson(`${apiUrl}/incidents/${incidentId}`, admin);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: incidentId, title: 'Crypto miner on build-3', entity: 'build-3' });
    await stopWithSigterm(second);
  }, 300_000);

  it('stops everything it had started when SIGTERM arrives during start-up', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-engine-early-'));
    try {
      const early = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'start'], {
        cwd: ROOT,
        env: {
          ...env,
          PALISADE_DATA_DIR: dir,
          PORT: String(await freePort()),
          PALISADE_TEMPORAL_PORT: String(await freePort()),
          PALISADE_TEMPORAL_UI_PORT: String(await freePort()),
          PALISADE_POSTGRES_PORT: String(await freePort()),
        },
      });
      engines.push(early);
      // Temporal is up and Postgres is starting: the middle of start-up.
      await eventually('start-up to be under way', async () => (early.output().includes('Starting the embedded Postgres') ? true : undefined), 60_000);
      early.child.kill('SIGTERM');
      expect(await early.exited).toBe(0);
      expect(early.output()).not.toContain('palisade:'); // no error: it was asked to stop
      await eventually('every child process to exit', async () => (processesWithEnv('PALISADE_DATA_DIR', dir).length === 0 ? true : undefined));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('says which server did not answer when DATABASE_URL is unreachable', async () => {
    const port = await freePort();
    const run = spawnCollecting(process.execPath, ['-r', '@swc-node/register', 'apps/cli/main.ts', 'start'], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: String(await freePort()),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: `postgres://palisade:hunter2@127.0.0.1:${port}/palisade`,
      },
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`palisade: Postgres at DATABASE_URL (postgres://palisade:***@127.0.0.1:${port}/palisade) did not answer`);
    expect(run.output()).toContain('unset DATABASE_URL to use the embedded Postgres');
    expect(run.output()).not.toContain('hunter2');
  }, 60_000);
});
