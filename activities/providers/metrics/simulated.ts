import { Capability, type ProviderCall, type SliQuery, type SliReading } from '../../../lib/providers/capabilities';
import type { SimulatedFleet } from '../simulated/fleet';
import type { MetricsProvider } from './metrics.provider';

/**
 * An SLI reads its baseline (sim_slis, 0 when unset) until a host considered carries a patch
 * known to break it; then it reads the worst degraded value among those patches. Without
 * hostIds every host in service is considered.
 */
export class SimulatedMetrics implements MetricsProvider {
  constructor(private readonly fleet: SimulatedFleet) {}

  query(call: ProviderCall, query: SliQuery): Promise<SliReading> {
    const target = query.hostIds ? `${query.sli} on ${query.hostIds.join(',')}` : query.sli;
    return this.fleet.read(call, Capability.Metrics, 'query', target, async () => {
      const [row] = await this.fleet.db.query<{ samples: number; degraded: number | null; baseline: number | null }[]>(
        `WITH h AS (SELECT patches FROM sim_hosts
                   WHERE CASE WHEN $1::text[] IS NULL THEN replaced_by IS NULL ELSE id = ANY($1) OR hostname = ANY($1) END)
         SELECT (SELECT count(*)::int FROM h) AS samples,
                (SELECT max(p.degraded_value) FROM h CROSS JOIN jsonb_array_elements_text(h.patches) AS a(patch_id)
                   JOIN sim_patches p ON p.id = a.patch_id WHERE p.breaks_sli = $2) AS degraded,
                (SELECT value FROM sim_slis WHERE name = $2) AS baseline`,
        [query.hostIds ?? null, query.sli],
      );
      return { sli: query.sli, value: row.degraded ?? row.baseline ?? 0, samples: row.samples, at: new Date().toISOString() };
    });
  }
}
