import { z } from 'zod';

// RFC 3339 allows offsets up to ±23:59; PostgreSQL's timestamptz refuses them past ±15:59
// ("time zone displacement out of range"), so a time a sender or a responder may rightly give
// would fail at the store: a 500, or a 503 a webhook sender retries forever. Every time that
// reaches the store is therefore carried as the same instant in UTC, once, here.

const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:?\d{2})$/;

/**
 * The same instant in UTC (`…Z`). The fraction is kept as written (Falco's nanoseconds are not
 * cut to JavaScript's milliseconds). A time already in UTC, one without an offset, or one
 * JavaScript cannot read is returned as it is: the caller's schema or the store judges it.
 */
export function inUtc(time: string): string {
  const parts = WITH_OFFSET.exec(time);
  if (!parts) return time;
  const [, whole, fraction = '', offset] = parts;
  const at = Date.parse(`${whole}${offset}`);
  if (!Number.isFinite(at)) return time;
  const utc = new Date(at).toISOString();
  // A year past 9999 has no four-digit form (`+010000-…`): left for the store to judge.
  return utc.length === 24 ? `${utc.slice(0, 19)}${fraction}Z` : time;
}

/**
 * An RFC 3339 date-time with its offset (`2026-11-20T09:30:00Z`, `…+02:00`), parsed into the
 * same instant in UTC. OpenAPI and JSON Schema still see a `date-time` string.
 */
export function instant(example = '2026-11-20T09:30:00Z') {
  return z.iso.datetime({ offset: true, message: `expected an ISO 8601 date-time, e.g. ${example}` }).overwrite(inUtc);
}
