import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeFaults, type FaultEvidence } from '../../lib/gamedays/fault-checks';
import type { FaultWindow } from '../../lib/gamedays/fault-windows';
import { assertFaultsSupported, type FaultInjector } from '../../lib/gamedays/faults';
import { loadScenario } from '../../lib/gamedays/scenario';
import { postmortemLinks, type ScoredIncident } from '../../lib/gamedays/scorecard';

const BAD = 'test/fixtures/gamedays/bad';
const T = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T + s * 1000).toISOString();

describe('infrastructure faults in a scenario', () => {
  it('reads `fault` entries beside the simulated fleet faults', () => {
    const s = loadScenario('test/fixtures/gamedays/faults.yaml');
    expect(s.faults).toEqual([
      { kind: 'infrastructure', at: '0s', fault: 'slack-down', for: '15s' },
      { kind: 'infrastructure', at: '12s', fault: 'worker-killed', for: '2s' },
      { kind: 'infrastructure', at: '17s', fault: 'api-killed', for: '1s' },
    ]);
    expect(loadScenario('test/fixtures/gamedays/short.yaml').faults).toEqual([{ kind: 'fleet', at: '0s', capability: 'hostIsolation', failNext: 2 }]);
  });

  it.each([
    ['unknown-fault.yaml', /unknown-fault\.yaml: faults\.0\.fault: .*worker-killed.*paging-down/],
    ['vendor-fault-forever.yaml', /vendor-fault-forever\.yaml: faults\.0\.for: a vendor outage needs `for`/],
    ['unknown-capability.yaml', /unknown-capability\.yaml: faults\.0\.capability: .*hostIsolation/],
  ])('%s is refused with the file, the field and the reason', (file, message) => {
    expect(() => loadScenario(path.join(BAD, file))).toThrow(message);
  });

  it('is refused up front where it cannot be produced, naming where it can run', () => {
    const s = loadScenario('runbooks/gamedays/temporal-history-down.yaml');
    expect(() => assertFaultsSupported(s, undefined)).toThrow(expect.objectContaining({ code: 'gameday_fault_unsupported', hint: expect.stringContaining('npm run gameday -- --cluster') }));
    const local: FaultInjector = { where: 'npm run gameday', supports: new Set(['worker-killed', 'api-killed', 'slack-down']), begin: async () => {}, end: async () => {} };
    expect(() => assertFaultsSupported(s, local)).toThrow(/temporal-history-down asks for temporal-history-down, which npm run gameday cannot produce/);
    expect(() => assertFaultsSupported(loadScenario('test/fixtures/gamedays/faults.yaml'), local)).not.toThrow();
  });
});

