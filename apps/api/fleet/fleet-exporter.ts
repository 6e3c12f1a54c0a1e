import { Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';

/**
 * The simulated fleet's SLIs in Prometheus text format (GET /fleet/metrics), so a real
 * Prometheus can scrape them and the `prometheus` metrics vendor can read them with PromQL:
 *
 *   palisade_sim_sli{sli="error_rate", host="web-01", hostname="web-01.prod"} 0.01
 *     one series per SLI and host in service (not replaced): the value the simulated metrics
 *     vendor reads for that host alone — the worst degraded value of the patches it carries
 *     that break the SLI, else the SLI's baseline, else 0. A wave's reading is
 *     `max(palisade_sim_sli{sli="error_rate", host=~"web-01|web-02"})` (SIMULATED_FLEET_PROMQL).
 *   palisade_sim_sli_baseline{sli="error_rate"} 0.01
 *     the SLI's baseline (sim_slis), present even when no host is in service.
 *
 * The SLIs are those with a baseline and those a known patch breaks; any other name has no series.
 */
export async function simulatedFleetMetrics(db: DataSource): Promise<string> {
  const [perHost, baselines] = await Promise.all([
    db.query<{ sli: string; host: string; hostname: string; value: number }[]>(
      `WITH names AS (SELECT name FROM sim_slis UNION SELECT breaks_sli FROM sim_patches WHERE breaks_sli IS NOT NULL)
       SELECT n.name AS sli, h.id AS host, h.hostname,
              coalesce((SELECT max(p.degraded_value) FROM jsonb_array_elements_text(h.patches) AS a(patch_id)
                          JOIN sim_patches p ON p.id = a.patch_id WHERE p.breaks_sli = n.name),
                       (SELECT s.value FROM sim_slis s WHERE s.name = n.name), 0) AS value
       FROM names n CROSS JOIN sim_hosts h WHERE h.replaced_by IS NULL ORDER BY 1, 2`,
    ),
    db.query<{ sli: string; value: number }[]>(`SELECT name AS sli, value FROM sim_slis ORDER BY name`),
  ]);

  // A registry per scrape: prom-client escapes label values and help text, and nothing stale lingers.
  const registry = new Registry();
  const sli = new Gauge({
    name: 'palisade_sim_sli',
    help: 'A simulated SLI as read on one host in service (worst degraded value of its breaking patches, else the baseline).',
    labelNames: ['sli', 'host', 'hostname'] as const,
    registers: [registry],
  });
  const baseline = new Gauge({ name: 'palisade_sim_sli_baseline', help: "A simulated SLI's baseline (sim_slis).", labelNames: ['sli'] as const, registers: [registry] });
  for (const r of perHost) sli.set({ sli: r.sli, host: r.host, hostname: r.hostname }, Number(r.value));
  for (const r of baselines) baseline.set({ sli: r.sli }, Number(r.value));
  return registry.metrics();
}
