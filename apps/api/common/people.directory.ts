import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { Approver } from '../../../lib/approvals/gate';
import type { PalisadeConfig } from '../../../lib/config/env';
import type { Caller } from '../auth/roles';
import { PeopleFile, type Person } from '../../../lib/people';
import { ApiError } from './error.filter';
import { PALISADE_CONFIG } from '../config/config.module';

/**
 * The people of runbooks/people.yaml, read when the API starts (a bad file stops the start with
 * the file and the reason) and again whenever the file changes: a person removed or disabled
 * is refused from the next request on. Who starts a playbook and who votes are looked up here.
 */
@Injectable()
export class PeopleDirectory {
  private readonly file: PeopleFile;
  private readonly log = new Logger('People');

  constructor(@Inject(PALISADE_CONFIG) config: PalisadeConfig) {
    this.file = new PeopleFile(config.playbooks.peopleFile, (err) => this.log.error(`${err.message} Keeping the last good list of people until it is fixed.`));
  }

  private get people(): Map<string, Person> {
    return this.file.current();
  }

  /** The person with this id (or email), whether or not disabled. */
  find(id: string): Person | undefined {
    return this.people.get(id) ?? (id.includes('@') ? this.byEmail(id) : undefined);
  }

  /**
   * Who the caller is, as Palisade records and compares people: the people.yaml id of the
   * person their token names (by id or by email, so `bob` and `bob@example.com` are one person),
   * else the token's own name (a script). Every action that records or compares who did it
   * (timeline actors, sign-offs, authors, assignees) goes through here.
   */
  personOf(caller: Pick<Caller, 'name'>): string {
    return this.nameOf(caller.name);
  }

  /** A name as recorded (a token's name, an actor on the timeline) as the person's id when people.yaml knows them, else as it is. */
  nameOf(name: string): string {
    return this.find(name)?.id ?? name;
  }

  /**
   * The person with this id (or email), able to act: 403 `unknown_person` when there is none,
   * `person_disabled` when people.yaml disables them. `field` names where the name came from.
   */
  require(id: string, field: string): Person {
    const person = this.find(id);
    if (!person) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'unknown_person',
        `${field}: '${id}' is not a person Palisade knows.`,
        'Use a token named for a person in runbooks/people.yaml (their id or email), or add them there (id, name, groups, roles); the API reads the file again when it changes.',
      );
    }
    if (person.disabled) throw disabled(person);
    return person;
  }

  /** The person whose Slack user id this is (people.yaml `slack`), disabled or not. */
  bySlackId(slackUserId: string): Person | undefined {
    for (const person of this.people.values()) if (person.slack === slackUserId) return person;
    return undefined;
  }

  /** The person with this email, compared case-insensitively, disabled or not. */
  byEmail(email: string): Person | undefined {
    const wanted = email.trim().toLowerCase();
    for (const person of this.people.values()) if (person.email?.toLowerCase() === wanted) return person;
    return undefined;
  }

  /** The person as an approval gate sees them: identity, groups and roles, and where the vote came from. */
  approver(id: string, field: string): Approver {
    const person = this.require(id, field);
    return { id: person.id, groups: person.groups, roles: person.roles, via: 'api' };
  }
}

/** 403 `person_disabled`: people.yaml knows them, and says they take no decision. */
export function disabled(person: Person): ApiError {
  return new ApiError(
    HttpStatus.FORBIDDEN,
    'person_disabled',
    `${person.id} is disabled in runbooks/people.yaml: Palisade takes no decision from them.`,
    'If that is a mistake, an admin removes `disabled: true` from their entry in runbooks/people.yaml (read again when it changes).',
  );
}
