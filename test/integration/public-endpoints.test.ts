import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READINESS_TTL_MS } from '../../apps/api/health/health.service';
import { METRICS_TTL_MS } from '../../apps/api/metrics/playbook-metrics';
import { startTestEngine, type TestEngine } from '../support/engine';

// /readyz and /metrics need no token, so anyone can flood them: each must reach Postgres and
// Temporal at most once per its cache's lifetime, however many requests arrive. What reaches
// them is counted on the API's own DataSource and Temporal connection (passed through, never faked).
describe('the public endpoints under a flood', () => {
  let engine: TestEngine;
  const sql: string[] = [];
  let systemInfo = 0;

  beforeAll(async () => {
    engine = await startTestEngine();
    const db = engine.app.get(DataSource);
    const query = db.query.bind(db);
    db.query = ((text: string, ...rest: unknown[]) => {
      sql.push(text);
      return (query as (...args: unknown[]) => Promise<unknown>)(text, ...rest);
    }) as DataSource['query'];
    const service = engine.app.get(Client).connection.workflowService;
    const getSystemInfo = service.getSystemInfo.bind(service);
    service.getSystemInfo = ((...args: Parameters<typeof getSystemInfo>) => {
      systemInfo++;
      return getSystemInfo(...args);
    }) as typeof service.getSystemInfo;
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** Sends `n` GETs at once and returns how long they took, in ms. */
  async function flood(path: string, n: number): Promise<number> {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: n }, () => fetch(`${engine.baseUrl}${path}`).then(async (r) => ({ status: r.status, text: await r.text() }))));
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    return Date.now() - started;
  }

  it('/readyz: 300 requests at once reach Postgres and Temporal once per cache lifetime', async () => {
    const before = { select1: sql.filter((q) => q === 'SELECT 1').length, systemInfo };
    const ms = await flood('/readyz', 300);
    const allowed = 1 + Math.ceil(ms / READINESS_TTL_MS);
    expect(sql.filter((q) => q === 'SELECT 1').length - before.select1).toBeLessThanOrEqual(allowed);
    expect(systemInfo - before.systemInfo).toBeLessThanOrEqual(allowed);
    expect(systemInfo - before.systemInfo).toBeGreaterThan(0);
  });

  it('/metrics: 300 scrapes at once read the open incidents from Postgres once per cache lifetime', async () => {
    const reads = () => sql.filter((q) => q.includes('FROM incidents WHERE status NOT IN')).length;
    const before = reads();
    const ms = await flood('/metrics', 300);
    expect(reads() - before).toBeGreaterThan(0);
    expect(reads() - before).toBeLessThanOrEqual(1 + Math.ceil(ms / METRICS_TTL_MS));
  });
});
