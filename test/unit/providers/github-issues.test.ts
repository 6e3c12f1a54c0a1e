import { describe, expect, it } from 'vitest';
import { GitHubIssuesTicketing } from '../../../activities/providers/ticketing/github-issues';
import { incidentLabel } from '../../../activities/providers/ticketing/ticketing.provider';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { FakeGitHub } from '../../support/vendors/github';
import { json } from '../../support/vendors/loopback';
import { expectNoSecrets, failure, loopbackServers, SWITCHES, switchTimeout } from '../../support/vendors/harness';

const start = loopbackServers();
const INCIDENT = '6f1c1e9e-7a3b-4d5e-9f00-0000000000bb';
const REPO = 'acme/security-incidents';

async function github(timeoutMs = 10_000) {
  const server = await start(new FakeGitHub());
  server.addRepository(REPO);
  return { server, client: new GitHubIssuesTicketing({ baseUrl: server.url, token: server.token, repositories: { SEC: REPO }, timeoutMs }) };
}

const spec = { incidentId: INCIDENT, project: 'SEC', summary: '[medium] Drift on sg-1', severity: 'medium' as const, lines: ['Drift found.', 'Entity: sg-1.'], link: 'http://palisade/incidents/x' };

describe('GitHub Issues tickets', () => {
  it('opens one issue per incident (Markdown body, incident label, GitHub API headers), found again by its label before any create', async () => {
    const { server, client } = await github();
    const first = await client.open(spec);
    expect(first).toEqual({ created: true, ticket: { id: '1', key: `${REPO}#1`, url: `https://github.com/${REPO}/issues/1` } });
    const create = server.calls('POST', `/repos/${REPO}/issues`)[0];
    expect(create.headers).toMatchObject({ authorization: `Bearer ${server.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
    expect(json(create)).toEqual({ title: spec.summary, body: 'Drift found.\n\nEntity: sg-1.\n\n[Incident in Palisade](http://palisade/incidents/x)', labels: ['palisade', incidentLabel(INCIDENT), 'severity-medium'] });
    // The search before the create: the repository's issues by label, closed ones too.
    const search = server.calls('GET', `/repos/${REPO}/issues`)[0];
    expect(Object.fromEntries(search.query)).toMatchObject({ labels: incidentLabel(INCIDENT), state: 'all' });

    await expect(client.open(spec)).resolves.toEqual({ ticket: first.ticket, created: false });
    expect(server.issues.get(REPO)).toHaveLength(1);
  });

  for (const lost of ['timeout', '5xx'] as const) {
    it(`a create whose answer is lost (${lost}) leaves one issue after the retry`, async () => {
      const { server } = await github();
      const impatient = new GitHubIssuesTicketing({ baseUrl: server.url, token: server.token, repository: REPO, timeoutMs: lost === 'timeout' ? 300 : 10_000 });
      server.loseNextCreateAnswer = lost;
      expect((await failure(impatient.open(spec))).type).toBe(ProviderErrorType.Unavailable);
      expect(server.issues.get(REPO)).toHaveLength(1);
      await expect(impatient.open(spec)).resolves.toMatchObject({ created: false, ticket: { key: `${REPO}#1` } });
      expect(server.issues.get(REPO)).toHaveLength(1);
    });
  }

  it('comments milestones, closes as completed with the postmortem link, and reopens the issue when the incident reopens', async () => {
    const { server, client } = await github();
    const { ticket } = await client.open(spec);
    await client.comment(ticket, 'Palisade: incident contained.');
    await client.close(ticket, 'Palisade: incident resolved. Postmortem: http://palisade/incidents/x/postmortem', 'http://palisade/incidents/x');
    const issue = server.issues.get(REPO)![0];
    expect(issue).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(json(server.calls('PATCH', `/repos/${REPO}/issues/1`)[0])).toEqual({ state: 'closed', state_reason: 'completed' });
    expect(server.comments.get(`${REPO}#1`)?.at(-1)).toContain('Postmortem: http://palisade/incidents/x/postmortem');

    await expect(client.open(spec)).resolves.toEqual({ ticket, created: false });
    expect(issue).toMatchObject({ state: 'open', state_reason: 'reopened' });
    expect(server.issues.get(REPO)).toHaveLength(1);
  });

  it('labels dropped for want of push access are refused (the issue could not be found again); an unknown project is Invalid', async () => {
    const { server, client } = await github();
    server.dropLabels = true;
    const err = await failure(client.open(spec));
    expect(err.type).toBe(ProviderErrorType.Denied);
    expect(err.message).toContain('push access');
    const unknown = await failure(client.open({ ...spec, project: 'OPS' }));
    expect(unknown.type).toBe(ProviderErrorType.Invalid);
    expect(unknown.nonRetryable).toBe(true);
  });

  it('the check reads the repository; a bad token is Denied with the token scrubbed', async () => {
    const { server, client } = await github();
    await expect(client.check()).resolves.toContain(REPO);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /repos/${REPO}`]);
    const wrong = new GitHubIssuesTicketing({ baseUrl: server.url, token: 'ghp_wrongTokenForTests000000', repository: REPO });
    const err = await failure(wrong.open(spec));
    expect(err.type).toBe(ProviderErrorType.Denied);
    expectNoSecrets(err.message, ['ghp_wrongTokenForTests000000']);
  });

  for (const [kind, type, nonRetryable] of SWITCHES) {
    it(`failure switch ${kind} becomes ${type}`, async () => {
      const { server, client } = await github(switchTimeout(kind));
      server.fail(kind);
      const err = await failure(client.open(spec));
      expect(err.type).toBe(type);
      expect(err.nonRetryable).toBe(nonRetryable);
      if (kind === '429') expect(err.details?.[0]).toEqual({ retryAfterMs: 5000 });
      expectNoSecrets(err.message, [server.token]);
    });
  }
});
