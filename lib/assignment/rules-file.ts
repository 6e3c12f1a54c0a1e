import { PalisadeError } from '../errors';
import type { Person, PeopleFile } from '../people';
import { fileStamp } from '../runbook-file';
import { loadAssignmentRules, type AssignmentRule } from './rules';

/**
 * runbooks/assignment.yaml as it is now: read again when the file changes (its inode, size or
 * time) or people.yaml does (a rule must name a person or group it knows). An edit that does not
 * read keeps the last good rules and is reported once through `onBadFile`, so a half-written
 * edit never stops incidents opening; a bad file at the start throws (the worker's start-up check).
 */
export class AssignmentRulesFile {
  private loaded: { stamp: string; people: Map<string, Person>; rules: AssignmentRule[] };
  /** The version (file and people) that did not read: reported once, not at every incident. */
  private bad: { stamp: string; people: Map<string, Person> } | undefined;

  constructor(
    readonly file: string,
    readonly people: PeopleFile,
    private readonly onBadFile: (err: PalisadeError) => void,
  ) {
    const current = people.current();
    this.loaded = { stamp: fileStamp(file), people: current, rules: loadAssignmentRules(file, current) };
  }

  current(): AssignmentRule[] {
    const people = this.people.current();
    let stamp: string;
    try {
      stamp = fileStamp(this.file);
    } catch (err) {
      this.onBadFile(invalidNow(this.file, `cannot be read (${(err as Error).message})`));
      return this.loaded.rules;
    }
    if (stamp === this.loaded.stamp && people === this.loaded.people) return this.loaded.rules;
    if (stamp === this.bad?.stamp && people === this.bad.people) return this.loaded.rules;
    try {
      this.loaded = { stamp, people, rules: loadAssignmentRules(this.file, people) };
    } catch (err) {
      if (!(err instanceof PalisadeError)) throw err;
      this.bad = { stamp, people };
      this.onBadFile(err);
    }
    return this.loaded.rules;
  }
}

function invalidNow(file: string, reason: string): PalisadeError {
  return new PalisadeError('assignment_invalid', `Assignment file ${file}: ${reason}.`, 'Put the file back; until then new incidents are assigned by the last good rules.');
}
