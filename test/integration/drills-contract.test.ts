// The short version of the API contract drill (bench/drills/openapi-contract.ts): schemathesis
// (PyPI, pinned) against a test engine's GET /docs-json with --checks all, a few examples per
// operation and a fixed seed, so npm test sends the same cases each run; `npm run drills`
// explores afresh at full size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractDrill } from '../../bench/drills/openapi-contract';
import { startDrillTarget, type DrillTarget } from '../support/drill-target';

describe('API contract drill (short)', () => {
  let target: DrillTarget;
  const lines: string[] = [];
  beforeAll(async () => {
    target = await startDrillTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('schemathesis finds no failure in any operation of the document', async () => {
    const report = await contractDrill({ seed: 16017 })(target.cluster, { scale: 0.06, say: (line) => lines.push(line) });
    expect(report.losses, lines.join('\n')).toEqual([]);
    expect(report.found).toContain('no failures');
    // Every operation was tested, and test cases were generated for them.
    const [, selected, all] = /on (\d+)\/(\d+) operations/.exec(report.did[0]) ?? [];
    expect(Number(selected)).toBeGreaterThan(40);
    expect(selected).toBe(all);
    expect(report.found[0]).toMatch(/^test cases: [\d,]+ generated, [\d,]+ passed/);
  }, 900_000);
});
