import { z } from 'zod';
import { PalisadeError } from './errors';
import { readRunbookFile } from './runbook-file';

const personSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    email: z.string().email().optional(),
    slack: z.string().min(1).optional(),
    groups: z.array(z.string().min(1)).default([]),
    roles: z.array(z.enum(['viewer', 'responder', 'approver', 'admin'])).default([]),
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

function invalid(file: string, reason: string): PalisadeError {
  return new PalisadeError('people_invalid', `People file ${file}: ${reason}.`, 'Fix the file; each person needs an id and a name, and may have email, slack, groups and roles.');
}
