import { z } from 'zod';
import { PalisadeError } from './errors';
import { fileStamp, readRunbookFile } from './runbook-file';

const personSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    email: z.string().email().optional(),
    slack: z.string().min(1).optional(),
    groups: z.array(z.string().min(1)).default([]),
    roles: z.array(z.enum(['viewer', 'responder', 'approver', 'admin'])).default([]),
    /** A person who left or is off the rota: known (never mistaken for someone else), but takes no decision and reads nothing in Slack. */
    disabled: z.boolean().default(false),
  })
  .strict();

const fileSchema = z.object({ people: z.array(personSchema) }).strict();

export type Person = z.infer<typeof personSchema>;

/** `runbooks/people.yaml`: who responders are, their groups and roles, their Slack ids. */
export function loadPeople(file: string): Map<string, Person> {
  const parsed = readRunbookFile(file, fileSchema, (reason) => invalid(file, reason));
  const people = new Map<string, Person>();
  for (const person of parsed.people) {
    if (people.has(person.id)) throw invalid(file, `person '${person.id}' is listed twice`);
    people.set(person.id, person);
  }
  return people;
}

/**
 * people.yaml as it is now: read again whenever the file changes (its inode, size or time), so
 * a person removed or disabled stops deciding at once, without a restart. A file that does not
 * read (a half-written edit) keeps the last good list and is reported through `onBadFile`; a bad
 * file at the start throws.
 */
export class PeopleFile {
  private loaded: { stamp: string; people: Map<string, Person> };
  /** The version of the file that did not read: reported once, not at every look. */
  private bad: string | undefined;

  constructor(
    readonly file: string,
    private readonly onBadFile: (err: PalisadeError) => void,
  ) {
    this.loaded = { stamp: fileStamp(file), people: loadPeople(file) };
  }

  current(): Map<string, Person> {
    let stamp: string;
    try {
      stamp = fileStamp(this.file);
    } catch (err) {
      this.onBadFile(invalid(this.file, `cannot be read (${(err as Error).message})`));
      return this.loaded.people;
    }
    if (stamp === this.loaded.stamp || stamp === this.bad) return this.loaded.people;
    try {
      this.loaded = { stamp, people: loadPeople(this.file) };
    } catch (err) {
      if (!(err instanceof PalisadeError)) throw err;
      this.bad = stamp;
      this.onBadFile(err);
    }
    return this.loaded.people;
  }
}

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('people_invalid', `People file ${file}: ${reason}.`, 'Fix the file; each person needs an id and a name, and may have email, slack, groups, roles and disabled.');
}
