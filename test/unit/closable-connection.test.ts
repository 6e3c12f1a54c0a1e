import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../apps/cli/start/ports';
import { finished } from '../support/cli';

// Closing the API's Temporal connection while a call waits for its next attempt (the API shutting
// down while Temporal is unreachable): each in its own process, since the failure is an uncaught
// exception from a timer.
const SCRIPT = path.resolve(__dirname, '../fixtures/temporal-close/close-during-retry.ts');
const run = async (how: 'closable' | 'plain') =>
  finished(spawn(process.execPath, ['-r', '@swc-node/register', SCRIPT, how, String(await freePort())], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] }));

describe('closing the Temporal connection during a retry', () => {
  it('crashes the process with Connection.close() alone (the library behaviour this guards against)', async () => {
    const plain = await run('plain');
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain('uncaught: Channel has been shut down');
  }, 60_000);

  it('ends the waiting call CANCELLED and nothing escapes, closed through closableConnection', async () => {
    const closable = await run('closable');
    expect(closable.status, closable.stderr).toBe(0);
    expect(closable.stdout).toContain('call rejected:');
    expect(closable.stdout).toContain('no uncaught exception');
    expect(closable.stderr).not.toContain('Channel has been shut down');
  }, 60_000);
});
