// Drill 5, bad input: fuzzed bodies and headers to every source's webhook. The promise: no 5xx,
// no crash (GET /healthz still answers), and every answer a 2xx or a 4xx shaped
// {error, message, hint}. A share of the bodies is validly signed, so the parsers see garbage too,
// not only the signature checks. Then CPU exhaustion: unsigned 1 MB generic webhooks whose
// signature header holds 3,900 empty v1= candidates (once an HMAC of the body each), several at
// once, while GET /healthz is asked throughout: every one refused 401 malformed_signature, and
// /healthz answering all along.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { webhookSecretVariable } from '../../lib/config/env';
import { SOURCES, type SourceName } from '../../lib/intake/alert';
import { signedHeaders } from '../../lib/intake/signing';
import { inLanes } from '../support/drill-kit';
import { SOURCE_ADAPTERS } from '../../lib/intake/sources';
import { scaled, type Drill, type DrillCluster, type DrillOptions } from './drill';

/** Bodies per source at full size. */
const PER_SOURCE = 10_000;
/** Requests in flight at once. */
const CONCURRENCY = 16;
/** CPU exhaustion: requests at full size, in flight at once, and their shape (as a security review sent them). */
const CPU_REQUESTS = 200;
const CPU_CONCURRENCY = 4;
const CPU_BODY_BYTES = 1_000_000;
const CPU_CANDIDATES = 3_900;
const FIXTURES_DIR = path.resolve(__dirname, '../../test/fixtures/webhooks');

/** How a fuzzed request proves its sender: not at all, as the source expects, or with junk. */
type Proof = 'none' | 'signed' | 'junk';

interface FuzzCase {
  body: string;
  proof: Proof;
  contentType: string | undefined;
  event: string;
  headers: Record<string, string>;
}

/** What the API answered one request, or the failure to get an answer. */
interface Answer {
  status: number;
  text: string;
}

/** Headers a sender or an attacker plays with; fuzzed values override the signed ones except on signed cases. */
const HEADER_NAMES = [
  'authorization',
  'x-palisade-token',
  'x-palisade-timestamp',
  'x-palisade-signature',
  'x-palisade-delivery',
  'x-hub-signature-256',
  'x-github-event',
  'x-github-delivery',
  'x-amz-sns-message-type',
  'content-encoding',
] as const;

const printable = (maxLength: number) => fc.string({ maxLength, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });

function fixturesOf(source: SourceName): unknown[] {
  const dir = path.join(FIXTURES_DIR, source);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown);
}

/** A fixture with one to three fields, at any depth, replaced by arbitrary JSON or deleted. */
function mutatedFixture(fixtures: unknown[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.option(fc.jsonValue(), { nil: undefined }));
  return fc.tuple(fc.constantFrom(...fixtures), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([base, edits]) => {
    let body: any = structuredClone(base);
    for (const [pick, value] of edits) {
      const paths = pathsOf(body);
      const target = paths[pick % paths.length];
      if (target.length === 0) {
        body = value ?? null;
        continue;
      }
      const parent = target.slice(0, -1).reduce((node: any, key) => node[key], body);
      if (value === undefined) delete parent[target[target.length - 1]];
      else parent[target[target.length - 1]] = value;
    }
    return JSON.stringify(body) ?? 'null';
  });
}

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k]))];
}

function fuzzCases(source: SourceName): fc.Arbitrary<FuzzCase> {
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.string() },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')) },
    { weight: 2, arbitrary: mutatedFixture(fixturesOf(source)) },
  );
  return fc.record({
    body,
    proof: fc.constantFrom<Proof>('none', 'signed', 'signed', 'junk'),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded') },
      { weight: 1, arbitrary: printable(30) },
    ),
    event: fc.oneof(fc.constantFrom('secret_scanning_alert', 'ping', 'push'), printable(20)),
    headers: fc.dictionary(fc.constantFrom(...HEADER_NAMES), printable(60), { maxKeys: 3 }),
  });
}

