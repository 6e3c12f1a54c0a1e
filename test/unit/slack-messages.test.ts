import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVote, VoteRejected, type GateState } from '../../lib/approvals/gate';
import { loadApprovalPolicies } from '../../lib/approvals/policy-file';
import { loadConfig } from '../../lib/config/env';
import { decodeGateRef, encodeGateRef, SlackActionId } from '../../lib/slack/actions';
import { approvalView, slackMention, type ApprovalMessage } from '../../lib/slack/approval-view';
import { SLACK_TEMPLATES, SlackTemplates } from '../../lib/slack/templates';

const templates = new SlackTemplates('runbooks/templates/slack');
const INCIDENT = '6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f';

function gate(overrides: Partial<GateState> = {}): GateState {
  return {
    id: 'isolate-host',
    step: 'Isolate web-1',
    summary: 'Cut web-1 off the network.',
    critical: false,
    requestedBy: 'palisade',
    requestedAt: '2026-11-23T01:00:00.000Z',
    deadline: '2026-11-23T01:15:00.000Z',
    expiresAt: '2026-11-23T01:30:00.000Z',
    tier: 0,
    status: 'open',
    votes: [],
    needed: 1,
    policy: {
      approvers: { identities: [], groups: [], roles: ['approver'] },
      quorum: 1,
      criticalQuorum: 2,
      fourEyes: true,
      timeout: '15m',
      escalation: [{ notify: 'secops-leads', timeout: '15m', slack: { channel: '#secops-leads', mention: 'S0LEADS' } }],
      fallback: 'deny',
      page: 'secops-oncall',
      slack: { channel: '#secops-approvals', unreachableAfter: '2m' },
    },
    ...overrides,
  };
}

const message = (g: GateState, title = 'Falco: shell in container on web-1'): ApprovalMessage => ({
  incident: { id: INCIDENT, title, severity: 'high', entity: 'host:web-1', playbook: 'host-compromise' },
  gate: g,
});
const render = (template: 'approval' | 'escalation' | 'fallback', g: GateState, title?: string): { text: string; blocks: Record<string, any>[] } =>
  templates.message(template, approvalView(message(g, title), { publicUrl: 'https://palisade.example.com' }));
const actionIds = (blocks: Record<string, any>[]) => blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: { action_id: string }) => e.action_id));

describe('Slack approval messages', () => {
  it('ask with Approve, Deny and Deny-with-reason buttons carrying the incident, the gate and its request time, and a link to the incident', () => {
    const g = gate();
    const { text, blocks } = render('approval', g);
    expect(text).toContain('Approval needed: Isolate web-1');
    expect(actionIds(blocks)).toEqual([SlackActionId.Approve, SlackActionId.Deny, SlackActionId.DenyWithReason]);
    const approve = blocks.find((b) => b.type === 'actions')!.elements[0];
    // The request time: a reopened incident asks the same gate again, and an old button must not count on the new request.
    expect(decodeGateRef(approve.value)).toEqual({ incidentId: INCIDENT, gateId: 'isolate-host', requestedAt: g.requestedAt });
    expect(JSON.stringify(blocks)).toContain(`https://palisade.example.com/incidents/${INCIDENT}`);
    expect(JSON.stringify(blocks)).toContain('Needs 1 approver, not the requester');
  });

  it('keep hostile text as text: quotes, newlines and Slack markup in a title neither break the JSON nor ping anyone', () => {
    const { blocks } = render('approval', gate({ step: 'Isolate "web-1"\n<!channel>' }), 'x" }, {"type": "<!here> & <@U0BOSS>');
    const mrkdwn = blocks.flatMap((b) => [b.text, ...(b.fields ?? [])]).filter((t) => t?.type === 'mrkdwn').map((t) => t.text as string);
    expect(mrkdwn.join('\n')).not.toMatch(/<!channel>|<!here>|<@U0BOSS>/);
    expect(mrkdwn.join('\n')).toContain('&lt;!here&gt; &amp; &lt;@U0BOSS&gt;');
  });

  it('once decided, show who decided and lose the buttons; votes show each voter, Slack users mentioned', () => {
    const votes = [
      { approverId: 'alice', decision: 'approve' as const, reason: '', via: 'slack' as const, slackUserId: 'U0ALICE01', at: '2026-11-23T01:02:00.000Z' },
      { approverId: 'bob', decision: 'approve' as const, reason: 'agreed', via: 'api' as const, at: '2026-11-23T01:03:00.000Z' },
    ];
    const { text, blocks } = render('approval', gate({ status: 'approved', votes, needed: 2, decidedAt: '2026-11-23T01:03:00.000Z' }));
    expect(text).toContain('Approved by alice, bob');
    expect(actionIds(blocks)).toEqual([]);
    const json = JSON.stringify(blocks);
    expect(json).toContain('<@U0ALICE01> approved');
    expect(json).toContain('bob approved');
    expect(json).toContain('_agreed_');
  });

  it('number the Approve buttons of a gate that offers options (action ids are unique within a message)', () => {
    const { blocks } = render('approval', gate({ options: ['revert', 'quarantine', 'accept'] }));
    expect(actionIds(blocks)).toEqual([`${SlackActionId.Approve}#0`, `${SlackActionId.Approve}#1`, `${SlackActionId.Approve}#2`, SlackActionId.Deny, SlackActionId.DenyWithReason]);
    const approve = blocks.find((b) => b.type === 'actions')!.elements[2];
    expect(decodeGateRef(approve.value)).toMatchObject({ choice: 'accept' });
  });

  it('escalate to the tier, mentioning its group, and post the fallback', () => {
    const escalated = render('escalation', gate({ tier: 1 }));
    expect(JSON.stringify(escalated.blocks)).toContain('<!subteam^S0LEADS>');
    expect(escalated.text).toContain('Escalated: approval still needed for Isolate web-1');
    const fallback = render('fallback', gate({ tier: 1, status: 'expired' }));
    expect(fallback.text).toContain('fallback deny applied');
  });

  it('refuse a template that does not render JSON, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-templates-'));
    for (const name of SLACK_TEMPLATES) fs.copyFileSync(`runbooks/templates/slack/${name}.json.hbs`, path.join(dir, `${name}.json.hbs`));
    fs.writeFileSync(path.join(dir, 'approval.json.hbs'), '{ "text": "{{gate.step}}", "blocks": [ }');
    expect(() => new SlackTemplates(dir).message('approval', approvalView(message(gate()), { publicUrl: 'http://x' }))).toThrow(/approval\.json\.hbs: did not render valid JSON/);
    fs.writeFileSync(path.join(dir, 'approval.json.hbs'), '{{#if}}');
    expect(() => new SlackTemplates(dir)).toThrow(/approval\.json\.hbs/);
  });
});

