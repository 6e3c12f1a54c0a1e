// What a forged generic webhook costs the door: HMACs are counted through node:crypto's own
// createHmac (a pass-through spy), never timed.
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SnsSignatureVerifier } from '../../apps/api/webhooks/auth/sns-signature';
import { ReplayCache, verifyWebhook, type AuthRequest } from '../../apps/api/webhooks/auth/verify';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, createHmac: vi.fn(real.createHmac) };
});

const NOW = 1_795_000_000;
const body = Buffer.alloc(256 * 1024, 'x');
const secrets = ['old-secret', 'new-secret'];
const deps = () => ({ replays: new ReplayCache(), sns: new SnsSignatureVerifier(), snsTopicsConfigured: false });
const request = (signature: string): AuthRequest => ({
  source: 'generic',
  scheme: { kind: 'palisade-hmac' },
  headers: { 'x-palisade-timestamp': String(NOW), 'x-palisade-signature': signature },
  query: {},
  rawBody: body,
  body: {},
  now: NOW,
});
const hmacs = () => vi.mocked(crypto.createHmac).mock.calls.length;
const sign = (secret: string) => crypto.createHmac('sha256', secret).update(`${NOW}.`).update(body).digest('hex');

describe('the generic source’s signature check under a forged flood', () => {
  beforeEach(() => { vi.mocked(crypto.createHmac).mockClear(); });

  it('refuses a header of 3,900 empty v1= candidates without computing an HMAC per candidate, saying what was wrong', async () => {
    const verdict = await verifyWebhook(request(Array(3_900).fill('v1=').join(',')), secrets, deps());
    expect(verdict).toMatchObject({ ok: false, code: 'malformed_signature', message: expect.stringContaining('X-Palisade-Signature'), hint: expect.any(String) });
    expect(hmacs()).toBeLessThanOrEqual(secrets.length);
  });

  it('computes each secret’s HMAC once for a request with two candidates, and accepts either one', async () => {
    const good = sign('new-secret');
    vi.mocked(crypto.createHmac).mockClear();
    expect(await verifyWebhook(request(`v1=${'0'.repeat(64)}, v1=${good}`), secrets, deps())).toMatchObject({ ok: true });
    expect(hmacs()).toBe(secrets.length);
  });

  it('refuses three well-formed candidates, and a header without a well-formed one, naming the problem', async () => {
    const three = Array(3).fill(`v1=${'a'.repeat(64)}`).join(',');
    expect(await verifyWebhook(request(three), secrets, deps())).toMatchObject({ ok: false, code: 'malformed_signature', message: expect.stringContaining('3') });
    expect(await verifyWebhook(request('v1=xyz'), secrets, deps())).toMatchObject({ ok: false, code: 'malformed_signature', message: expect.stringContaining('64 hex') });
    expect(hmacs()).toBe(0);
  });
});
