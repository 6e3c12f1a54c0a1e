import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAlerts } from '../../lib/gamedays/alerts';
import { GAMEDAYS_DIR, listScenarios, loadScenario, scenarioHosts } from '../../lib/gamedays/scenario';
import { evaluateSlos, postmortemLinks, renderScorecard, type ScoredIncident } from '../../lib/gamedays/scorecard';

const BAD = 'test/fixtures/gamedays/bad';

describe('game day scenarios', () => {
  it.each(listScenarios())('runbooks/gamedays/%s.yaml validates', (name) => {
    const scenario = loadScenario(path.join(GAMEDAYS_DIR, `${name}.yaml`));
    expect(scenario.name).toBe(name);
    expect(Object.keys(scenario.slos).length).toBeGreaterThan(0);
  });

  it('has one scenario per playbook and an alert storm of thousands of alerts over dozens of hosts', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(['host-compromise', 'secret-leak', 'config-drift', 'patch-canary', 'compromised-identity', 'alert-storm']));
    const storm = loadScenario(path.join(GAMEDAYS_DIR, 'alert-storm.yaml'));
    const planned = storm.alerts.flatMap((a) => planAlerts(a, scenarioHosts(storm)));
    expect(planned.filter((p) => !p.duplicate).length).toBeGreaterThanOrEqual(1000);
    expect(new Set(planned.map((p) => JSON.parse(p.body.toString()).entity.key)).size).toBeGreaterThanOrEqual(24);
    // Every alert delivered twice (a SIEM retrying): the same delivery id, the retry later.
    const originals = planned.filter((p) => !p.duplicate);
    expect(planned.length).toBe(2 * originals.length);
    expect(new Set(planned.map((p) => p.delivery)).size).toBe(originals.length);
    expect(planned.map((p) => p.atMs)).toEqual([...planned.map((p) => p.atMs)].sort((a, b) => a - b));
  });

  it.each([
    ['unknown-capability.yaml', /unknown-capability\.yaml: faults\.0\.capability: .*hostIsolation/],
    ['no-alerts.yaml', /no-alerts\.yaml: alerts: a game day needs at least one alert or run/],
    ['wrong-prefix.yaml', /wrong-prefix\.yaml: alerts\.0\.hosts: no host of the scenario's fleet starts with 'db-'/],
  ])('%s is refused with the file, the field and the reason', (file, message) => {
    expect(() => loadScenario(path.join(BAD, file))).toThrow(message);
  });

  it('generated hosts are spelled out and {{host}} / {{i}} filled in turn', () => {
    const scenario = loadScenario(path.join(BAD, '..', 'short.yaml'));
    expect(scenarioHosts(scenario).map((h) => h.id)).toEqual(['gd-short-1']);
    const planned = planAlerts(
      { at: '1s', source: 'generic', payload: { title: 'x {{i}}', entity: { key: '{{host}}' } }, event: 'e', hosts: ['a', 'b'], count: 3, over: '3s', duplicates: 0 },
      [],
    );
    expect(planned.map((p) => [p.atMs, JSON.parse(p.body.toString())])).toEqual([
      [1000, { title: 'x 1', entity: { key: 'a' } }],
      [2000, { title: 'x 2', entity: { key: 'b' } }],
      [3000, { title: 'x 3', entity: { key: 'a' } }],
    ]);
  });
});

