import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVERY_CHANGE, LATER_PATCH, PATCH } from '../../workflows/shared/patches';

const ROOT = path.resolve(__dirname, '../..');

/**
 * EVERY_CHANGE stands for exactly the changes PATCH held when it was made: a run begun with it
 * takes them all without asking each. A change added to PATCH later would be taken, unasked,
 * by a run begun before it, and that run's history would no longer replay.
 */
describe('EVERY_CHANGE', () => {
  it('covers exactly the changes PATCH held when it was made (a later change goes in LATER_PATCH)', () => {
    expect(Object.values(PATCH)).toEqual([
      'critical-incident-raises-open-gates',
      'sources-upserted-on-change',
      'run-checks-its-incident',
      'close-hands-back-late-alerts',
      'stale-batches-ignored',
      'hand-started-runs-ask',
      'undo-needs-approval',
      'one-lifecycle',
      'escalation-pages',
      'local-projection-writes',
      'projection-activities-again',
      'close-records-classification',
      'responding-not-acknowledged',
      'assignment-on-open',
      'timeline-held-for-next-write',
      'status-held-for-next-write',
      'opening-reads-first-alert',
      'opening-batch-held',
      'close-after-queued-alerts',
    ]);
    const names = [...Object.values(PATCH), EVERY_CHANGE, ...Object.values(LATER_PATCH)];
    expect(new Set(names).size).toBe(names.length);
  });

  it('is how the runner asks for them: no patched(PATCH.…) in the runner, only run.changed()', () => {
    const dir = path.join(ROOT, 'workflows/shared');
    const asked = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => (readFileSync(path.join(dir, f), 'utf8').match(/(?<![\w.])patched\(PATCH\.\w+\)/g) ?? []).map((call) => `${f}: ${call}`));
    expect(asked).toEqual([]);
  });
});
