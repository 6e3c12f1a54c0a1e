import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebClient } from '@slack/web-api';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Approver } from '../../../lib/approvals/gate';
import { loadApprovalPolicies } from '../../../lib/approvals/policy-file';
import type { Person } from '../../../lib/people';
import type { PalisadeConfig } from '../../../lib/config/env';
import { PeopleDirectory } from '../common/people.directory';
import { PALISADE_CONFIG } from '../config/config.module';

const PROFILE_TTL_MS = 5 * 60_000;
/** Slack user groups change when people go on and off call: re-read them often. */
const GROUP_TTL_MS = 60_000;

interface Cached<T> {
  value: T;
  until: number;
}

/** A lookup of one Slack user, and the Slack method it waits on now (none: it has asked Slack nothing yet, or has its answers). */
interface Lookup {
  waitingOn: 'users.info' | 'usergroups.users.list' | undefined;
  who: Promise<SlackWho>;
}

/** The user refused because Slack had not said who they are by the deadline. */
function notInTime(slackUserId: string, waitingOn: Lookup['waitingOn']): SlackWho {
  return {
    kind: 'refused',
    code: 'identity_unverified',
    // First what matters (a modal shows 150 characters of it).
    message: `Palisade could not verify who you are in time, so nothing was decided: ${waitingOn ? `Slack had not answered ${waitingOn} about <@${slackUserId}>` : `looking up <@${slackUserId}> had not finished`} within 3 s.`,
  };
}

/** Who a Slack user is to Palisade, or why Palisade will not act for them. */
export type SlackWho =
  | { kind: 'person'; person: Person; approver: Approver }
  /** Not in people.yaml (Slack said so), but in a Slack user group an approval policy names. */
  | { kind: 'group-member'; approver: Approver }
  | { kind: 'refused'; code: 'unknown_person' | 'person_disabled' | 'identity_unverified'; message: string };

/**
 * Who a Slack user is to Palisade: the person in runbooks/people.yaml with that Slack id, or
 * with the email on their Slack profile (users.info), plus the Slack user groups named by
 * approval policies they belong to (usergroups.users.list). Profiles are cached briefly (a click
 * must be answered in Slack's 3 seconds); a failed users.info never is. Someone Slack could not
 * describe, or whom people.yaml disables, is refused, never taken for a `slack:<id>` group member:
 * one person cannot vote as `bob` through the API and again as `slack:U0BOB` in Slack.
 */
@Injectable()
export class SlackIdentity {
  private readonly profiles = new Map<string, Cached<string | undefined>>();
  private readonly groups = new Map<string, Cached<Set<string>>>();
  /** Lookups out now, by Slack user id. */
  private readonly lookups = new Map<string, Lookup>();
  private readonly log = new Logger('Slack');
  /** The Slack groups approvals.yaml names, re-read when the file changes (it may change without a restart). */
  private named: { mtimeMs: number; groups: string[] } = { mtimeMs: -1, groups: [] };

  constructor(
    @Inject(PeopleDirectory) private readonly people: PeopleDirectory,
    @Inject(PALISADE_CONFIG) private readonly config: PalisadeConfig,
  ) {}