describe('the scorecard judges each fault', () => {
  const window = (over: Partial<FaultWindow> = {}): FaultWindow => ({ fault: 'worker-killed', at: '3s', for: '2s', setAt: at(3), endedAt: at(8), downMs: 5000, error: null, ...over });
  const incident = (over: Partial<ScoredIncident> = {}): ScoredIncident => ({
    id: 'aaaaaaaa-0000-0000-0000-000000000000',
    title: 't',
    playbook: 'host-compromise',
    entity: 'host:h',
    environment: 'production',
    status: 'resolved',
    alertCount: 1,
    times: { startedAt: at(0), openedAt: at(0), acknowledgedAt: null, containedAt: at(20), resolvedAt: at(25), closedAt: at(25) },
    toDetectMs: 0,
    toContainMs: 20_000,
    toResolveMs: 25_000,
    steps: 7,
    retries: 0,
    failedSteps: [],
    approvals: [{ gateId: 'isolate-host', outcome: 'approved', requestedAt: at(1), decidedAt: at(20), waitedMs: 19_000, decidedBy: ['bob'] }],
    waitingForApprovalMs: 19_000,
    notices: [],
    credentialRevokedAfterMs: null,
    wavesPatchedAfterBreach: null,
    postmortem: postmortemLinks('aaaaaaaa-0000-0000-0000-000000000000'),
    ...over,
  });
  const evidence = (over: Partial<FaultEvidence> = {}): FaultEvidence => ({
    windows: [window()],
    incidents: [incident()],
    answers: [{ sentAt: T, incidentId: incident().id, disposition: 'started', attempts: 1, duplicate: false }],
    slack: null,
    finishedAt: T + 30_000,
    ...over,
  });
  const lines = (e: FaultEvidence) => Object.fromEntries(judgeFaults(e).map((c) => [c.check, c]));

  it('passes a worker killed and back, its incident closed, its gate decided', () => {
    const by = lines(evidence());
    expect(Object.values(by).map((c) => [c.check, c.passed, c.value])).toEqual([
      ['process back', true, 'started again and ready 5s after the fault'],
      ['incidents closed', true, '1 of 1 incidents open during the fault closed'],
      ['gates decidable', true, '1 of 1 gates waiting during or after the fault decided (the last 12s after it ended)'],
    ]);
  });

  it('fails a process that never came back, an incident left open, a gate left waiting', () => {
    const by = lines(
      evidence({
        windows: [window({ endedAt: null, downMs: null, error: 'did not come back: exited while starting' })],
        incidents: [incident({ status: 'responding', times: { ...incident().times, resolvedAt: null, closedAt: null }, approvals: [{ ...incident().approvals[0], outcome: 'open', decidedAt: null, waitedMs: null, decidedBy: [] }] })],
      }),
    );
    expect(by['process back']).toMatchObject({ passed: false, value: 'did not come back: exited while starting' });
    expect(by['incidents closed']).toMatchObject({ passed: false, value: '0 of 1 incidents open during the fault closed (still aaaaaaaa responding)' });
    expect(by['gates decidable']).toMatchObject({ passed: false, value: expect.stringContaining('still waiting: aaaaaaaa/isolate-host') });
  });

  it('fails a fault no incident lived through: nothing was exercised', () => {
    expect(lines(evidence({ incidents: [incident({ times: { ...incident().times, closedAt: at(2) } })] }))['incidents closed']).toMatchObject({ passed: false, value: 'no incident was open during the fault: nothing to judge' });
  });

  it('fails alerts sent during an API outage that never got a 202, or that their incident does not count', () => {
    const id = incident().id;
    const api = window({ fault: 'api-killed' });
    const never = lines(evidence({ windows: [api], answers: [{ sentAt: T + 4000, incidentId: null, disposition: null, attempts: 9, duplicate: false }] }));
    expect(never['alerts reached their incidents']).toMatchObject({ passed: false, value: expect.stringMatching(/^0 of 1 alerts sent during the fault answered 202 \(1 after a retry\)/) });
    const answers = [
      { sentAt: T, incidentId: id, disposition: 'started' as const, attempts: 1, duplicate: false },
      { sentAt: T + 4000, incidentId: id, disposition: 'merged' as const, attempts: 3, duplicate: false },
    ];
    expect(lines(evidence({ windows: [api], answers }))['alerts reached their incidents']).toMatchObject({ passed: false, value: expect.stringContaining('miscounted: aaaaaaaa: 2 answered, 1 counted') });
    expect(lines(evidence({ windows: [api], answers, incidents: [incident({ alertCount: 2 })] }))['alerts reached their incidents']).toMatchObject({ passed: true });
  });

  describe('Slack down', () => {
    const id = incident().id;
    const slackDown = window({ fault: 'slack-down', setAt: at(0), endedAt: at(6), downMs: 6000 });
    const delivered = (...seconds: number[]) => seconds.map((s) => ({ incidentId: id, key: 'approval:isolate-host', at: T + s * 1000 }));
    const slack = (d: ReturnType<typeof delivered> | null, posted = true) => ({ posted: posted ? [{ incidentId: id, gateId: 'isolate-host' }] : [], delivered: d });

    it('passes a request delivered once after Slack came back', () => {
      expect(lines(evidence({ windows: [slackDown], slack: slack(delivered(9)) }))['Slack messages delivered once']).toMatchObject({
        passed: true,
        value: '1 of 1 approval requests due since the outage began (1 asked during it) and 0 of 0 incident posts reached Slack (the last 3s after it came back); 0 lost, 0 doubled',
      });
    });

    it('fails a request Slack received twice', () => {
      expect(lines(evidence({ windows: [slackDown], slack: slack(delivered(9, 12)) }))['Slack messages delivered once']).toMatchObject({ passed: false, value: expect.stringContaining('1 doubled (aaaaaaaa/approval:isolate-host)') });
    });

    it('fails a request the engine says it posted that Slack never got, or one still waiting that was never posted', () => {
      expect(lines(evidence({ windows: [slackDown], slack: slack(delivered()) }))['Slack messages delivered once']).toMatchObject({ passed: false, value: expect.stringContaining('1 lost (aaaaaaaa/isolate-host (the engine recorded it posted))') });
      const waiting = incident({ status: 'responding', approvals: [{ ...incident().approvals[0], outcome: 'open', decidedAt: null }] });
      expect(lines(evidence({ windows: [slackDown], incidents: [waiting], slack: slack(delivered(), false) }))['Slack messages delivered once']).toMatchObject({ passed: false, value: expect.stringContaining('still waiting, never posted') });
    });

    it("judges the incident's Slack post the paging outbox owed: delivered once, or lost while still queued", () => {
      const post = { kind: 'chat', vendor: 'slack', target: '#sec-incidents', status: 'posted', sentAt: at(9) };
      const posted = [...delivered(8), { incidentId: id, key: 'palisade_incident', at: T + 9000 }];
      expect(lines(evidence({ windows: [slackDown], incidents: [incident({ notices: [post] })], slack: slack(posted) }))['Slack messages delivered once']).toMatchObject({
        passed: true,
        value: expect.stringContaining('and 1 of 1 incident posts reached Slack (the last 3s after it came back)'),
      });
      const queued = incident({ notices: [{ ...post, status: 'posting', sentAt: null }] });
      expect(lines(evidence({ windows: [slackDown], incidents: [queued], slack: slack(delivered(8)) }))['Slack messages delivered once']).toMatchObject({
        passed: false,
        value: expect.stringContaining('1 lost (aaaaaaaa post to #sec-incidents (still posting at the end))'),
      });
    });

    it('fails when the environment cannot see what Slack received', () => {
      expect(lines(evidence({ windows: [slackDown], slack: slack(null) }))['Slack messages delivered once']).toMatchObject({ passed: false, value: expect.stringContaining('cannot see what Slack received') });
    });
  });
});