/** The request a fuzz case makes: its body and headers, signed with the source's secret when it says so. */
function requestOf(source: SourceName, c: FuzzCase, secret: string): { body: Buffer; headers: Record<string, string> } {
  // Byte soup was made as latin1 text: sent back as those bytes; anything else as UTF-8.
  const body = Buffer.from(c.body, c.body === Buffer.from(c.body, 'latin1').toString('latin1') ? 'latin1' : 'utf8');
  const headers: Record<string, string> = c.contentType === undefined ? {} : { 'content-type': c.contentType };
  if (c.proof === 'signed') {
    const proof = signedHeaders(SOURCE_ADAPTERS[source].auth, body, secret, { event: c.event });
    // Fuzzed headers, but not over the proof: these requests are for the parsers.
    return { body, headers: { ...headers, ...withoutKeys(c.headers, Object.keys(proof)), ...proof } };
  }
  if (c.proof === 'junk') {
    const junk = signedHeaders(SOURCE_ADAPTERS[source].auth, body, `${secret}-not`, { event: c.event });
    return { body, headers: { ...headers, ...junk, ...c.headers } };
  }
  return { body, headers: { ...headers, ...c.headers } };
}

function withoutKeys(headers: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !keys.includes(k)));
}

/** Null when the answer keeps the promise, else what is wrong with it. */
function brokenPromise(answer: Answer): string | null {
  if (answer.status >= 200 && answer.status < 300) return null;
  if (answer.status < 400 || answer.status >= 500) return `answered ${answer.status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return `answered ${answer.status} with a body that is not JSON`;
  }
  const body = parsed as Record<string, unknown> | null;
  const keys = body && typeof body === 'object' ? Object.keys(body).sort().join(',') : '';
  if (keys !== 'error,hint,message' || !['error', 'hint', 'message'].every((k) => typeof body![k] === 'string')) {
    return `answered ${answer.status} without the {error, message, hint} shape`;
  }
  return null;
}

async function send(url: string, request: { body: Buffer; headers: Record<string, string> }): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', body: request.body, headers: request.headers, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, text: await res.text() };
}

/** Counts by key, printed most frequent first ("400 invalid_payload ×12"). */
class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  toString(): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n.toLocaleString('en-US')}`).join(', ');
  }
}

/** A 4xx answer's error code, for the tally. */
function codeOf(answer: Answer): string {
  try {
    const code = (JSON.parse(answer.text) as { error?: unknown } | null)?.error;
    return typeof code === 'string' ? code : '?';
  } catch {
    return '?';
  }
}

/** Milliseconds at a percentile of sorted samples. */
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * Unsigned 1 MB generic webhooks with thousands of empty signature candidates, CPU_CONCURRENCY
 * at a time, while GET /healthz is asked one after another until they are done.
 */
