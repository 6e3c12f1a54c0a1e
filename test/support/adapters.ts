/**
 * Shared scaffolding for the webhook adapter unit tests (test/unit/sources/*.test.ts):
 * fixtures, a parse context and request, parse helpers, and the property checks every adapter must pass.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ALERT_CATEGORIES, ALERT_SEVERITIES, ENTITY_KINDS, type ParsedAlert, type SourceName } from '../../lib/intake/alert';
import { Redactor } from '../../lib/intake/redact';
import { PayloadError, type ParseContext, type SourceAdapter, type WebhookRequest } from '../../lib/intake/source';

const FIXTURES_DIR = path.join(__dirname, '../fixtures/webhooks');

/** Reads `test/fixtures/webhooks/<source>/<name>.json` afresh (tests may mutate what they get). */
export type FixtureLoader = (name: string, source?: SourceName) => any;

/** A loader for one source's fixtures; pass another source to read one of its fixtures instead. */
export function fixtureLoader(defaultSource: SourceName): FixtureLoader {
  return (name, source = defaultSource) => JSON.parse(readFileSync(path.join(FIXTURES_DIR, source, `${name}.json`), 'utf8'));
}

/** The parse context of a test: a redactor keyed with `test-key`. */
export function testContext(receivedAt: string): ParseContext {
  return { redactor: new Redactor(Buffer.from('test-key')), receivedAt };
}

/** A request as the server hands it to an adapter: no headers or query unless given. */
export function testRequest(receivedAt: string, init: { headers?: WebhookRequest['headers']; query?: WebhookRequest['query'] } = {}): WebhookRequest {
  return { headers: init.headers ?? {}, query: init.query ?? {}, receivedAt };
}

/** The PayloadError `fn` throws; fails the test if it returns or throws anything else. */
export function catchPayloadError(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadError);
    return err as PayloadError;
  }
  throw new Error('expected a PayloadError');
}

export interface AdapterHarness {
  receivedAt: string;
  ctx: ParseContext;
  /** The request `parse` and `problemsOf` use unless given another. */
  req: WebhookRequest;
  fixture: FixtureLoader;
  /** The alerts parsed from `body`; throws when the result is not alerts. */
  parse: (body: unknown, req?: WebhookRequest) => ParsedAlert[];
  /** The one alert parsed from `body`; fails when there is not exactly one. */
  parseOne: (body: unknown, req?: WebhookRequest) => ParsedAlert;
  /** The problems of the PayloadError parsing `body` throws; fails when it does not throw one. */
  problemsOf: (body: unknown, req?: WebhookRequest) => string[];
}

/** Context, request, fixtures and parse helpers for one adapter, its fixtures under `test/fixtures/webhooks/<adapter.name>/`. */
export function adapterHarness(
  adapter: SourceAdapter,
  options: { receivedAt: string; headers?: WebhookRequest['headers']; query?: WebhookRequest['query'] },
): AdapterHarness {
  const { receivedAt } = options;
  const ctx = testContext(receivedAt);
  const defaultReq = testRequest(receivedAt, options);
  const parse = (body: unknown, req = defaultReq): ParsedAlert[] => {
    const result = adapter.parse(body, req, ctx);
    if (result.kind !== 'alerts') throw new Error(`expected alerts, got ${result.kind}`);
    return result.alerts;
  };
  return {
    receivedAt,
    ctx,
    req: defaultReq,
    fixture: fixtureLoader(adapter.name),
    parse,
    parseOne: (body, req) => {
      const alerts = parse(body, req);
      expect(alerts).toHaveLength(1);
      return alerts[0];
    },
    problemsOf: (body, req = defaultReq) => catchPayloadError(() => adapter.parse(body, req, ctx)).problems,
  };
}

/** Any value at all: once as `fc.anything()` makes them, once with null prototypes, boxed primitives and sparse arrays. */
export function anyBodies(): fc.Arbitrary<unknown>[] {
  return [fc.anything(), fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true })];
}

type Path = (string | number)[];

