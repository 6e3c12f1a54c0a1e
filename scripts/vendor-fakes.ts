/**
 * `npm run fakes`: PagerDuty's Events API v2 and Jira Cloud's REST API v3 on loopback, the same
 * fakes the tests use (test/support/vendors/), to try pages and tickets by hand on `npm start`
 * without an account at either. Writes a providers file pointing at them and prints how to
 * start Palisade with it; then prints each call the vendors receive until Ctrl-C.
 *
 *   npm run fakes [-- --pagerduty-port 4010 --jira-port 4011 --out .palisade/fake-vendors]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { json, type RecordedRequest } from '../test/support/vendors/loopback';
import { FakeJira } from '../test/support/vendors/jira';
import { FakePagerDuty } from '../test/support/vendors/pagerduty';

const ROUTING_KEY = 'R0UTINGKEYSECOPSFAKE0000000000AA';
const PD_WEBHOOK_SECRET = 'fake-pagerduty-webhook-secret';
const JIRA_WEBHOOK_SECRET = 'fake-jira-webhook-secret';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'pagerduty-port': { type: 'string', default: '4010' }, 'jira-port': { type: 'string', default: '4011' }, out: { type: 'string', default: '.palisade/fake-vendors' } },
  });
  const pd = await new FakePagerDuty([ROUTING_KEY]).start(Number(values['pagerduty-port']));
  const jira = await new FakeJira().start(Number(values['jira-port']));
  pd.onReply = (r, status) => {
    const e = json(r) as { event_action?: string; dedup_key?: string; payload?: { summary?: string } } | undefined;
    say('pagerduty', `${e?.event_action ?? r.path} ${e?.dedup_key ?? ''} ${e?.payload?.summary ?? ''}`.trim(), status);
  };
  jira.onReply = (r: RecordedRequest, status) => {
    const issue = r.method === 'POST' && r.path === '/rest/api/3/issue' ? jira.issues.at(-1) : undefined;
    say('jira', `${r.method} ${r.path}${issue ? ` → ${issue.key} ${issue.summary}` : ''}`, status);
    const moved = r.method === 'POST' ? /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/.exec(r.path)?.[1] : undefined;
    const issueMoved = moved ? jira.issues.find((i) => i.key === moved || i.id === moved) : undefined;
    if (issueMoved) say('jira', `${issueMoved.key} is now ${issueMoved.status}`, status);
  };

  const dir = path.resolve(values.out);
  mkdirSync(dir, { recursive: true });
  const providers = path.join(dir, 'providers.yaml');
  writeFileSync(
    providers,
    [
      '# Written by npm run fakes: the simulated fleet, with pages and tickets going to the loopback fakes.',
      'vendors:',
      ...['inventory', 'hostIsolation', 'evidence', 'credentials', 'identity', 'configBaseline', 'patching', 'metrics', 'notify'].map((c) => `  ${c}: simulated`),
      '  secretScanning: none',
      '  paging: pagerduty',
      '  ticketing: jira',
      'settings:',
      '  pagerduty:',
      `    eventsUrl: ${pd.url}`,
      '    services: { secops-oncall: { routingKeyEnv: PAGERDUTY_ROUTING_KEY_SECOPS } }',
      '    webhookSecretEnv: PAGERDUTY_WEBHOOK_SECRET',
      '  jira:',
      `    baseUrl: ${jira.url}`,
      `    email: ${jira.email}`,
      '    apiTokenEnv: JIRA_API_TOKEN',
      '    webhookSecretEnv: JIRA_WEBHOOK_SECRET',
      '',
    ].join('\n'),
  );
  const env = [
    `PALISADE_PROVIDERS_FILE=${path.relative(process.cwd(), providers)}`,
    `PAGERDUTY_ROUTING_KEY_SECOPS=${ROUTING_KEY}`,
    `PAGERDUTY_WEBHOOK_SECRET=${PD_WEBHOOK_SECRET}`,
    `JIRA_API_TOKEN=${jira.apiToken}`,
    `JIRA_WEBHOOK_SECRET=${JIRA_WEBHOOK_SECRET}`,
  ];
  console.log(`PagerDuty Events API v2 (fake) on ${pd.url}; Jira Cloud REST v3 (fake) on ${jira.url}, projects ${jira.projects.join(', ')}.`);
  console.log(`Wrote ${providers}. In another terminal, start Palisade with it:\n\n  ${env.join(' \\\n  ')} \\\n  npm start\n`);
  console.log('Every call the fakes receive is printed here. Ctrl-C stops them.\n');
  const stop = () => void Promise.all([pd.close(), jira.close()]).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function say(vendor: string, what: string, status: number | 'no answer'): void {
  console.log(`${new Date().toISOString()}  ${vendor.padEnd(9)} ${what} → ${status}`);
}

main().catch((err: unknown) => {
  console.error(`npm run fakes: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