  /**
   * Who the Slack user is, as an approval gate would see them. With a `deadline` (performance.now()
   * time: a request answered in its acknowledgement, within Slack's 3 s), Slack not answering by
   * then refuses the user as unverified, whom nothing may be read or decided for; the lookup goes
   * on without the caller and fills the caches, so the next request finds them warm. Requests
   * about the same user while one lookup is out share it (a slow Slack is not asked again per click).
   */
  async resolve(client: WebClient, slackUserId: string, deadline?: number): Promise<SlackWho> {
    let lookup = this.lookups.get(slackUserId);
    if (!lookup) {
      const started = { waitingOn: undefined } as Lookup;
      started.who = this.lookUp(client, slackUserId, started).finally(() => this.lookups.delete(slackUserId));
      // The caller that waited may be gone (deadline): a failure is still its to see, never an unhandled rejection.
      started.who.catch((err: unknown) => this.log.warn(`Looking up Slack user ${slackUserId} failed: ${(err as Error).message}`));
      this.lookups.set(slackUserId, started);
      lookup = started;
    }
    if (deadline === undefined) return lookup.who;
    const current = lookup;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<SlackWho>((resolve) => {
      timer = setTimeout(() => resolve(notInTime(slackUserId, current.waitingOn)), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([current.who, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookUp(client: WebClient, slackUserId: string, lookup: Lookup): Promise<SlackWho> {
    let person = this.people.bySlackId(slackUserId);
    if (!person) {
      lookup.waitingOn = 'users.info';
      const profile = await this.profileEmail(client, slackUserId);
      if ('failed' in profile) {
        return {
          kind: 'refused',
          code: 'identity_unverified',
          message: `Palisade could not tell who you are: Slack did not answer users.info for <@${slackUserId}> (${profile.failed}), so nothing was decided.`,
        };
      }
      person = profile.email ? this.people.byEmail(profile.email) : undefined;
    }
    if (person?.disabled) return { kind: 'refused', code: 'person_disabled', message: `${person.id} is disabled in runbooks/people.yaml: Palisade takes no decision from them.` };
    lookup.waitingOn = 'usergroups.users.list';
    const slackGroups = await this.groupsOf(client, slackUserId);
    lookup.waitingOn = undefined;
    if (person) return { kind: 'person', person, approver: { id: person.id, groups: person.groups, roles: person.roles, via: 'slack', slackUserId, slackGroups } };
    // Not in people.yaml, but a policy may still let their Slack group decide.
    if (slackGroups.length > 0) return { kind: 'group-member', approver: { id: `slack:${slackUserId}`, groups: [], roles: [], via: 'slack', slackUserId, slackGroups } };
    return { kind: 'refused', code: 'unknown_person', message: `Palisade does not know <@${slackUserId}>: no person in runbooks/people.yaml has this Slack id or your Slack email.` };
  }

  /** The email on the Slack profile (cached when Slack answered), or why Slack could not say. */
  private async profileEmail(client: WebClient, slackUserId: string): Promise<{ email: string | undefined } | { failed: string }> {
    const cached = this.profiles.get(slackUserId);
    if (cached && cached.until > Date.now()) return { email: cached.value };
    try {
      const info = await client.users.info({ user: slackUserId });
      const email = info.user?.profile?.email;
      this.profiles.set(slackUserId, { value: email, until: Date.now() + PROFILE_TTL_MS });
      return { email };
    } catch (err) {
      // Slack busy, or users:read.email missing: asked again at the next click, never remembered as "no email".
      this.log.warn(`users.info for ${slackUserId} failed (${(err as Error).message}): the click is refused`);
      return { failed: (err as Error).message };
    }
  }

  /** The Slack groups named by approval policies; the last good list while approvals.yaml is being fixed. */
  private namedGroups(): string[] {
    const file = this.config.playbooks.approvalsFile;
    try {
      const { mtimeMs } = fs.statSync(file);
      if (mtimeMs !== this.named.mtimeMs) {
        const policies = loadApprovalPolicies(file);
        const patches = [policies.defaults, ...Object.values(policies.playbooks).flatMap((p) => [p.defaults, ...Object.values(p.gates)])];
        this.named = { mtimeMs, groups: [...new Set(patches.flatMap((p) => p.approvers?.slackGroups ?? []))] };
      }
    } catch (err) {
      this.log.warn(`${(err as Error).message} Slack group membership uses the last good list meanwhile.`);
    }
    return this.named.groups;
  }

  /** The policies' Slack groups this user is in. */
  private async groupsOf(client: WebClient, slackUserId: string): Promise<string[]> {
    const member: string[] = [];
    for (const group of this.namedGroups()) {
      const cached = this.groups.get(group);
      let users = cached && cached.until > Date.now() ? cached.value : undefined;
      if (!users) {
        try {
          users = new Set((await client.usergroups.users.list({ usergroup: group })).users ?? []);
        } catch (err) {
          // A wrong group id in approvals.yaml, or a missing usergroups:read scope, must not stop every other click.
          this.log.warn(`usergroups.users.list for ${group} failed (${(err as Error).message}): nobody counts as its member for a minute`);
          users = new Set();
        }
        this.groups.set(group, { value: users, until: Date.now() + GROUP_TTL_MS });
      }
      if (users.has(slackUserId)) member.push(group);
    }
    return member;
  }
}
