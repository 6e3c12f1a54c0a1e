import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusMetrics, SIMULATED_FLEET_PROMQL, type PrometheusMetricsConfig } from '../../activities/providers/metrics/prometheus';
import { SimulatedPatching } from '../../activities/providers/patching/simulated';
import { SimulatedFleet } from '../../activities/providers/simulated/fleet';
import { ProviderErrorType, type SliQuery, type SliReading } from '../../lib/providers/capabilities';
import { eventually, startTestEngine, type TestEngine } from '../support/engine';
import { startPrometheus, type TestPrometheus } from '../support/prometheus';
import { failure } from '../support/failures';

// The `prometheus` metrics vendor against a real Prometheus (Debian's package) scraping the
// simulated fleet's exporter (GET /fleet/metrics) on a real API and Postgres, every second.
describe('the prometheus metrics vendor', () => {
  const tag = randomUUID().slice(0, 8);
  const sli = `error_rate_${tag}`;
  const patchId = `KB-${tag}`;
  const healthy = `pm-${tag}-a`;
  // Quotes and backslashes in a label value: escaped by the exporter, matched by the provider's regex.
  const odd = `pm-${tag}-"odd\\.host`;
  const call = () => ({ idempotencyKey: randomUUID(), incidentId: 'inc-prom' });

  let engine: TestEngine;
  let prom: TestPrometheus;
  let fleet: SimulatedFleet;
  const metrics = (config: Partial<PrometheusMetricsConfig> = {}) => new PrometheusMetrics({ baseUrl: prom.url, defaultQuery: SIMULATED_FLEET_PROMQL, timeout: '5s', ...config });

  /** Polls until a query reads `value` (Prometheus scrapes every second; its lookback keeps an old sample for a while). */
  const readsEventually = (provider: PrometheusMetrics, q: SliQuery, value: number): Promise<SliReading> =>
    eventually(
      `${q.sli} to read ${value}`,
      async () => {
        const r = await provider.query(call(), q).catch(() => undefined);
        return r?.value === value ? r : undefined;
      },
      30_000,
    );


  beforeAll(async () => {
    engine = await startTestEngine({ withWorker: false });
    fleet = new SimulatedFleet(engine.db);
    await fleet.addHost({ id: healthy, hostname: `${healthy}.prod`, environment: 'production' });
    await fleet.addHost({ id: odd, environment: 'production' });
    await fleet.setSli(sli, 0.01);
    await fleet.addPatch({ id: patchId, breaksSli: sli, degradedValue: 0.3 });
    prom = await startPrometheus([`${engine.baseUrl}/fleet/metrics`]);
  });
  afterAll(async () => {
    await prom?.stop();
    await engine?.close();
  });

  it('exports the simulated SLIs in Prometheus text format, without a token', async () => {
    const res = await fetch(`${engine.baseUrl}/fleet/metrics`);
    expect(res.status).toBe(200);
    const type = res.headers.get('content-type') ?? '';
    expect(type.split(';')[0]).toBe('text/plain');
    expect(type).toContain('version=0.0.4');
    const text = await res.text();
    expect(text).toContain('# TYPE palisade_sim_sli gauge');
    expect(text).toContain(`palisade_sim_sli{sli="${sli}",host="${healthy}",hostname="${healthy}.prod"} 0.01`);
    expect(text).toContain(`palisade_sim_sli{sli="${sli}",host="pm-${tag}-\\"odd\\\\.host",hostname="pm-${tag}-\\"odd\\\\.host"} 0.01`);
    expect(text).toContain(`palisade_sim_sli_baseline{sli="${sli}"} 0.01`);
  });

  it('reads an SLI through real PromQL, and follows the fleet when it changes', async () => {
    const provider = metrics();
    const first = await readsEventually(provider, { sli, hostIds: [healthy] }, 0.01);
    expect(first).toMatchObject({ sli, value: 0.01, samples: 1 });
    expect(Date.now() - Date.parse(first.at)).toBeLessThan(60_000);
    expect(provider.promql({ sli, hostIds: [healthy, odd] })).toBe(`max(palisade_sim_sli{sli="${sli}", host=~"${healthy}|pm-${tag}-\\"odd\\\\\\\\\\\\.host"})`);

    // A breaking patch on one host: the wave that includes it reads the worst value; the other host keeps its baseline.
    const patching = new SimulatedPatching(fleet);
    await patching.apply(call(), patchId, [odd]);
    expect((await readsEventually(provider, { sli, hostIds: [healthy, odd] }, 0.3)).samples).toBe(1);
    expect((await provider.query(call(), { sli, hostIds: [healthy] })).value).toBe(0.01);
    expect((await provider.query(call(), { sli })).value).toBe(0.3);

    await patching.rollback(call(), patchId, [odd]);
    await fleet.setSli(sli, 0.02);
    await readsEventually(provider, { sli, hostIds: [healthy, odd] }, 0.02);
  });

  it('in range mode reads the worst value over the window', async () => {
    const rangeSli = `latency_${tag}`;
    await fleet.setSli(rangeSli, 250);
    const instant = metrics();
    await readsEventually(instant, { sli: rangeSli, hostIds: [healthy] }, 250);
    await fleet.setSli(rangeSli, 40);
    await readsEventually(instant, { sli: rangeSli, hostIds: [healthy] }, 40);

    const range = metrics({ mode: 'range', step: '1s' });
    const worst = await range.query(call(), { sli: rangeSli, hostIds: [healthy], window: '2m' });
    expect(worst.value).toBe(250);
    expect(worst.samples).toBeGreaterThan(1);
  });

  it('fails Invalid on PromQL that Prometheus rejects', async () => {
    const err = await failure(metrics({ slis: { broken: 'sum(rate(palisade_sim_sli[' } }).query(call(), { sli: 'broken' }));
    expect(err.type).toBe(ProviderErrorType.Invalid);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('bad_data');
  });

  it('never reads no data as healthy: no series, or NaN only, is NotFound', async () => {
    const none = await failure(metrics().query(call(), { sli: `missing_${tag}`, hostIds: [healthy] }));
    expect(none.type).toBe(ProviderErrorType.NotFound);
    expect(none.nonRetryable).toBe(true);
    expect(none.message).toContain('no series matched');

    // 0/0, as an error ratio reads with no traffic.
    const nan = await failure(metrics({ slis: { idle_ratio: `sum(palisade_sim_sli{sli="${sli}", host=~"{{hosts}}"}) * 0 / 0` } }).query(call(), { sli: 'idle_ratio', hostIds: [healthy] }));
    expect(nan.type).toBe(ProviderErrorType.NotFound);
    expect(nan.message).toContain('NaN');
  });

  it('fails Unavailable when Prometheus hangs past the timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const started = Date.now();
      const err = await failure(new PrometheusMetrics({ baseUrl: `http://127.0.0.1:${port}`, timeout: '500ms' }).query(call(), { sli }));
      expect(err.type).toBe(ProviderErrorType.Unavailable);
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toContain('no answer within 500 ms');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  it('types the answers a proxy or an overloaded Prometheus gives', async () => {
    // A loopback stand-in answering as Prometheus (or the proxy in front of it) does, by the query it gets.
    const answers: Record<string, [number, string]> = {
      denied: [401, 'Unauthorized'],
      busy: [503, JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' })],
      gateway: [502, '<html>Bad Gateway</html>'],
      execution: [422, JSON.stringify({ status: 'error', errorType: 'execution', error: 'found duplicate series for the match group' })],
      slow: [429, 'Too Many Requests'],
    };
    const server = http.createServer((req, res) => {
      const [status, body] = answers[new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? ''] ?? [404, 'not found'];
      res.writeHead(status).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as net.AddressInfo;
      const provider = new PrometheusMetrics({ baseUrl: `http://127.0.0.1:${port}/`, slis: Object.fromEntries(Object.keys(answers).map((k) => [k, k])) });
      const typeOf = async (q: string) => (await failure(provider.query(call(), { sli: q }))).type;
      expect(await typeOf('denied')).toBe(ProviderErrorType.Denied);
      expect(await typeOf('busy')).toBe(ProviderErrorType.Unavailable);
      expect(await typeOf('gateway')).toBe(ProviderErrorType.Unavailable);
      expect(await typeOf('execution')).toBe(ProviderErrorType.Invalid);
      expect(await typeOf('slow')).toBe(ProviderErrorType.Throttled);
      expect(await typeOf('elsewhere')).toBe(ProviderErrorType.Invalid);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('fails Unavailable when Prometheus is down', async () => {
    const provider = metrics();
    await readsEventually(provider, { sli, hostIds: [healthy] }, 0.02);
    await prom.stop();
    const err = await failure(provider.query(call(), { sli, hostIds: [healthy] }));
    expect(err.type).toBe(ProviderErrorType.Unavailable);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('did not answer');
  });
});
