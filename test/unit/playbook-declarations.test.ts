import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalogue } from '../../apps/playbooks/load';
import { checkApprovalPolicies } from '../../lib/approvals/policy-check';
import type { Catalogue } from '../../lib/playbooks/catalogue';
import { approval, definePlaybook, step } from '../../workflows/kit';

// Gates and steps are closed lists: a name the declaration does not list fails the type check
// (`npm test` runs tsc first; each @ts-expect-error below fails it if the error goes away).
const typed = definePlaybook({
  name: 'typed-example',
  description: 'Type checks only: never run.',
  versioning: { behavior: 'AUTO_UPGRADE', reason: 'type checks only' },
  params: z.object({}),
  gates: ['isolate-host'],
  steps: ['Isolate the host', 'Patch wave {n}'],
  async run(run) {
    await approval(run, { gate: 'isolate-host', step: 'Isolate', summary: 'cut it off' });
    // @ts-expect-error a misspelled gate
    await approval(run, { gate: 'isolate-hots', step: 'Isolate', summary: 'cut it off' });
    // @ts-expect-error a gate of another playbook
    await approval(run, { gate: 'replace-host', step: 'Replace', summary: 'rebuild it' });
    // @ts-expect-error the runner's undo-containment gate is not the playbook's to ask at
    await approval(run, { gate: 'undo-containment', step: 'Undo', summary: 'undo' });
    await step(run, 'Patch wave 3', async () => undefined);
    // @ts-expect-error a step the declaration does not list
    await step(run, 'Isolate host', async () => undefined);
    return 'done';
  },
});

// Every playbook says what its open runs do when a new build is deployed, and why.
// @ts-expect-error a declaration without its versioning behaviour
definePlaybook({ name: 'unversioned', description: 'Type checks only.', params: z.object({}), gates: [], steps: [], run: async () => 'done' });
// @ts-expect-error a behaviour without its reason
definePlaybook({ name: 'no-reason', description: 'Type checks only.', versioning: { behavior: 'PINNED' }, params: z.object({}), gates: [], steps: [], run: async () => 'done' });

describe('playbook declarations', () => {
  it('list their gates and steps as declared; the runner gate only for a playbook that contains', () => {
    expect(typed.allGates).toEqual(['isolate-host']);
    expect(typed.workflowType).toBe('typedExample');
    expect(typed.version).toBe('1.0.0');
  });

  it('carry their versioning behaviour to the workflow the worker runs', async () => {
    expect((typed.workflow as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions).toEqual({ versioningBehavior: 'AUTO_UPGRADE' });
    const catalogue = await shippedCatalogue();
    for (const entry of catalogue.entries) {
      expect(entry.versioning.behavior, entry.name).toMatch(/^(AUTO_UPGRADE|PINNED)$/);
      expect(entry.versioning.reason.length, entry.name).toBeGreaterThan(20);
    }
  });
});

describe('approvals.yaml against the catalogue', () => {
  let dir: string;
  let catalogue: Catalogue;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-approvals-'));
    catalogue = await shippedCatalogue();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, yaml: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, yaml);
    return f;
  };

  it('accepts the shipped file', () => {
    expect(() => checkApprovalPolicies(path.resolve(__dirname, '../../runbooks/approvals.yaml'), catalogue)).not.toThrow();
  });

  it('stops at a misspelled gate with the file, the line, the bad name and the known ones', () => {
    const f = file('gate.yaml', 'defaults:\n  quorum: 1\nplaybooks:\n  host-compromise:\n    gates:\n      isolate-host: {}\n      isolate-hots: { quorum: 2 }\n');
    expect(() => checkApprovalPolicies(f, catalogue)).toThrow(`${f}:7: playbooks.host-compromise.gates.isolate-hots is not a gate of host-compromise.`);
    try {
      checkApprovalPolicies(f, catalogue);
    } catch (err) {
      expect((err as { hint?: string }).hint).toContain('Gates of host-compromise: isolate-host, replace-host, undo-containment');
    }
  });

  it('stops at an unknown playbook with its line and the known playbooks', () => {
    const f = file('playbook.yaml', 'playbooks:\n  host-compromize:\n    gates:\n      isolate-host: {}\n');
    expect(() => checkApprovalPolicies(f, catalogue)).toThrow(`${f}:2: playbooks.host-compromize names no playbook the engine runs.`);
  });

  it('refuses undo-containment for a playbook that contains nothing', () => {
    const f = file('undo.yaml', 'playbooks:\n  patch-canary:\n    gates:\n      undo-containment: {}\n');
    expect(() => checkApprovalPolicies(f, catalogue)).toThrow(`${f}:4: playbooks.patch-canary.gates.undo-containment is not a gate of patch-canary.`);
  });
});