async function cpuExhaustion(cluster: DrillCluster, opts: DrillOptions): Promise<{ found: string[]; losses: string[] }> {
  const count = scaled(CPU_REQUESTS, opts, 4);
  const body = JSON.stringify({ title: 'padding', severity: 'low', entity: { kind: 'host', key: 'cpu' }, description: 'x'.repeat(CPU_BODY_BYTES - 100) });
  const headers = {
    'content-type': 'application/json',
    'x-palisade-timestamp': '0',
    'x-palisade-signature': Array(CPU_CANDIDATES).fill('v1=').join(','),
  };
  const refuseMs: number[] = [];
  const healthMs: number[] = [];
  const tally = new Tally();
  const losses: string[] = [];
  let sending = true;
  const health = (async () => {
    while (sending) {
      const t0 = Date.now();
      const status = await fetch(`${cluster.apiUrl}/healthz`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.status, () => 0);
      healthMs.push(Date.now() - t0);
      if (status !== 200) losses.push(`GET /healthz answered ${status || 'nothing'} during the CPU-exhaustion requests`);
    }
  })();
  await inLanes(Array.from({ length: count }), CPU_CONCURRENCY, async () => {
    // A fresh timestamp each: the header is refused before the timestamp's age is even looked at.
    const request = { body: Buffer.from(body), headers: { ...headers, 'x-palisade-timestamp': String(Math.floor(Date.now() / 1000)) } };
    const t0 = Date.now();
    try {
      const answer = await send(`${cluster.apiUrl}/webhooks/generic`, request);
      refuseMs.push(Date.now() - t0);
      const code = codeOf(answer);
      tally.add(`${answer.status} ${code}`);
      const problem = brokenPromise(answer);
      if (problem || answer.status !== 401 || code !== 'malformed_signature') losses.push(`a CPU-exhaustion request ${problem ?? `answered ${answer.status} ${code}`}, not 401 malformed_signature`);
    } catch (err) {
      tally.add('no answer');
      losses.push(`a CPU-exhaustion request got no answer (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  sending = false;
  await health;
  refuseMs.sort((a, b) => a - b);
  healthMs.sort((a, b) => a - b);
  const found = [
    `CPU exhaustion: ${count} unsigned ${(CPU_BODY_BYTES / 1e6).toFixed(0)} MB generic webhooks with ${CPU_CANDIDATES.toLocaleString('en-US')} empty v1= candidates, ${CPU_CONCURRENCY} at a time: ${tally.toString()}; refused in p50 ${pct(refuseMs, 50)} ms, max ${pct(refuseMs, 100)} ms`,
    `CPU exhaustion: GET /healthz meanwhile answered ${healthMs.length} times, p50 ${pct(healthMs, 50)} ms, max ${pct(healthMs, 100)} ms`,
  ];
  // One line per kind of loss is enough.
  return { found, losses: [...new Set(losses)] };
}

export const badInput: Drill = async (cluster, opts: DrillOptions) => {
  const perSource = scaled(PER_SOURCE, opts, 10);
  const seed = Date.now() % 2 ** 31;
  const did = [`sent ${perSource.toLocaleString('en-US')} fuzzed requests to each of ${SOURCES.length} sources, ${CONCURRENCY} at a time (fast-check seed ${seed})`];
  const found: string[] = [];
  const losses: string[] = [];
  let parsersSawGarbage = 0;

  for (const [s, source] of SOURCES.entries()) {
    const secret = cluster.secret(webhookSecretVariable(source));
    const cases = fc.sample(fuzzCases(source), { numRuns: perSource, seed: seed + s });
    const tally = new Tally();
    const broken = new Map<string, { n: number; example: string }>();
    await inLanes(cases, CONCURRENCY, async (c) => {
      const request = requestOf(source, c, secret);
      let problem: string | null;
      let answer: Answer | undefined;
      try {
        answer = await send(`${cluster.apiUrl}/webhooks/${source}`, request);
        problem = brokenPromise(answer);
        tally.add(answer.status < 300 ? `${answer.status}` : `${answer.status} ${codeOf(answer)}`);
        if (c.proof === 'signed' && answer.status === 400 && codeOf(answer) === 'invalid_payload') parsersSawGarbage++;
      } catch (err) {
        problem = `no answer (${err instanceof Error ? err.message : String(err)})`;
        tally.add('no answer');
      }
      if (problem) {
        const seen = broken.get(problem) ?? { n: 0, example: `${JSON.stringify(c.body).slice(0, 160)} → ${answer?.text.slice(0, 160) ?? ''}` };
        broken.set(problem, { ...seen, n: seen.n + 1 });
      }
    });
    opts.say(`bad input: ${source}: ${tally.toString()}`);
    found.push(`${source}: ${tally.toString()}`);
    for (const [problem, { n, example }] of broken) losses.push(`${source}: ${n} request(s) ${problem}, e.g. ${example}`);
  }

  found.push(`${parsersSawGarbage.toLocaleString('en-US')} validly signed bodies reached a parser and were refused as invalid_payload`);
  const cpu = await cpuExhaustion(cluster, opts);
  did.push(`sent unsigned 1 MB generic webhooks with ${CPU_CANDIDATES.toLocaleString('en-US')} empty signature candidates, ${CPU_CONCURRENCY} at a time, asking GET /healthz meanwhile`);
  found.push(...cpu.found);
  losses.push(...cpu.losses);
  const health = await fetch(`${cluster.apiUrl}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    (err: unknown) => `no answer (${err instanceof Error ? err.message : String(err)})`,
  );
  if (health === 200) found.push('GET /healthz answered 200 afterwards');
  else losses.push(`GET /healthz after the fuzzing: ${health}`);
  return { drill: 'bad-input', did, found, losses };
};
