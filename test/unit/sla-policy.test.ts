import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goalsFor, loadSlaPolicy } from '../../lib/sla/policy';
import { judge, nextClock, tally } from '../../lib/sla/status';

const file = (text: string) => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'palisade-sla-')), 'sla.yaml');
  writeFileSync(f, text);
  return f;
};

describe('SLA policy (runbooks/sla.yaml)', () => {
  it('loads the shipped policy; a playbook of its own wins measure by measure over its severity', () => {
    const policy = loadSlaPolicy('runbooks/sla.yaml', existsSync);
    expect(goalsFor(policy, { playbook: 'host-compromise', severity: 'high' }).map((g) => [g.measure, g.target, g.rule])).toEqual([
      ['acknowledge', '30m', 'high'],
      ['contain', '4h', 'high'],
      ['resolve', '30m', 'host-compromise/high'],
    ]);
    expect(goalsFor(policy, { playbook: 'secret-leak', severity: 'low' })).toEqual([]);
  });

  it('refuses a bad file naming the field, and reads a missing one as no targets', () => {
    expect(() => loadSlaPolicy(file('targets:\n  - { severity: high, acknowledge: soon }'), existsSync)).toThrow(/targets\.0\.acknowledge: must be a duration/);
    expect(() => loadSlaPolicy(file('targets:\n  - { severity: high }'), existsSync)).toThrow(/needs at least one of acknowledge, contain, resolve/);
    expect(() => loadSlaPolicy(file('targets:\n  - { severity: urgent, resolve: 1h }'), existsSync)).toThrow(/targets\.0\.severity/);
    expect(loadSlaPolicy('no/such/sla.yaml', existsSync).targets).toEqual([]);
  });

  it('judges each target met, missed or pending from the first sign, and names the next clock', () => {
    const policy = loadSlaPolicy(file('targets:\n  - { severity: high, acknowledge: 10m, contain: 1h, resolve: 4h }'), existsSync);
    const start = '2026-11-01T10:00:00.000Z';
    const times = { startedAt: start, openedAt: start, acknowledgedAt: '2026-11-01T10:20:00.000Z', containedAt: null, resolvedAt: null, closedAt: null };
    const now = new Date('2026-11-01T10:30:00.000Z');
    const verdicts = judge(policy, { playbook: 'x', severity: 'high' }, times, now);
    expect(verdicts.map((v) => [v.goal.measure, v.state, v.reached])).toEqual([
      ['acknowledge', 'missed', true],
      ['contain', 'pending', false],
      ['resolve', 'pending', false],
    ]);
    expect(nextClock(verdicts, now)).toEqual({ measure: 'contain', target: '1h', dueAt: '2026-11-01T11:00:00.000Z', timeLeftMs: 30 * 60_000 });
    // Cancelled after 2 h without containment: contain was missed while it was open; resolve no longer applies.
    const cancelled = judge(policy, { playbook: 'x', severity: 'high' }, { ...times, closedAt: '2026-11-01T12:00:00.000Z' }, now);
    expect(tally([verdicts, cancelled])).toEqual([
      { rule: 'high', measure: 'acknowledge', target: '10m', met: 0, missed: 2, pending: 0 },
      { rule: 'high', measure: 'contain', target: '1h', met: 0, missed: 1, pending: 1 },
      { rule: 'high', measure: 'resolve', target: '4h', met: 0, missed: 0, pending: 1 },
    ]);
  });
});
