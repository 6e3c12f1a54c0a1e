import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { MetricsService } from '../../apps/api/metrics/metrics.service';
import { InboxDispatcher } from '../../apps/api/webhooks/inbox-dispatcher.service';
import type { PalisadeConfig } from '../../lib/config/env';
import type { Catalogue } from '../../lib/playbooks/catalogue';

// The inbox gauges shared one read that awaited the inbox's depth and the runs working together:
// when one query failed, every inbox gauge of that scrape was blank, the inbox's depth with it.
describe('the inbox gauges', () => {
  it('keep the inbox depth when the runs-working count cannot be read, and blank only that gauge', async () => {
    const db = {
      query: async (sql: string) => {
        if (sql.includes("run_state = 'working'")) throw new Error('canceling statement due to statement timeout');
        if (sql.includes('FROM inbox')) return [{ pending: 12, age: 7.4, dead: 2 }];
        throw new Error(`unexpected query: ${sql}`);
      },
    } as unknown as DataSource;
    const config = { api: { readyInbox: { maxAgeSeconds: 60, maxPending: 10 }, runsWorkingMax: 10 } } as unknown as PalisadeConfig;
    const metrics = new MetricsService();
    new InboxDispatcher(db, {} as Client, config, {} as Catalogue, metrics);

    const gauges = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, (m.values[0] as { value: number } | undefined)?.value]));
    expect(gauges.get('palisade_inbox_pending')).toBe(12);
    expect(gauges.get('palisade_inbox_oldest_age_seconds')).toBe(7);
    expect(gauges.get('palisade_inbox_dead_letters')).toBe(2);
    expect(gauges.get('palisade_inbox_behind')).toBe(1);
    expect(gauges.get('palisade_dispatch_runs_working')).toBeNaN();
  });
});
