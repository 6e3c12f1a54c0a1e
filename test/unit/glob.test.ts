import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGlob, MAX_GLOB_PATTERN_CHARS } from '../../lib/intake/glob';
import { entityGlob, loadSuppressions, suppresses } from '../../lib/intake/suppressions';

/** What a glob means, as a regular expression: `*` is any run of characters (line breaks included). */
function reference(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*')}$`);
}

// A small alphabet so that patterns and keys overlap often; a line break and a regex metacharacter among them.
const char = fc.constantFrom('a', 'b', 'c', '.', '-', '\n', '%');
const text = (maxLength: number) => fc.array(char, { maxLength }).map((cs) => cs.join(''));
const pattern = fc.array(fc.oneof({ weight: 3, arbitrary: char }, { weight: 2, arbitrary: fc.constant('*') }), { maxLength: 10 }).map((cs) => cs.join(''));

describe('entity globs', () => {
  it('match exactly what the regular expression of the same glob matches (small inputs)', () => {
    fc.assert(
      fc.property(pattern, text(14), (p, key) => {
        expect(entityGlob(p).test(key)).toBe(reference(p).test(key));
      }),
      { numRuns: 5_000 },
    );
  });

  it('match a key that the pattern produced, whatever the stars stand for', () => {
    fc.assert(
      fc.property(pattern, fc.array(text(5), { maxLength: 12 }), (p, fills) => {
        let i = 0;
        const key = p.replace(/\*/g, () => fills[i++ % Math.max(fills.length, 1)] ?? '');
        expect(entityGlob(p).test(key)).toBe(true);
      }),
    );
  });

  it('apply a suppression to a key with a line break in it', () => {
    const window = { entityPattern: 'host:*', startsAt: new Date(0), endsAt: new Date(8.64e15) };
    expect(suppresses([window], ['host:web-1\nforged'])).toBe(true);
  });

  it('take linear steps on the adversarial pair that makes a backtracking matcher quadratic or worse', () => {
    // `*a*a*…*a*b` against a long run of `a`: a backtracking matcher retries every split.
    for (const n of [1_000, 10_000, 100_000]) {
      const glob = compileGlob(`${'*a'.repeat(100)}*b`);
      const steps = { count: 0 };
      expect(glob.test('a'.repeat(n), steps)).toBe(false);
      expect(steps.count).toBeLessThanOrEqual(2 * n + 4 * 202);
    }
    const overlapping = compileGlob(`*${'a'.repeat(50)}b*`);
    const steps = { count: 0 };
    expect(overlapping.test('a'.repeat(100_000), steps)).toBe(false);
    expect(steps.count).toBeLessThanOrEqual(2 * 100_000 + 4 * 52);
  });

  it('are refused past 300 characters in runbooks/suppressions.yaml, saying which window', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'palisade-glob-')), 'suppressions.yaml');
    const window = (entity: string) => `suppressions:\n  - { entity: "${entity}", from: 2024-01-01T00:00:00Z, until: 2024-01-02T00:00:00Z, reason: r, by: b }\n`;
    writeFileSync(file, window('*a'.repeat(MAX_GLOB_PATTERN_CHARS / 2)));
    expect(loadSuppressions(file)).toHaveLength(1);
    writeFileSync(file, window(`${'*a'.repeat(MAX_GLOB_PATTERN_CHARS / 2)}*`));
    expect(() => loadSuppressions(file)).toThrow(/window 1: entity .*300 characters/);
  });
});