/** Every path in a JSON value, the root (`[]`) included. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k]))];
}

/** A copy of `base` with each edit applied: the picked path (mod their number) set to the value, or deleted when it is undefined. */
function edited(base: unknown, edits: [number, unknown][]): unknown {
  let body: any = structuredClone(base);
  for (const [pick, value] of edits) {
    const paths = pathsOf(body);
    const target = paths[pick % paths.length];
    if (target.length === 0) {
      body = value;
      continue;
    }
    const parent = target.slice(0, -1).reduce((node, key) => node[key], body);
    const key = target[target.length - 1];
    if (value === undefined) delete parent[key];
    else parent[key] = value;
  }
  return body;
}

function isSnsNotification(body: unknown): body is { Type: 'Notification'; Message: string } {
  return typeof body === 'object' && body !== null && (body as any).Type === 'Notification' && typeof (body as any).Message === 'string';
}

/**
 * Fixtures with one to four fields, at any depth (the root included), replaced by arbitrary JSON or deleted.
 * With `insideSnsMessage`, an SNS notification has, half the time, the event inside its JSON `Message` edited instead.
 */
export function mutatedFixtures(fixtures: readonly unknown[], options: { insideSnsMessage?: boolean } = {}): fc.Arbitrary<unknown> {
  const edit = fc.tuple(fc.nat(), fc.option(fc.jsonValue(), { nil: undefined }));
  return fc
    .tuple(fc.constantFrom(...fixtures), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([base, edits, inner]) =>
      options.insideSnsMessage && inner && isSnsNotification(base)
        ? { ...base, Message: JSON.stringify(edited(JSON.parse(base.Message), edits)) }
        : edited(base, edits),
    );
}

/** What every parsed alert must satisfy, whatever the input. */
export function expectWellFormedAlert(alert: ParsedAlert, options: { normalizedTimes?: boolean } = {}): void {
  expect(ALERT_SEVERITIES).toContain(alert.severity);
  expect(typeof alert.severityOriginal).toBe('string');
  expect(ALERT_CATEGORIES).toContain(alert.category);
  expect(typeof alert.title).toBe('string');
  expect(typeof alert.description).toBe('string');
  expect(ENTITY_KINDS).toContain(alert.entity.kind);
  expect(typeof alert.entity.key).toBe('string');
  expect(alert.entity.key).not.toBe('');
  expect(typeof alert.entity.display).toBe('string');
  if (options.normalizedTimes) expect(new Date(alert.observedAt).toISOString()).toBe(alert.observedAt);
  else {
    expect(alert.observedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Number.isFinite(Date.parse(alert.observedAt))).toBe(true);
  }
  expect(alert.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  for (const v of Object.values(alert.labels)) expect(typeof v).toBe('string');
}

export interface PropertyOptions {
  numRuns: number;
  /** The request to parse with, or an arbitrary drawing one per run. */
  req: WebhookRequest | fc.Arbitrary<WebhookRequest>;
  ctx: ParseContext;
  /** The adapter normalizes `observedAt` to `Date#toISOString()` form (`2024-05-01T12:00:00.000Z`). */
  normalizedTimes?: boolean;
}

/**
 * For every body `bodies` draws: `parse` returns well-formed alerts or a control result, or throws a PayloadError
 * (never anything else), and `deliveryId` returns a string or undefined without throwing.
 */
export function expectOnlyAlertsOrPayloadError(adapter: SourceAdapter, bodies: fc.Arbitrary<unknown>, options: PropertyOptions): void {
  const check = (body: unknown, req: WebhookRequest): void => {
    const id = adapter.deliveryId(body, req);
    expect(id === undefined || typeof id === 'string').toBe(true);
    let result;
    try {
      result = adapter.parse(body, req, options.ctx);
    } catch (err) {
      if (err instanceof PayloadError) return;
      throw err;
    }
    if (result.kind === 'control') {
      expect(typeof result.message).toBe('string');
      expect(result.subscribeUrl === undefined || typeof result.subscribeUrl === 'string').toBe(true);
      return;
    }
    expect(result.kind).toBe('alerts');
    for (const alert of result.alerts) expectWellFormedAlert(alert, options);
  };
  const { req, numRuns } = options;
  // A fixed request stays out of the counterexamples fast-check reports.
  if (req instanceof fc.Arbitrary) fc.assert(fc.property(bodies, req, check), { numRuns });
  else fc.assert(fc.property(bodies, (body) => check(body, req)), { numRuns });
}
