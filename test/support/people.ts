import type { Approver } from '../../lib/approvals/gate';

/** The people of runbooks/people.yaml as the API would resolve them (no test runner needed: scripts use it too). */
export const PEOPLE = {
  alice: { id: 'alice', groups: ['secops'], roles: ['responder', 'approver'], via: 'api' },
  bob: { id: 'bob', groups: ['secops', 'secops-leads'], roles: ['responder', 'approver'], via: 'api' },
  carol: { id: 'carol', groups: ['sre'], roles: ['responder'], via: 'api' },
} satisfies Record<string, Approver>;

/** The Slack users of the tests: alice by her people.yaml id, bob by his email, carol not an approver, dave only in a Slack group, erin unknown, victor a viewer (in test/fixtures/runbooks/people-slack.yaml only). */
export const SLACK_USERS = {
  alice: { id: 'U0ALICE01', name: 'alice', email: 'alice@example.com' },
  bob: { id: 'U0BOB0001', name: 'bob', email: 'bob@example.com' },
  carol: { id: 'U0CAROL01', name: 'carol', email: 'carol@example.com' },
  dave: { id: 'U0DAVE001', name: 'dave', email: 'dave@contractor.example' },
  erin: { id: 'U0ERIN001', name: 'erin' },
  victor: { id: 'U0VICTOR1', name: 'victor', email: 'victor@example.com' },
} as const;
