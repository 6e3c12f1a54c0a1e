import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instant, inUtc } from '../../lib/instant';

describe('a time carried as the same instant in UTC', () => {
  it('moves an offset PostgreSQL refuses (past ±15:59) to UTC, keeping the fraction as written', () => {
    expect(inUtc('2026-12-06T03:05:06.875-17:48')).toBe('2026-12-06T20:53:06.875Z');
    // Falco writes nanoseconds: they are not cut to JavaScript's milliseconds.
    expect(inUtc('2026-05-01T12:00:00.123456789+05:30')).toBe('2026-05-01T06:30:00.123456789Z');
    expect(inUtc('2026-05-01T12:00:00+0530')).toBe('2026-05-01T06:30:00Z');
    expect(inUtc('2026-05-01T00:30:00+01:00')).toBe('2026-04-30T23:30:00Z');
  });

  it('leaves a time already in UTC, one without an offset, or one it cannot place as it is', () => {
    for (const time of ['2026-05-01T12:00:00.5Z', '2026-05-01T12:00:00', '2026-05-01', 'yesterday', '9999-12-31T23:00:00-17:00']) {
      expect(inUtc(time)).toBe(time);
    }
  });

  it('parses as a date-time with an offset, says what it expected, and documents a date-time string', () => {
    const schema = instant('2026-11-20T00:00:00Z');
    expect(schema.parse('2026-11-20T00:00:00-17:48')).toBe('2026-11-20T17:48:00Z');
    const refused = schema.safeParse('20 Nov 2026');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('expected an ISO 8601 date-time, e.g. 2026-11-20T00:00:00Z');
    expect(z.toJSONSchema(schema, { io: 'input' })).toMatchObject({ type: 'string', format: 'date-time' });
    expect(z.toJSONSchema(schema, { io: 'output' })).toMatchObject({ type: 'string', format: 'date-time' });
  });
});