describe('Slack identities in approval rules', () => {
  it('let a member of a policy\'s Slack user group decide, and nobody else through it', () => {
    const g = gate({ policy: { ...gate().policy, approvers: { identities: [], groups: [], roles: [], slackGroups: ['S0PLATFORM'] } } });
    const dave = { id: 'slack:U0DAVE001', groups: [], roles: [], via: 'slack' as const, slackUserId: 'U0DAVE001', slackGroups: ['S0PLATFORM'] };
    expect(() => checkVote(g, { gateId: g.id, decision: 'approve', approver: dave }, new Date('2026-11-23T01:01:00Z'))).not.toThrow();
    const alice = { id: 'alice', groups: ['secops'], roles: ['approver'], via: 'slack' as const };
    expect(() => checkVote(g, { gateId: g.id, decision: 'approve', approver: alice }, new Date('2026-11-23T01:01:00Z'))).toThrow(VoteRejected);
    expect(() => checkVote(g, { gateId: g.id, decision: 'approve', approver: alice }, new Date('2026-11-23T01:01:00Z'))).toThrow(/Slack group S0PLATFORM/);
  });

  it('mention only well-formed Slack ids', () => {
    expect(slackMention('U0ALICE01')).toBe('<@U0ALICE01>');
    expect(slackMention('S0LEADS')).toBe('<!subteam^S0LEADS>');
    expect(slackMention('secops-leads')).toBeUndefined();
    expect(slackMention('U0X> <!channel')).toBeUndefined();
  });

  it('round-trip the gate a button names, and refuse values Palisade did not write', () => {
    const ref = { incidentId: INCIDENT, gateId: 'widen-wave-2', choice: 'proceed' };
    expect(decodeGateRef(encodeGateRef(ref))).toEqual(ref);
    expect(decodeGateRef('{"incidentId":"not-a-uuid","gateId":"x"}')).toBeUndefined();
    expect(decodeGateRef('approve')).toBeUndefined();
    expect(decodeGateRef(undefined)).toBeUndefined();
  });
});

describe('Slack configuration', () => {
  it('reads Slack settings from the policies file and the environment; half a Slack setup stops the start with what to set', () => {
    const policies = loadApprovalPolicies('runbooks/approvals.yaml');
    expect(policies.defaults.slack).toEqual({ channel: '#secops-approvals', unreachableAfter: '2m' });
    expect(policies.defaults.escalation[0].slack).toEqual({ channel: '#secops-leads', mention: 'S0SECOPSLEADS' });

    expect(loadConfig({}).slack).toBeUndefined();
    const on = loadConfig({ SLACK_SIGNING_SECRET: 's3cret', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: 'http://127.0.0.1:9/api' });
    expect(on.slack).toMatchObject({ signingSecret: 's3cret', botToken: 'xoxb-1', apiUrl: 'http://127.0.0.1:9/api/' });
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET is not set/);
  });
});
