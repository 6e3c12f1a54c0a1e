// A load generator in a process of its own (bench/support/processes.ts starts it): autocannon
// against one URL, every request a host-compromise alert signed for POST /webhooks/generic,
// signed here, so neither the signing nor autocannon shares an event loop with what it
// measures. Prints one JSON line: the run's figures.
//
//   node -r @swc-node/register bench/processes/load.ts '<LoadSpec as JSON>'
import autocannon from 'autocannon';
import { signGeneric } from '../support/webhooks';

export interface LoadSpec {
  url: string;
  secret: string;
  connections: number;
  /** Seconds; or `amount` requests in all. */
  durationSeconds?: number;
  amount?: number;
  /** A fixed offered load (requests/s in all), not saturation. */
  rate?: number;
  /** Each alert on its own host (`<prefix>-<n>`), or all on the host `<prefix>`. */
  entities: 'distinct' | 'one';
  prefix: string;
  /** The storm's host, when several generators storm one host (default: the prefix). */
  host?: string;
}

export interface LoadResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  sent: number;
  non2xx: number;
  errors: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  let n = 0;
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    connections: spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSeconds ?? 10 }),
    ...(spec.rate ? { overallRate: spec.rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const i = n++;
          const host = spec.entities === 'distinct' ? `${spec.prefix}-${i}` : (spec.host ?? spec.prefix);
          const signed = signGeneric(spec.secret, { title: `bench alert ${i}`, severity: 'high', category: 'host-compromise', id: `${spec.prefix}-a${i}`, entity: { kind: 'host', key: host } });
          return { ...req, body: signed.body, headers: { ...req.headers, ...signed.headers } };
        },
      },
    ],
  });
  const out: LoadResult = {
    requestsPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    sent: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
