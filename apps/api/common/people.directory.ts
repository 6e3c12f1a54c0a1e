import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Approver } from '../../../lib/approvals/gate';
import type { PalisadeConfig } from '../../../lib/config/env';
import { loadPeople, type Person } from '../../../lib/people';
import { ApiError } from './error.filter';
import { PALISADE_CONFIG } from '../config/config.module';

/**
 * The people of runbooks/people.yaml, read once when the API starts: a bad file stops the
 * start with the file and the reason. Who starts a playbook and who votes are looked up here.
 */
@Injectable()
export class PeopleDirectory {
  private readonly people: Map<string, Person>;

  constructor(@Inject(PALISADE_CONFIG) config: PalisadeConfig) {
    this.people = loadPeople(config.playbooks.peopleFile);
  }

  /** The person with this id (or email); 403 `unknown_person` otherwise. `field` names where the name came from. */
  require(id: string, field: string): Person {
    const person = this.people.get(id) ?? (id.includes('@') ? this.byEmail(id) : undefined);
    if (!person) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'unknown_person',
        `${field}: '${id}' is not a person Palisade knows.`,
        'Use a token named for a person in runbooks/people.yaml (their id or email), or add them there (id, name, groups, roles) and restart the API.',
      );
    }
    return person;
  }

  /** The person whose Slack user id this is (people.yaml `slack`). */
  bySlackId(slackUserId: string): Person | undefined {
    for (const person of this.people.values()) if (person.slack === slackUserId) return person;
    return undefined;
  }

  /** The person with this email, compared case-insensitively. */
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
