import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, startTestEngine, type TestEngine } from '../support/engine';
import { genericAlert, sendGeneric } from '../support/webhooks';

// Postgres text and jsonb cannot hold U+0000. A sender's alert that carries one is still an
// alert: stored (the character shown as U+FFFD), never answered 503 for ever.
describe('an alert carrying a NUL character', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('is accepted and stored with the character replaced, in its fields and in its raw body', async () => {
    const host = `nul-${randomUUID().slice(0, 8)}`;
    const sent = await sendGeneric(engine.baseUrl, genericAlert(host, { title: 'Odd\u0000binary in argv', labels: { 'cmd\u0000line': 'a\u0000b' } }), { delivery: `d-${host}` });
    expect(sent.status).toBe(202);
    const alert = await eventually('the alert stored', async () => {
      const res = await getJson(`${engine.baseUrl}/alerts/${sent.body.alertIds[0]}`);
      return res.status === 200 ? res.body : undefined;
    });
    expect(alert.title).toBe('Odd\uFFFDbinary in argv');
    expect(JSON.stringify(alert)).not.toContain('\\u0000');
  });
});
