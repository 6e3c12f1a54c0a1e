import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../apps/cli/start/data-dir-lock';
import { assertPortsFree, freePort } from '../../apps/cli/start/ports';
import { assertDatabaseReachable, assertTemporalReachable } from '../../apps/cli/start/preflight';
import { loadConfig } from '../../lib/config/env';
import { findPostgresBinaries } from '../../apps/cli/start/postgres-cluster';

describe('start-up checks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-checks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the port and the variable that moves it when a port is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(assertPortsFree([{ port, what: 'Temporal', variable: 'PALISADE_TEMPORAL_PORT' }])).rejects.toMatchObject({
        code: 'port_in_use',
        message: `Port ${port} (Temporal) is already in use.`,
        hint: `Stop whatever listens on ${port}, or set PALISADE_TEMPORAL_PORT to a free port.`,
      });
    } finally {
      server.close();
    }
    await expect(assertPortsFree([{ port, what: 'Temporal', variable: 'PALISADE_TEMPORAL_PORT' }])).resolves.toBeUndefined();
  });

  it('says which variable and address did not answer', async () => {
    const port = await freePort();
    await expect(assertDatabaseReachable(`postgres://palisade:s3cret@127.0.0.1:${port}/palisade`, 2_000)).rejects.toMatchObject({
      code: 'database_unreachable',
      message: expect.stringMatching(
        new RegExp(`^Postgres at DATABASE_URL \\(postgres://palisade:\\*\\*\\*@127\\.0\\.0\\.1:${port}/palisade\\) did not answer: .*ECONNREFUSED`),
      ),
    });
    await expect(assertTemporalReachable(`127.0.0.1:${port}`, 1_000)).rejects.toMatchObject({
      code: 'temporal_unreachable',
      message: `Temporal at TEMPORAL_ADDRESS (127.0.0.1:${port}) did not answer within 1 s.`,
      hint: expect.stringContaining('unset it to let Palisade start a Temporal dev server'),
    });
  });

  it('keeps a second engine off a data folder in use, and takes over a stale lock', () => {
    const lock = lockDataDir(dir);
    // A live process that is not us holds it: our parent stands in for another engine.
    writeFileSync(path.join(dir, 'palisade.pid'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(`Another Palisade (pid ${process.ppid}) is using the data folder ${dir}.`);
    // A dead holder leaves a stale lock, which the next start takes over.
    writeFileSync(path.join(dir, 'palisade.pid'), '999999999');
    const again = lockDataDir(dir);
    again.release();
    lock.release();
  });

  it('reads the environment with defaults and explains a bad value', () => {
    const config = loadConfig({}, '/srv/palisade');
    expect(config).toMatchObject({
      port: 3000,
      dataDir: '/srv/palisade/.palisade',
      temporal: { address: undefined, devServerPort: 7233, devServerUiPort: 8233, taskQueue: 'palisade' },
      database: { url: undefined, embeddedPort: 5433 },
    });
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT: .*number/);
    expect(() => loadConfig({ PALISADE_TEMPORAL_PORT: '70000' })).toThrow(/PALISADE_TEMPORAL_PORT/);
  });

  it('tells how to install PostgreSQL when the tests cannot find one', () => {
    expect(() => findPostgresBinaries({ pgConfig: path.join(dir, 'no-pg_config'), candidates: [dir] })).toThrow(
      /PostgreSQL server binaries \(initdb, pg_ctl\), which were not found/,
    );
    let thrown: unknown;
    try {
      findPostgresBinaries({ pgConfig: path.join(dir, 'no-pg_config'), candidates: [] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'postgres_missing', hint: expect.stringContaining('apt-get install postgresql') });
  });
});
