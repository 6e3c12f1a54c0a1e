import type { ProviderCall, SliQuery, SliReading } from '../../../lib/providers/capabilities';

/** Reads a service-level indicator (Prometheus, CloudWatch, the simulated fleet). */
export interface MetricsProvider {
  query(call: ProviderCall, query: SliQuery): Promise<SliReading>;
}
