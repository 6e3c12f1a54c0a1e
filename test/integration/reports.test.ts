import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getJson, startTestEngine, tokenFor, type TestEngine } from '../support/engine';

/** Seconds after a base instant, as ISO 8601. */
const at = (base: string, seconds: number) => new Date(Date.parse(base) + seconds * 1000).toISOString();
const S = 1000;

interface Seed {
  playbook: string;
  severity: string;
  status: string;
  sources: string[];
  /** The first alert observed (null: reported by hand, so detection counts from detected_at). */
  first: string | null;
  detected: string;
  /** When Palisade opened it (its incident.created event). */
  created: string;
  acknowledged?: string;
  /** Acknowledged as the timeline says only (the projection's column left empty). */
  acknowledgedEvent?: string;
  contained?: string;
  resolved?: string;
  classification?: string;
  alerts: { source: string; rule: string | null; labels: Record<string, string>; title?: string }[];
}

// Measures over time, against numbers worked out by hand for a seeded set of incidents in a
// real Postgres (no worker: the rows are what playbooks and the door would have written).
describe('reports', () => {
  let engine: TestEngine;
  const A = '2025-03-03T10:00:00.000Z'; // a Monday
  const B = '2025-03-04T09:00:00.000Z';
  const C = '2025-03-05T08:00:00.000Z';
  const D = '2025-03-10T07:00:00.000Z'; // the next Monday
  const E = '2025-03-11T06:00:00.000Z';
  const F = '2025-03-12T06:00:00.000Z';
  const G = '2025-03-13T06:00:00.000Z';
  const shell = { source: 'falco', rule: 'host-shell', labels: { rule: 'Terminal shell in container' } };
  const seeds: Seed[] = [
    // detect 20 s, acknowledge 60 s, contain 120 s, resolve 600 s.
    { playbook: 'host-compromise', severity: 'high', status: 'resolved', sources: ['falco'], first: A, detected: at(A, 10), created: at(A, 20), acknowledged: at(A, 60), contained: at(A, 120), resolved: at(A, 600), classification: 'true_positive', alerts: [shell, shell] },
    // detect 10 s, acknowledge 30 s, never contained, resolve 300 s.
    { playbook: 'host-compromise', severity: 'critical', status: 'resolved', sources: ['falco', 'generic'], first: B, detected: at(B, 5), created: at(B, 10), acknowledged: at(B, 30), resolved: at(B, 300), classification: 'false_positive', alerts: [shell, { source: 'generic', rule: 'generic-default', labels: { rule: 'vpn-anomaly' } }] },
    // Reported by hand (no alert time): detect 5 s, acknowledge 15 s (a person's, on its timeline), contain 45 s, resolve 900 s.
    { playbook: 'secret-leak', severity: 'high', status: 'resolved', sources: ['github'], first: null, detected: C, created: at(C, 5), acknowledgedEvent: at(C, 15), contained: at(C, 45), resolved: at(C, 900), classification: 'true_positive', alerts: [{ source: 'github', rule: 'leaked-secrets', labels: { secretType: 'aws_access_key' } }] },
    // Still open: detect 40 s, nothing else.
    { playbook: 'host-compromise', severity: 'high', status: 'open', sources: ['falco'], first: D, detected: at(D, 1), created: at(D, 40), alerts: [shell] },
    // Cancelled as a false positive: detect 20 s, never resolved.
    { playbook: 'host-compromise', severity: 'high', status: 'cancelled', sources: ['falco'], first: E, detected: at(E, 2), created: at(E, 20), classification: 'false_positive', alerts: [shell] },
    // A drill: counted in response times (detect 8 s, resolve 60 s), not in false-positive rates.
    { playbook: 'secret-leak', severity: 'low', status: 'resolved', sources: ['falco'], first: F, detected: at(F, 4), created: at(F, 8), resolved: at(F, 60), classification: 'test', alerts: [shell] },
    // Closed before classifications were recorded: detect 6 s, resolve 120 s.
    { playbook: 'secret-leak', severity: 'low', status: 'resolved', sources: ['sentinel'], first: G, detected: at(G, 3), created: at(G, 6), resolved: at(G, 120), alerts: [{ source: 'sentinel', rule: 'sentinel-default', labels: {}, title: 'Impossible travel' }] },
  ];
  const period = 'since=2025-03-01T00:00:00Z&until=2025-04-01T00:00:00Z';

  /** Writes an incident, its milestone events and its alerts as the playbook and the door would have. */
  async function seed(s: Seed): Promise<void> {
    const id = randomUUID();
    await engine.db.query(
      `INSERT INTO incidents (id, workflow_id, title, severity, status, playbook, playbook_version, entity, detected_at, first_alert_at, acknowledged_at, contained_at, resolved_at, sources, alert_count, classification, classification_reason, classified_by)
       VALUES ($1, $2, 'seeded', $3, $4, $5, '1.0.0', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [id, `${s.playbook}:${id}`, s.severity, s.status, s.playbook, `host:${id}`, s.detected, s.first, s.acknowledged ?? null, s.contained ?? null, s.resolved ?? null, s.sources, s.alerts.length, s.classification ?? null, s.classification ? 'seeded' : null, s.classification ? 'carol' : null],
    );
    const events: [string, string, Record<string, unknown>][] = [['incident.created', s.created, {}]];
    // A person's acknowledgement on the timeline (a playbook's own status change to acknowledged is not one).
    if (s.acknowledgedEvent) events.push(['incident.acknowledged', s.acknowledgedEvent, { by: 'carol' }]);
    if (s.status === 'resolved') events.push(['incident.resolved', s.resolved!, {}]);
    for (const [i, [type, when, data]] of events.entries()) {
      await engine.db.query(`INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data) VALUES ($1, $2, $3, $4, $5, 'palisade', $4, $6)`, [
        `${id}#${i + 1}`,
        id,
        i + 1,
        type,
        when,
        JSON.stringify(data),
      ]);
    }
    for (const [i, a] of s.alerts.entries()) {
      await engine.db.query(
        `INSERT INTO alerts (id, source, delivery_id, delivery_index, received_at, observed_at, title, description, severity, severity_original, category, entity_kind, entity_key, entity_display, fingerprint, labels, secrets, raw, rule, playbook, incident_id, disposition)
         VALUES ($1, $2, $3, 0, $4, $4, $5, '', 'high', 'high', 'other', 'host', $6, $6, $3, $7, '[]', '{}', $8, $9, $10, 'started')`,
        [randomUUID(), a.source, `${id}-${i}`, s.detected, a.title ?? 'seeded alert', `host:${id}`, JSON.stringify(a.labels), a.rule, s.playbook, id],
      );
    }
  }

  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
    for (const s of seeds) await seed(s);
  });
  afterAll(async () => {
    await engine?.close();
  });

  const stats = (count: number, meanMs: number | null, medianMs: number | null, p90Ms: number | null) => ({ count, meanMs, medianMs, p90Ms });

  it('MTTD, MTTA, MTTC and MTTR per playbook, source and week match the hand-computed numbers', async () => {
    const viewer = await tokenFor(engine.baseUrl, 'dave', 'viewer');
    const byPlaybook = await getJson(`${engine.baseUrl}/reports/response-times?${period}&by=playbook`, viewer);
    expect(byPlaybook.status, JSON.stringify(byPlaybook.body)).toBe(200);
    expect(byPlaybook.body).toMatchObject({ period: { since: '2025-03-01T00:00:00.000Z', until: '2025-04-01T00:00:00.000Z' }, by: 'playbook', incidents: 7 });
    expect(byPlaybook.body.groups).toEqual([
      {
        key: 'host-compromise',
        incidents: 4,
        // detect 20, 10, 40, 20 s: mean 22.5 s; median (20 + 20) / 2; p90 at rank 2.7 of 10, 20, 20, 40 → 20 + 0.7 × 20 = 34 s.
        mttd: stats(4, 22.5 * S, 20 * S, 34 * S),
        // acknowledge 60, 30 s: p90 at rank 0.9 → 30 + 0.9 × 30 = 57 s.
        mtta: stats(2, 45 * S, 45 * S, 57 * S),
        mttc: stats(1, 120 * S, 120 * S, 120 * S),
        // resolve 600, 300 s (the open and the cancelled one have none).
        mttr: stats(2, 450 * S, 450 * S, 570 * S),
      },
      {
        key: 'secret-leak',
        incidents: 3,
        // detect 5, 8, 6 s; acknowledge 15 s (its timeline only); contain 45 s; resolve 900, 60, 120 s.
        mttd: stats(3, Math.round((19 / 3) * S), 6 * S, Math.round(7.6 * S)),
        mtta: stats(1, 15 * S, 15 * S, 15 * S),
        mttc: stats(1, 45 * S, 45 * S, 45 * S),
        // 60, 120, 900: mean 360 s, median 120 s, p90 at rank 1.8 → 120 + 0.8 × 780 = 744 s.
        mttr: stats(3, 360 * S, 120 * S, 744 * S),
      },
    ]);

    const all = await getJson(`${engine.baseUrl}/reports/response-times?${period}`, viewer);
    // resolve 600, 300, 900, 60, 120 s: mean 396 s, median 300 s, p90 at rank 3.6 → 600 + 0.6 × 300 = 780 s.
    expect(all.body.groups).toEqual([expect.objectContaining({ key: 'all', incidents: 7, mttr: stats(5, 396 * S, 300 * S, 780 * S) })]);

    const bySource = await getJson(`${engine.baseUrl}/reports/response-times?${period}&by=source`, viewer);
    expect(bySource.body.groups.map((g: { key: string; incidents: number; mttr: unknown }) => [g.key, g.incidents, g.mttr])).toEqual([
      ['falco', 5, stats(3, 320 * S, 300 * S, 540 * S)],
      ['generic', 1, stats(1, 300 * S, 300 * S, 300 * S)],
      ['github', 1, stats(1, 900 * S, 900 * S, 900 * S)],
      ['sentinel', 1, stats(1, 120 * S, 120 * S, 120 * S)],
    ]);

    const byWeek = await getJson(`${engine.baseUrl}/reports/response-times?${period}&by=week`, viewer);
    expect(byWeek.body.groups.map((g: { key: string; incidents: number }) => [g.key, g.incidents])).toEqual([
      ['2025-03-03', 3],
      ['2025-03-10', 4],
    ]);

    const onePlaybook = await getJson(`${engine.baseUrl}/reports/response-times?${period}&playbook=secret-leak`, viewer);
    expect(onePlaybook.body).toMatchObject({ incidents: 3, groups: [{ key: 'all', mttr: stats(3, 360 * S, 120 * S, 744 * S) }] });
  });

  it('false-positive rate per routing rule and per vendor rule, from the classifications', async () => {
    const res = await getJson(`${engine.baseUrl}/reports/false-positives?${period}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ classified: 5, unclassified: 1 });
    // host-shell sent alerts to 3 counted incidents (a true positive and two false ones); the drill is left out.
    expect(res.body.routingRules).toEqual([
      { rule: 'generic-default', incidents: 1, falsePositives: 1, rate: 1, byClassification: { false_positive: 1 } },
      { rule: 'host-shell', incidents: 3, falsePositives: 2, rate: 2 / 3, byClassification: { true_positive: 1, false_positive: 2 } },
      { rule: 'leaked-secrets', incidents: 1, falsePositives: 0, rate: 0, byClassification: { true_positive: 1 } },
    ]);
    expect(res.body.vendorRules).toEqual([
      { rule: 'generic: vpn-anomaly', source: 'generic', incidents: 1, falsePositives: 1, rate: 1, byClassification: { false_positive: 1 } },
      { rule: 'falco: Terminal shell in container', source: 'falco', incidents: 3, falsePositives: 2, rate: 2 / 3, byClassification: { true_positive: 1, false_positive: 2 } },
      { rule: 'github: aws_access_key', source: 'github', incidents: 1, falsePositives: 0, rate: 0, byClassification: { true_positive: 1 } },
    ]);
  });

  it('shows the last 30 days on /metrics: response times per playbook and the false-positive ratio per routing rule', async () => {
    const now = new Date(Date.now() - 3_600_000).toISOString();
    await seed({ playbook: 'config-drift', severity: 'low', status: 'resolved', sources: ['wazuh'], first: now, detected: at(now, 2), created: at(now, 10), resolved: at(now, 100), classification: 'false_positive', alerts: [{ source: 'wazuh', rule: 'drift-watch', labels: { rule_id: '550' } }] });
    const text = await eventually('the report gauges', async () => {
      const body = await (await fetch(`${engine.baseUrl}/metrics`)).text();
      return body.includes('palisade_false_positive_ratio{rule="drift-watch"}') ? body : undefined;
    });
    expect(text).toContain('palisade_incident_response_seconds{measure="mttr",playbook="config-drift",stat="mean"} 100');
    expect(text).toContain('palisade_incident_response_seconds{measure="mttd",playbook="config-drift",stat="p90"} 10');
    expect(text).toContain('palisade_false_positive_ratio{rule="drift-watch"} 1');
    // The seeded 2025 incidents are outside the last 30 days.
    expect(text).not.toContain('rule="host-shell"');
  });

  it('refuses a bad period or grouping with a clear error', async () => {
    expect(await getJson(`${engine.baseUrl}/reports/response-times?since=2025-04-01T00:00:00Z&until=2025-03-01T00:00:00Z`)).toMatchObject({ status: 400, body: { error: 'invalid_period' } });
    const by = await getJson(`${engine.baseUrl}/reports/response-times?by=planet`);
    expect(by).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(by.body.message).toContain('playbook, severity, source, day, week');
    expect(await getJson(`${engine.baseUrl}/reports/false-positives?since=yesterday`)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await getJson(`${engine.baseUrl}/reports/false-positives`, null)).toMatchObject({ status: 401 });
  });
});
