import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, REPO_ROOT, spawnCli } from '../support/cli';

// `palisade replay check` on the committed histories and on a changed one, as a user runs it.
const cli = (...args: string[]) => finished(spawnCli(args));

describe('palisade replay check', () => {
  it('replays the recorded histories (exit 0), and names a history that no longer replays (exit 6)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-replay-'));
    try {
      // A recorded triage run whose first activity, as if the code had renamed it since.
      const history = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/histories/triage-resolved.json'), 'utf8'));
      const scheduled = history.events.find((e: any) => e.activityTaskScheduledEventAttributes).activityTaskScheduledEventAttributes;
      const renamed = scheduled.activityType.name as string;
      scheduled.activityType.name = 'aRenamedActivity';
      writeFileSync(path.join(dir, 'triage-changed.json'), JSON.stringify(history));
      writeFileSync(path.join(dir, 'manual-incident.json'), readFileSync(path.join(REPO_ROOT, 'test/histories/manual-incident.json')));

      const run = (...args: string[]) => cli('replay', 'check', ...args);
      const [recorded, changed] = await Promise.all([run(), run('--dir', dir, '--json')]);

      expect(recorded.status, recorded.stderr).toBe(0);
      expect(recorded.stdout).toMatch(/^ {2}✓ host-compromise-open-gate\.json {2}hostCompromise, \d+ events$/m);
      expect(recorded.stdout).toMatch(/^All \d+ histories replay\.$/m);
      expect(recorded.stdout).not.toContain('✗');

      expect(changed.status).toBe(6);
      const report = JSON.parse(changed.stdout);
      expect(report.ok).toBe(false);
      expect(report.histories).toEqual([
        expect.objectContaining({ file: 'manual-incident.json', ok: true }),
        expect.objectContaining({ file: 'triage-changed.json', workflowType: 'triageIncident', ok: false }),
      ]);
      expect(report.histories[1].reason).toContain('DeterminismViolationError');
      expect(report.histories[1].reason).toContain(`'aRenamedActivity' does not match activity type of activity command '${renamed}'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