describe('SLO evaluation', () => {
  const incident = (over: Partial<ScoredIncident>): ScoredIncident => ({
    id: 'aaaaaaaa-0000-0000-0000-000000000000',
    title: 't',
    playbook: 'host-compromise',
    entity: 'host:web-1',
    environment: 'production',
    status: 'resolved',
    alertCount: 1,
    times: { startedAt: null, openedAt: null, acknowledgedAt: null, containedAt: null, resolvedAt: null, closedAt: null },
    toDetectMs: 100,
    toContainMs: 60_000,
    toResolveMs: 120_000,
    steps: 5,
    retries: 2,
    failedSteps: [],
    approvals: [],
    waitingForApprovalMs: 0,
    notices: [],
    credentialRevokedAfterMs: null,
    wavesPatchedAfterBreach: null,
    postmortem: postmortemLinks('aaaaaaaa-0000-0000-0000-000000000000'),
    ...over,
  });

  it('judges each SLO on the incidents it is for, with the numbers', () => {
    const incidents = [
      incident({ id: 'prod-0001', toContainMs: 4 * 60_000 }),
      incident({ id: 'prod-0002', toContainMs: 6 * 60_000, failedSteps: [{ name: 'Isolate the host', error: 'offline' }] }),
      incident({ id: 'stag-0001', environment: 'staging', toContainMs: 10 * 60_000 }),
      incident({ id: 'leak-0001', playbook: 'secret-leak', entity: 'credential:k', environment: null, credentialRevokedAfterMs: 90_000 }),
    ];
    const results = evaluateSlos(
      { timeToContain: { max: '5m', for: { environment: 'production' } }, credentialRevokedWithin: '2m', maxFailedSteps: { max: 0, for: { playbook: 'host-compromise' } }, timeToResolve: { max: '3m', for: {} } },
      incidents,
    );
    const by = Object.fromEntries(results.map((r) => [r.slo, r]));
    expect(by.timeToContain).toMatchObject({ passed: false, target: '≤ 5m (production hosts)' });
    expect(by.timeToContain.details).toEqual([
      { incidentId: 'prod-0001', measured: 240_000, value: '4m 0s', passed: true },
      { incidentId: 'prod-0002', measured: 360_000, value: '6m 0s', passed: false },
    ]);
    expect(by.credentialRevokedWithin).toMatchObject({ passed: true, details: [{ incidentId: 'leak-0001', passed: true }] });
    expect(by.maxFailedSteps.details.map((d) => [d.incidentId, d.value, d.passed])).toEqual([
      ['prod-0001', '0', true],
      ['prod-0002', '1', false],
      ['stag-0001', '0', true],
    ]);
    expect(by.timeToResolve).toMatchObject({ passed: true });
  });

  it('judges noWaveWidenedPastBreach on patch-canary incidents only', () => {
    const [held] = evaluateSlos({ noWaveWidenedPastBreach: true }, [
      incident({ id: 'canary-ok', playbook: 'patch-canary', wavesPatchedAfterBreach: 0 }),
      incident({ id: 'host-1', wavesPatchedAfterBreach: null }),
    ]);
    expect(held).toMatchObject({ slo: 'noWaveWidenedPastBreach', passed: true, details: [{ incidentId: 'canary-ok', passed: true }] });
    const [broken] = evaluateSlos({ noWaveWidenedPastBreach: true }, [incident({ id: 'canary-bad', playbook: 'patch-canary', wavesPatchedAfterBreach: 1 })]);
    expect(broken).toMatchObject({ passed: false, details: [{ incidentId: 'canary-bad', value: '1 wave(s) patched after a breach', passed: false }] });
    expect(evaluateSlos({ noWaveWidenedPastBreach: true }, [incident({})])[0].passed).toBe(false);
  });

  it('fails an SLO nothing exercised, and a time never reached', () => {
    const [contain, revoke] = evaluateSlos({ timeToContain: { max: '5m', for: {} }, credentialRevokedWithin: '2m' }, [incident({ toContainMs: null })]);
    expect(contain).toMatchObject({ passed: false, details: [{ value: 'not reached', passed: false }] });
    expect(revoke).toMatchObject({ passed: false, details: [] });
    const md = renderScorecard({
      gameday: 'x',
      description: '',
      startedAt: 's',
      finishedAt: 'f',
      allClosed: true,
      alerts: { sent: 1, started: 1, merged: 0, duplicate: 0, suppressed: 0, rejected: 0 },
      faults: [],
      infrastructure: [],
      incidents: [incident({})],
      slos: [contain, revoke],
      checks: [],
      passed: false,
    });
    expect(md).toContain('FAILED');
    expect(md).toContain('no incident to judge');
    // Each incident links to its postmortem: the review responders complete, and the generated one.
    expect(md).toContain('## Postmortems\n\n- aaaaaaaa t: review /postmortems/aaaaaaaa-0000-0000-0000-000000000000, generated /incidents/aaaaaaaa-0000-0000-0000-000000000000/postmortem');
  });
});
