import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssignmentRulesFile } from '../../lib/assignment/rules-file';
import type { PalisadeError } from '../../lib/errors';
import { PeopleFile } from '../../lib/people';

const PEOPLE = 'people:\n  - { id: ana, name: Ana, groups: [soc], roles: [responder] }\n  - { id: bo, name: Bo, groups: [soc], roles: [responder] }\n';

describe('runbooks/assignment.yaml edited while the worker runs', () => {
  let dir: string;
  let file: string;
  let people: PeopleFile;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-assign-'));
    file = path.join(dir, 'assignment.yaml');
    writeFileSync(path.join(dir, 'people.yaml'), PEOPLE);
    writeFileSync(file, 'rules:\n  - { playbook: triage, assign: soc }\n');
    people = new PeopleFile(path.join(dir, 'people.yaml'), () => undefined);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a good edit takes effect at the next incident', () => {
    const rules = new AssignmentRulesFile(file, people, () => undefined);
    writeFileSync(file, 'rules:\n  - { playbook: triage, assign: bo }\n  - { playbook: manual, assign: ana }\n');
    expect(rules.current().map((r) => r.assign)).toEqual(['bo', 'ana']);
  });

  it('a bad edit keeps assigning by the last good rules, and says so once', () => {
    const warnings: PalisadeError[] = [];
    const rules = new AssignmentRulesFile(file, people, (err) => warnings.push(err));
    writeFileSync(file, 'rules:\n  - { playbook: triage, assign: nobody-we-know }\n');
    expect(rules.current()).toEqual([{ playbook: 'triage', assign: 'soc' }]);
    expect(rules.current()).toEqual([{ playbook: 'triage', assign: 'soc' }]);
    expect(warnings.map((w) => w.code)).toEqual(['assignment_invalid']);
    expect(warnings[0].message).toContain('nobody-we-know');
  });

  it('a bad file at the start stops the worker', () => {
    writeFileSync(file, 'rules:\n  - { assign: soc }\n');
    expect(() => new AssignmentRulesFile(file, people, () => undefined)).toThrow(/give either 'routingRule' or 'playbook'/);
  });
});
