import { describe, expect, it } from 'vitest';
import { PagerDutyPaging } from '../../../activities/providers/paging/pagerduty';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { FakePagerDuty } from '../../support/vendors/pagerduty';
import { json } from '../../support/vendors/loopback';
import { expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();
const KEY = 'R0UTINGKEY00000000000000000000AA';

async function pagerDuty(timeoutMs = 10_000) {
  const server = await start(new FakePagerDuty([KEY]));
  return { server, pd: new PagerDutyPaging({ eventsUrl: server.url, services: { 'secops-oncall': { routingKey: KEY } }, timeoutMs }) };
}

describe('PagerDuty Events API v2', () => {
  it('triggers one alert per dedup key, acknowledges and resolves it; a trigger after resolve opens a new one', async () => {
    const { server, pd } = await pagerDuty();
    const base = { dedupKey: 'inc-1', service: 'secops-oncall' };
    await expect(pd.send({ ...base, action: 'trigger', summary: 'Host compromised', severity: 'critical', link: 'http://palisade/incidents/inc-1' })).resolves.toMatchObject({ dedupKey: 'inc-1' });
    await pd.send({ ...base, action: 'trigger', summary: 'Host compromised', severity: 'critical' });
    expect(server.alerts).toHaveLength(1);
    expect(server.alerts[0]).toMatchObject({ status: 'triggered', triggers: 2, severity: 'critical' });
    const sent = json(server.calls('POST', '/v2/enqueue')[0]);
    expect(sent).toMatchObject({ routing_key: KEY, event_action: 'trigger', dedup_key: 'inc-1', payload: { summary: 'Host compromised', source: 'palisade' }, links: [{ href: 'http://palisade/incidents/inc-1' }] });
    await pd.send({ ...base, action: 'acknowledge' });
    expect(server.open('inc-1')?.status).toBe('acknowledged');
    await pd.send({ ...base, action: 'resolve' });
    expect(server.open('inc-1')?.status).toBe('resolved');
    await pd.send({ ...base, action: 'trigger', summary: 'Reopened', severity: 'high' });
    expect(server.alerts).toHaveLength(2);
  });

  it('a 400 (bad event) is Invalid, not retried; an unknown service is Invalid before anything is sent', async () => {
    const { server } = await pagerDuty();
    const wrongKey = new PagerDutyPaging({ eventsUrl: server.url, services: { 'secops-oncall': { routingKey: 'WRONGKEY' } } });
    const err = await failure(wrongKey.send({ action: 'trigger', dedupKey: 'inc-2', service: 'secops-oncall', summary: 's' }));
    expect(err.type).toBe(ProviderErrorType.Invalid);
    expect(err.nonRetryable).toBe(true);
    expectNoSecrets(err.message, ['WRONGKEY']);
    const { pd } = await pagerDuty();
    expect((await failure(pd.send({ action: 'trigger', dedupKey: 'inc-3', service: 'nobody', summary: 's' }))).type).toBe(ProviderErrorType.Invalid);
  });

  for (const [kind, type, nonRetryable] of SWITCHES) {
    it(`failure switch ${kind} becomes ${type}`, async () => {
      const { server, pd } = await pagerDuty(switchTimeout(kind));
      server.fail(kind);
      const err = await failure(pd.send({ action: 'trigger', dedupKey: 'inc-4', service: 'secops-oncall', summary: 's' }));
      expect(err.type).toBe(type);
      expect(err.nonRetryable).toBe(nonRetryable);
      if (kind === '429') expect(err.details?.[0]).toEqual({ retryAfterMs: 1000 });
      expectNoSecrets(err.message, [KEY]);
    });
  }
});
