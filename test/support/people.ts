import type { Approver } from '../../lib/approvals/gate';

/** The people of runbooks/people.yaml as the API would resolve them (no test runner needed: scripts use it too). */
export const PEOPLE = {
  alice: { id: 'alice', groups: ['secops'], roles: ['responder', 'approver'], via: 'api' },
  bob: { id: 'bob', groups: ['secops', 'secops-leads'], roles: ['responder', 'approver'], via: 'api' },
  carol: { id: 'carol', groups: ['sre'], roles: ['responder'], via: 'api' },
} satisfies Record<string, Approver>;
