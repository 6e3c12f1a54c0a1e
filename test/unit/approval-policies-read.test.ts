import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlaybookActivities } from '../../activities/playbook/playbook.activities';

// Each incident's opening reads its playbook's approval policies (activities/playbook). Issue 22:
// parsing and validating approvals.yaml at every opening took 3 to 9 ms of the worker's thread;
// the file is read again only when it changed.
describe('approval policies as an opening reads them', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const policies = (quorum: number) => `defaults:\n  approvers: { roles: [approver] }\n  quorum: ${quorum}\n  criticalQuorum: 2\n  fourEyes: true\n  timeout: 15m\n  escalation: []\n  fallback: deny\n  page: secops-oncall\n`;

  function approvalsFile(text: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-approvals-'));
    dirs.push(dir);
    const file = path.join(dir, 'approvals.yaml');
    writeFileSync(file, text);
    return file;
  }

  it('reads the file again only when it changed: the same version is not parsed again, a new one is', async () => {
    const file = approvalsFile(policies(1));
    const written = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000); // whole seconds: set back exactly below
    utimesSync(file, written, written);
    const activities = createPlaybookActivities({ db: {} as DataSource, approvalsFile: file, slackConnected: false });
    expect((await activities.loadApprovalPolicies('secret-leak')).fallback.quorum).toBe(1);

    // Bytes changed in place, same size, same time and inode: the same version to a reader that
    // goes by the file's stamp (a parse would refuse it: quorum must be a number).
    writeFileSync(file, readFileSync(file, 'utf8').replace('quorum: 1', 'quorum: x'));
    utimesSync(file, written, written);
    expect((await activities.loadApprovalPolicies('secret-leak')).fallback.quorum).toBe(1);

    // A real edit (a new time) applies to the next opening, and a bad one is refused as before.
    writeFileSync(file, policies(3));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect((await activities.loadApprovalPolicies('secret-leak')).fallback.quorum).toBe(3);
    writeFileSync(file, policies(3).replace('quorum: 3', 'quorum: x'));
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    await expect(activities.loadApprovalPolicies('secret-leak')).rejects.toThrow(/quorum/);
  });
});
