import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { opsgenieSecretValid, recordOpsgenieAction } from '../../apps/api/paging/opsgenie-webhook';

/** Actions that are not acted on are answered before the database is touched. */
const noDb = new Proxy({} as DataSource, {
  get: () => {
    throw new Error('the database was used');
  },
});

describe('Opsgenie outgoing webhooks', () => {
  it('the shared header secret: either secret during a rotation, nothing else, never an empty one', () => {
    const rotation = ['old-secret-0123', 'new-secret-4567'];
    for (const secret of rotation) expect(opsgenieSecretValid(secret, rotation)).toBe(true);
    expect(opsgenieSecretValid('new-secret-456', rotation)).toBe(false);
    expect(opsgenieSecretValid('', rotation)).toBe(false);
    expect(opsgenieSecretValid(undefined, rotation)).toBe(false);
    expect(opsgenieSecretValid('', [])).toBe(false);
  });

  it('acts on Acknowledge and Close by a person only; says why not otherwise', async () => {
    const alert = { alertId: 'a1', alias: '6f1c1e9e-7a3b-4d5e-9f00-0000000000cc', username: 'dana@example.com', updatedAt: 1_795_000_000_000_000_000 };
    await expect(recordOpsgenieAction(noDb, { action: 'AddNote', alert })).resolves.toEqual({ recorded: false, reason: 'AddNote is not acted on' });
    await expect(recordOpsgenieAction(noDb, { action: 'Close', alert: { ...alert, username: 'Palisade' } })).resolves.toEqual({ recorded: false, reason: "Close was Palisade's own" });
    await expect(recordOpsgenieAction(noDb, null)).resolves.toEqual({ recorded: false, reason: 'an action is not acted on' });
    await expect(recordOpsgenieAction(noDb, { action: 'Acknowledge', alert: { ...alert, alias: 'not-an-incident' } })).resolves.toEqual({
      recorded: false,
      reason: 'the Opsgenie event names no Palisade incident id',
    });
  });
});
