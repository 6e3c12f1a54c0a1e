import { describe, expect, it } from 'vitest';
import { incidentLabel, JiraTicketing } from '../../../activities/providers/ticketing/jira';
import { FakeJira } from '../../support/vendors/jira';
import { expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();
const INCIDENT = '6f1c1e9e-7a3b-4d5e-9f00-0000000000aa';

async function jira(timeoutMs = 10_000) {
  const server = await start(new FakeJira());
  return { server, client: new JiraTicketing({ baseUrl: server.url, email: server.email, apiToken: server.apiToken, timeoutMs }) };
}

const spec = { incidentId: INCIDENT, project: 'SEC', summary: '[medium] Drift on sg-1', severity: 'medium' as const, lines: ['Drift found.'], link: 'http://palisade/incidents/x' };

describe('Jira Cloud REST v3 tickets', () => {
  it('opens one issue per incident (ADF description, incident label), found again by search before any create', async () => {
    const { server, client } = await jira();
    const first = await client.open(spec);
    expect(first.created).toBe(true);
    expect(first.ticket).toMatchObject({ key: 'SEC-1', url: `${server.url}/browse/SEC-1` });
    const again = await client.open(spec);
    expect(again).toEqual({ ticket: first.ticket, created: false });
    expect(server.issues).toHaveLength(1);
    expect(server.issues[0].labels).toContain(incidentLabel(INCIDENT));
    expect(server.issues[0].description).toMatchObject({ type: 'doc', version: 1 });
  });

  it('a create whose answer is lost (worker killed before it recorded the ticket) leaves one ticket after the retry', async () => {
    const { server } = await jira();
    const impatient = new JiraTicketing({ baseUrl: server.url, email: server.email, apiToken: server.apiToken, timeoutMs: 300 });
    server.loseNextCreateAnswer = true;
    await failure(impatient.open(spec));
    expect(server.issues).toHaveLength(1);
    await expect(impatient.open(spec)).resolves.toMatchObject({ created: false, ticket: { key: 'SEC-1' } });
    expect(server.issues).toHaveLength(1);
  });

  it('comments milestones and closes through the transition to done, harmlessly twice', async () => {
    const { server, client } = await jira();
    const { ticket } = await client.open(spec);
    await client.comment(ticket, 'contained');
    await client.close(ticket, 'resolved; postmortem at …', 'http://palisade/incidents/x/postmortem');
    expect(server.issues[0].status).toBe('Done');
    await client.close(ticket, 'resolved again');
    expect(server.issues[0].status).toBe('Done');
    expect(server.issues[0].comments).toHaveLength(3);
  });

  it('bad credentials are Denied, with the token scrubbed; the check reads who the token is', async () => {
    const { server, client } = await jira();
    await expect(client.check()).resolves.toContain('SecOps Bot');
    const wrong = new JiraTicketing({ baseUrl: server.url, email: server.email, apiToken: 'wrong-token-0000' });
    const err = await failure(wrong.open(spec));
    expect(err.type).toBe('Denied');
    expectNoSecrets(err.message, ['wrong-token-0000']);
  });

  for (const [kind, type, nonRetryable] of SWITCHES) {
    it(`failure switch ${kind} becomes ${type}`, async () => {
      const { server, client } = await jira(switchTimeout(kind));
      server.fail(kind);
      const err = await failure(client.open(spec));
      expect(err.type).toBe(type);
      expect(err.nonRetryable).toBe(nonRetryable);
      expectNoSecrets(err.message, [server.apiToken]);
    });
  }
});
